package postgres_test

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestVolunteerRoundTrip(t *testing.T) {
	t.Parallel()
	_, s, clk := newStore(t)
	ctx := context.Background()
	v := &dispatch.Volunteer{Phone: phone(), Name: "Дана Қайратқызы",
		Languages: []dispatch.Lang{"kk", "ru", "en"}, Skills: []dispatch.Skill{"car", "sign_language"},
		Location: &dispatch.Location{Lat: 53.2833, Lon: 69.3833}, Available: true, MaxTasks: 3,
		Windows: []dispatch.Window{{Day: time.Monday, Start: 540, End: 1080}, {Day: time.Saturday, Start: 600, End: 720}}}
	if err := s.CreateVolunteer(ctx, v); err != nil {
		t.Fatal(err)
	}
	got, err := s.Volunteer(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameVolunteer(t, got, v)
	got, err = s.VolunteerByPhone(ctx, v.Phone)
	if err != nil {
		t.Fatal(err)
	}
	sameVolunteer(t, got, v)

	clk.add(time.Minute)
	v.Available, v.Windows, v.Location, v.Skills, v.MaxTasks = false, nil, nil, nil, 1
	if err := s.UpdateVolunteer(ctx, v); err != nil {
		t.Fatal(err)
	}
	got, err = s.Volunteer(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameVolunteer(t, got, v)
	if !got.UpdatedAt.Equal(base.Add(time.Minute)) {
		t.Errorf("UpdatedAt = %v", got.UpdatedAt)
	}
}

func sameVolunteer(t *testing.T, got, want *dispatch.Volunteer) {
	t.Helper()
	g, w := *got, *want
	if !g.CreatedAt.Equal(w.CreatedAt) || !g.UpdatedAt.Equal(w.UpdatedAt) {
		t.Errorf("times: got %v/%v, want %v/%v", g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt)
	}
	g.CreatedAt, g.UpdatedAt = w.CreatedAt, w.UpdatedAt
	if len(g.Skills) == 0 && len(w.Skills) == 0 {
		g.Skills, w.Skills = nil, nil
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %+v\nwant %+v", g, w)
	}
}

func TestVolunteerErrors(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	v := mustVolunteer(t, s, nil)
	_, err := s.Volunteer(ctx, v.ID+1)
	wantCode(t, err, dispatch.ENOTFOUND)
	_, err = s.VolunteerByPhone(ctx, "+77000000000")
	wantCode(t, err, dispatch.ENOTFOUND)
	v2 := *v
	v2.ID += 1
	wantCode(t, s.UpdateVolunteer(ctx, &v2), dispatch.ENOTFOUND)
	wantCode(t, s.CreateVolunteer(ctx, &dispatch.Volunteer{Phone: v.Phone, Name: "x"}), dispatch.ECONFLICT)
	err = s.CreateVolunteer(ctx, &dispatch.Volunteer{Phone: phone(), Name: "x", MaxTasks: 50})
	wantCode(t, err, dispatch.EINVALID)
	if !contains(dispatch.ErrorMessage(err), "max_tasks") {
		t.Errorf("message %q does not name max_tasks", dispatch.ErrorMessage(err))
	}
}

// TestVolunteerStats puts tickets and offers inside and outside the 90-day
// and 7-day windows and checks every number.
func TestVolunteerStats(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	v := mustVolunteer(t, s, func(v *dispatch.Volunteer) { v.MaxTasks = 2 })
	other := mustVolunteer(t, s, nil)
	cl := mustClient(t, s)
	day := 24 * time.Hour
	ticket := func(st dispatch.Status, assigned, completed time.Duration) *dispatch.Ticket {
		return mustTicket(t, s, cl.ID, func(tk *dispatch.Ticket) {
			tk.Status, tk.VolunteerID = st, &v.ID
			if assigned != 0 {
				tk.AssignedAt = ptr(base.Add(-assigned))
			}
			if completed != 0 {
				tk.CompletedAt = ptr(base.Add(-completed))
			}
		})
	}
	t1 := ticket(dispatch.StatusAssigned, 1*day, 0)          // active, recent
	t2 := ticket(dispatch.StatusInProgress, 10*day, 0)       // active, not recent
	t3 := ticket(dispatch.StatusCompleted, 5*day, 5*day)     // completed, recent
	t4 := ticket(dispatch.StatusCompleted, 100*day, 100*day) // outside every window
	ticket(dispatch.StatusCancelled, 2*day, 0)               // recent, neither active nor completed
	offer := func(tk *dispatch.Ticket, st dispatch.OfferStatus, sent time.Duration) {
		o := &dispatch.Offer{TicketID: tk.ID, VolunteerID: v.ID, Wave: 1, Status: st,
			SentAt: base.Add(-sent), ExpiresAt: base.Add(-sent + 10*time.Minute)}
		if err := s.CreateOffer(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	offer(t1, dispatch.OfferAccepted, 1*day)
	offer(t2, dispatch.OfferDeclined, 20*day)
	offer(t3, dispatch.OfferPending, 2*day)
	offer(t4, dispatch.OfferAccepted, 120*day) // outside 90 days

	want := dispatch.Volunteer{ActiveTasks: 2, Offered: 3, Accepted: 1, Completed: 1, RecentTasks: 3}
	check := func(name string, got *dispatch.Volunteer) {
		t.Helper()
		if got.ActiveTasks != want.ActiveTasks || got.Offered != want.Offered || got.Accepted != want.Accepted ||
			got.Completed != want.Completed || got.RecentTasks != want.RecentTasks {
			t.Errorf("%s stats: active %d offered %d accepted %d completed %d recent %d; want %d %d %d %d %d",
				name, got.ActiveTasks, got.Offered, got.Accepted, got.Completed, got.RecentTasks,
				want.ActiveTasks, want.Offered, want.Accepted, want.Completed, want.RecentTasks)
		}
	}
	got, err := s.Volunteer(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	check("Volunteer", got)
	got, err = s.VolunteerByPhone(ctx, v.Phone)
	if err != nil {
		t.Fatal(err)
	}
	check("VolunteerByPhone", got)
	list, _, err := s.Volunteers(ctx, dispatch.VolunteerFilter{IDs: []int64{v.ID, other.ID}})
	if err != nil || len(list) != 2 {
		t.Fatalf("Volunteers: %d, %v", len(list), err)
	}
	check("Volunteers", list[0])
	if o := list[1]; o.ActiveTasks+o.Offered+o.Accepted+o.Completed+o.RecentTasks != 0 {
		t.Errorf("another volunteer's stats leak: %+v", o)
	}
	if got.CanTakeWork() {
		t.Error("a volunteer at max_tasks can take work")
	}
}

func TestVolunteersList(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	a := mustVolunteer(t, s, func(v *dispatch.Volunteer) {
		v.Name, v.Skills, v.Languages = "Алия", []dispatch.Skill{"wheelchair"}, []dispatch.Lang{"kk"}
	})
	b := mustVolunteer(t, s, func(v *dispatch.Volunteer) { v.Name, v.Available = "Борис", false })
	c := mustVolunteer(t, s, func(v *dispatch.Volunteer) {
		v.Name, v.Skills, v.Languages = "Алмас", []dispatch.Skill{"wheelchair", "car"}, []dispatch.Lang{"ru"}
	})
	ids := func(vs []*dispatch.Volunteer) []int64 {
		var out []int64
		for _, v := range vs {
			out = append(out, v.ID)
		}
		return out
	}
	tests := []struct {
		name  string
		f     dispatch.VolunteerFilter
		want  []int64
		total int
	}{
		{"all", dispatch.VolunteerFilter{}, []int64{a.ID, b.ID, c.ID}, 3},
		{"query", dispatch.VolunteerFilter{Query: "АЛ"}, []int64{a.ID, c.ID}, 2},
		{"skill", dispatch.VolunteerFilter{Skill: "wheelchair"}, []int64{a.ID, c.ID}, 2},
		{"lang", dispatch.VolunteerFilter{Lang: "ru"}, []int64{b.ID, c.ID}, 2},
		{"paused", dispatch.VolunteerFilter{Available: ptr(false)}, []int64{b.ID}, 1},
		{"ids", dispatch.VolunteerFilter{IDs: []int64{c.ID, a.ID}}, []int64{a.ID, c.ID}, 2},
		{"no ids", dispatch.VolunteerFilter{IDs: []int64{}}, nil, 0},
		{"combined", dispatch.VolunteerFilter{Skill: "wheelchair", Lang: "kk", Available: ptr(true)}, []int64{a.ID}, 1},
		{"page", dispatch.VolunteerFilter{Limit: 1, Offset: 1}, []int64{b.ID}, 3},
	}
	for _, tt := range tests {
		got, total, err := s.Volunteers(ctx, tt.f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(ids(got), tt.want) || total != tt.total {
			t.Errorf("%s: got %v of %d, want %v of %d", tt.name, ids(got), total, tt.want, tt.total)
		}
	}
}

func TestVolunteersForIndex(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	cl := mustClient(t, s)
	ok1 := mustVolunteer(t, s, nil)
	ok2 := mustVolunteer(t, s, func(v *dispatch.Volunteer) { v.MaxTasks = 2 })
	mustTicket(t, s, cl.ID, func(tk *dispatch.Ticket) { tk.Status, tk.VolunteerID = dispatch.StatusAssigned, &ok2.ID })
	full := mustVolunteer(t, s, nil)
	mustTicket(t, s, cl.ID, func(tk *dispatch.Ticket) { tk.Status, tk.VolunteerID = dispatch.StatusInProgress, &full.ID })
	mustVolunteer(t, s, func(v *dispatch.Volunteer) { v.Available = false })
	mustVolunteer(t, s, func(v *dispatch.Volunteer) { v.OptedOut = true })
	mustVolunteer(t, s, func(v *dispatch.Volunteer) { v.Location = nil })

	var got []int64
	err := s.VolunteersForIndex(ctx, func(vs []*dispatch.Volunteer) error {
		for _, v := range vs {
			got = append(got, v.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	if want := []int64{ok1.ID, ok2.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("VolunteersForIndex = %v, want %v", got, want)
	}
	if err := s.VolunteersForIndex(ctx, func([]*dispatch.Volunteer) error { return errBoom }); err != errBoom {
		t.Errorf("fn's error = %v, want it returned as is", err)
	}
}
