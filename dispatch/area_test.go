package dispatch

import "testing"

// square is a ring around (lon, lat) of half-side d, not closed.
func square(lon, lat, d float64) Ring {
	return Ring{{lon - d, lat - d}, {lon + d, lat - d}, {lon + d, lat + d}, {lon - d, lat + d}}
}

func TestPolygonContains(t *testing.T) {
	// A concave "L": the notch at the top right is outside.
	l := Polygon{Ring{{0, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 2}, {0, 2}, {0, 0}}}
	donut := Polygon{square(10, 10, 2), square(10, 10, 1)}
	cases := []struct {
		name string
		p    Polygon
		at   Location
		want bool
	}{
		{"L inside foot", l, Location{Lat: 0.5, Lon: 1.5}, true},
		{"L inside stem", l, Location{Lat: 1.5, Lon: 0.5}, true},
		{"L notch", l, Location{Lat: 1.5, Lon: 1.5}, false},
		{"L far away", l, Location{Lat: -1, Lon: 0.5}, false},
		{"L level with a vertex", l, Location{Lat: 1, Lon: -0.5}, false},
		{"donut ring", donut, Location{Lat: 11.5, Lon: 10}, true},
		{"donut hole", donut, Location{Lat: 10, Lon: 10}, false},
		{"donut outside", donut, Location{Lat: 13, Lon: 10}, false},
		{"empty polygon", Polygon{}, Location{}, false},
	}
	for _, c := range cases {
		if got := c.p.Contains(c.at); got != c.want {
			t.Errorf("%s: Contains(%v) = %v, want %v", c.name, c.at, got, c.want)
		}
	}
}

func TestRouteAreaTakesTheContainingDistrict(t *testing.T) {
	areas := []Area{
		{CentreID: 1, District: "Есиль", Polygon: Polygon{square(71.43, 51.12, 0.03)}},
		{CentreID: 2, District: "Сарыарка", Polygon: Polygon{square(71.40, 51.20, 0.03)}},
	}
	if a, ok := RouteArea(areas, Location{Lat: 51.2, Lon: 71.41}); !ok || a.CentreID != 2 {
		t.Fatalf("Saryarka point routed to %+v, %v", a, ok)
	}
	if a, ok := RouteArea(areas, Location{Lat: 52.3, Lon: 76.97}); ok {
		t.Fatalf("Pavlodar point routed to %+v", a)
	}
	if a, ok := AreaNamed(areas, "есиль"); !ok || a.CentreID != 1 {
		t.Fatalf("AreaNamed: %+v %v", a, ok)
	}
}

func TestSeesCentre(t *testing.T) {
	cases := []struct {
		r            Role
		mine, theirs int64
		want         bool
	}{
		{RoleDispatcher, 1, 1, true},
		{RoleDispatcher, 1, 2, false},
		{RoleViewer, 1, 2, false},
		{RoleDispatcher, 1, 0, true}, // unrouted: someone must move it
		{RoleDispatcher, 0, 2, true}, // no centre: a one-centre service
		{RoleCoordinator, 1, 2, true},
		{RoleAdmin, 1, 2, true},
	}
	for _, c := range cases {
		if got := SeesCentre(c.r, c.mine, c.theirs); got != c.want {
			t.Errorf("SeesCentre(%s, %d, %d) = %v, want %v", c.r, c.mine, c.theirs, got, c.want)
		}
	}
}

func TestCoordinatorRanksBetweenDispatcherAndAdmin(t *testing.T) {
	if r, err := ParseRole("coordinator"); err != nil || r != RoleCoordinator {
		t.Fatalf("ParseRole(coordinator) = %q, %v", r, err)
	}
	if !RoleCoordinator.Allows(RoleDispatcher) || RoleCoordinator.Allows(RoleAdmin) || !RoleAdmin.Allows(RoleCoordinator) ||
		RoleDispatcher.Allows(RoleCoordinator) {
		t.Fatal("coordinator is not ranked between dispatcher and admin")
	}
}
