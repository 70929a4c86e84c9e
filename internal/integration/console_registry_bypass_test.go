package integration

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// A pending sign-up cannot be made available around its approval: the
// volunteer page's resume is refused with a pointer to the approval page,
// the engine refuses it for every caller (API, SMS), and the database
// refuses a direct write; the volunteer stays pending, paused and out of
// the geo index.
func TestConsolePendingVolunteerCannotBeResumed(t *testing.T) {
	r := newRegRig(t)
	v := r.signUp("Дана Оспанова")
	d := r.login(dispatch.RoleDispatcher)
	page := "/console/volunteers/" + strconv.FormatInt(v.ID, 10)
	if _, body := d.get(page + "?lang=en"); strings.Contains(body, page+"/resume") || !strings.Contains(body, `href="/console/volunteers/pending"`) {
		t.Fatalf("a pending volunteer's page offers resume or lacks the approval link:\n%s", body)
	}
	status, body := d.form(page+"/resume?lang=en", nil)
	if status != http.StatusConflict || !strings.Contains(body, "/console/volunteers/pending") {
		t.Fatalf("resume of a pending volunteer: %d, want 409 naming the approval page:\n%s", status, body)
	}
	err := r.engine.SetAvailable(r.ctx, v.ID, true, dispatch.ActorSystem)
	if !dispatch.IsCode(err, dispatch.ECONFLICT) {
		t.Fatalf("engine resume of a pending volunteer: %v, want ECONFLICT", err)
	}
	got, err := r.store.Volunteer(r.ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Available || r.registry(v.ID) != dispatch.RegistryPending || r.inGeo(got) {
		t.Fatalf("after refused resumes: available=%v registry=%s in geo=%v", got.Available, r.registry(v.ID), r.inGeo(got))
	}
	got.Available = true
	if err := r.store.UpdateVolunteer(r.ctx, got); err == nil {
		t.Fatal("the store made a pending volunteer available")
	}
	// Approval is the way: then resume and pause work as for anyone.
	if status, body := d.form(pendingPath(v.ID, "approve"), nil); status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", status, body)
	}
	if status, _ := d.form(page+"/pause", nil); status != http.StatusSeeOther {
		t.Fatalf("pause after approval: %d", status)
	}
	if status, _ := d.form(page+"/resume", nil); status != http.StatusSeeOther {
		t.Fatalf("resume after approval: %d", status)
	}
}
