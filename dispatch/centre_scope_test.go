package dispatch

import "testing"

// A list's scope keeps exactly the tickets SeesCentre lets the same user
// see, when they chose no centre; a coordinator's choice narrows to that
// centre, a dispatcher's changes nothing.
func TestScopeForAgreesWithSeesCentre(t *testing.T) {
	roles := []Role{RoleViewer, RoleDispatcher, RoleCoordinator, RoleAdmin}
	for _, r := range roles {
		for _, mine := range []int64{0, 1, 2} {
			s := ScopeFor(r, mine, 0)
			for _, theirs := range []int64{0, 1, 2} {
				if got, want := s.Sees(theirs), SeesCentre(r, mine, theirs); got != want {
					t.Errorf("%s of centre %d, ticket of %d: scope %+v sees %v, SeesCentre %v", r, mine, theirs, s, got, want)
				}
			}
		}
	}
	if s := ScopeFor(RoleCoordinator, 1, 2); s != (CentreScope{Centre: 2}) || s.Sees(0) || s.Sees(1) {
		t.Errorf("a coordinator's choice of centre 2: %+v", s)
	}
	if s := ScopeFor(RoleDispatcher, 1, 2); s != (CentreScope{Centre: 1, Unrouted: true}) {
		t.Errorf("a dispatcher of centre 1 choosing 2: %+v", s)
	}
	if !(CentreScope{}).All() || (CentreScope{Centre: 3}).All() {
		t.Error("All")
	}
}
