package postgres_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
)

func TestTicketRoundTrip(t *testing.T) {
	t.Parallel()
	_, s, clk := newStore(t)
	ctx := context.Background()
	cl := mustClient(t, s)
	v := mustVolunteer(t, s, nil)
	tk := &dispatch.Ticket{Channel: dispatch.ChannelVoice, Category: dispatch.CategoryEscort,
		Description: "поликлиникаға апару керек", Lang: dispatch.LangKK,
		Location: &dispatch.Location{Lat: 52.2873, Lon: 76.9674}, Address: "Павлодар, Торайғыров 64",
		Urgency: dispatch.UrgencyUrgent, Needs: []dispatch.Skill{"wheelchair", "car"},
		WindowStart: ptr(base.Add(time.Hour)), WindowEnd: ptr(base.Add(3 * time.Hour)),
		Status: dispatch.StatusNew, ClientID: cl.ID, CallBack: true,
		RecordingURL: "https://api.twilio.com/rec/RE1", SourceID: "CA0123456789abcdef"}
	if err := s.CreateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if tk.ID == 0 || tk.Code == "" || !tk.CreatedAt.Equal(base) {
		t.Fatalf("CreateTicket set ID %d, Code %q, CreatedAt %v", tk.ID, tk.Code, tk.CreatedAt)
	}
	lower := strings.NewReplacer("A", "а", "K", "к", "M", "м", "E", "е", "H", "н", "O", "о", "P", "р",
		"C", "с", "T", "т", "X", "х", "-", " ").Replace(tk.Code)
	for name, get := range map[string]func() (*dispatch.Ticket, error){
		"Ticket":                func() (*dispatch.Ticket, error) { return s.Ticket(ctx, tk.ID) },
		"TicketForUpdate":       func() (*dispatch.Ticket, error) { return s.TicketForUpdate(ctx, tk.ID) },
		"TicketByCode":          func() (*dispatch.Ticket, error) { return s.TicketByCode(ctx, tk.Code) },
		"TicketByCode/cyrillic": func() (*dispatch.Ticket, error) { return s.TicketByCode(ctx, lower) },
		"TicketBySource":        func() (*dispatch.Ticket, error) { return s.TicketBySource(ctx, tk.SourceID) },
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameTicket(t, got, tk)
	}

	clk.add(time.Minute)
	tk.Status, tk.VolunteerID, tk.AssignedAt, tk.Wave = dispatch.StatusAssigned, &v.ID, ptr(clk.now()), 2
	tk.Location, tk.Needs, tk.WindowStart, tk.WindowEnd = nil, nil, nil, nil
	tk.DueAt, tk.Reason, tk.Description = ptr(base.Add(time.Hour)), "", "изменено"
	if err := s.UpdateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	got, err := s.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameTicket(t, got, tk)
}

func sameTicket(t *testing.T, got, want *dispatch.Ticket) {
	t.Helper()
	g, w := *got, *want
	for _, p := range []struct {
		name string
		g, w *time.Time
	}{
		{"created", &g.CreatedAt, &w.CreatedAt}, {"updated", &g.UpdatedAt, &w.UpdatedAt},
	} {
		if !p.g.Equal(*p.w) {
			t.Errorf("%s: got %v, want %v", p.name, *p.g, *p.w)
		}
		*p.g = *p.w
	}
	for _, p := range []struct {
		name string
		g, w **time.Time
	}{
		{"window_start", &g.WindowStart, &w.WindowStart}, {"window_end", &g.WindowEnd, &w.WindowEnd},
		{"assigned", &g.AssignedAt, &w.AssignedAt}, {"completed", &g.CompletedAt, &w.CompletedAt},
		{"due", &g.DueAt, &w.DueAt},
	} {
		if (*p.g == nil) != (*p.w == nil) || (*p.g != nil && !(*p.g).Equal(**p.w)) {
			t.Errorf("%s: got %v, want %v", p.name, *p.g, *p.w)
		}
		*p.g = *p.w
	}
	if len(g.Needs) == 0 && len(w.Needs) == 0 {
		g.Needs, w.Needs = nil, nil
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %+v\nwant %+v", g, w)
	}
}

func TestTicketErrors(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	cl := mustClient(t, s)
	tk := mustTicket(t, s, cl.ID, func(tk *dispatch.Ticket) { tk.SourceID = "SM123" })

	_, err := s.Ticket(ctx, tk.ID+1)
	wantCode(t, err, dispatch.ENOTFOUND)
	_, err = s.TicketForUpdate(ctx, tk.ID+1)
	wantCode(t, err, dispatch.ENOTFOUND)
	_, err = s.TicketByCode(ctx, "XXX-0000x")
	wantCode(t, err, dispatch.ENOTFOUND)
	_, err = s.TicketBySource(ctx, "SM999")
	wantCode(t, err, dispatch.ENOTFOUND)
	_, err = s.TicketBySource(ctx, "")
	wantCode(t, err, dispatch.ENOTFOUND)
	t2 := *tk
	t2.ID += 1
	wantCode(t, s.UpdateTicket(ctx, &t2), dispatch.ENOTFOUND)

	err = s.CreateTicket(ctx, &dispatch.Ticket{Channel: "sms", Category: "other", Lang: "ru", ClientID: cl.ID, SourceID: "SM123"})
	wantCode(t, err, dispatch.ECONFLICT)
	wantCode(t, s.CreateTicket(ctx, &dispatch.Ticket{Channel: "fax", Category: "other", Lang: "ru", ClientID: cl.ID}), dispatch.EINVALID)
	err = s.CreateTicket(ctx, &dispatch.Ticket{Channel: "sms", Category: "other", Lang: "ru", ClientID: cl.ID + 99})
	wantCode(t, err, dispatch.EINVALID)
	if !contains(dispatch.ErrorMessage(err), "client") {
		t.Errorf("unknown client message: %q", dispatch.ErrorMessage(err))
	}
	// Tickets without a source do not collide on the empty string.
	mustTicket(t, s, cl.ID, nil)
	mustTicket(t, s, cl.ID, nil)
}

func TestTicketsList(t *testing.T) {
	t.Parallel()
	_, s, clk := newStore(t)
	ctx := context.Background()
	c1, c2 := mustClient(t, s), mustClient(t, s)
	v := mustVolunteer(t, s, nil)
	mk := func(c *dispatch.Client, st dispatch.Status, vol *int64) int64 {
		clk.add(time.Second)
		return mustTicket(t, s, c.ID, func(tk *dispatch.Ticket) { tk.Status, tk.VolunteerID = st, vol }).ID
	}
	q := mk(c1, dispatch.StatusQueued, nil)
	a := mk(c1, dispatch.StatusAssigned, &v.ID)
	d := mk(c2, dispatch.StatusCompleted, &v.ID)
	e := mk(c2, dispatch.StatusEscalated, nil)
	x := mk(c2, dispatch.StatusCancelled, nil)
	tests := []struct {
		name  string
		f     dispatch.TicketFilter
		want  []int64
		total int
	}{
		{"all, newest first", dispatch.TicketFilter{}, []int64{x, e, d, a, q}, 5},
		{"status", dispatch.TicketFilter{Status: []dispatch.Status{"queued", "escalated"}}, []int64{e, q}, 2},
		{"open", dispatch.TicketFilter{Open: true}, []int64{e, a, q}, 3},
		{"client", dispatch.TicketFilter{ClientID: &c2.ID}, []int64{x, e, d}, 3},
		{"volunteer", dispatch.TicketFilter{Volunteer: &v.ID}, []int64{d, a}, 2},
		{"volunteer open", dispatch.TicketFilter{Volunteer: &v.ID, Open: true}, []int64{a}, 1},
		{"page", dispatch.TicketFilter{Limit: 2, Offset: 1}, []int64{e, d}, 5},
	}
	for _, tt := range tests {
		got, total, err := s.Tickets(ctx, tt.f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var ids []int64
		for _, tk := range got {
			ids = append(ids, tk.ID)
		}
		if !reflect.DeepEqual(ids, tt.want) || total != tt.total {
			t.Errorf("%s: got %v of %d, want %v of %d", tt.name, ids, total, tt.want, tt.total)
		}
	}
}

func TestDueTickets(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	cl := mustClient(t, s)
	mk := func(st dispatch.Status, due *time.Time, u dispatch.Urgency) int64 {
		return mustTicket(t, s, cl.ID, func(tk *dispatch.Ticket) { tk.Status, tk.DueAt, tk.Urgency = st, due, u }).ID
	}
	later, earlier := ptr(base.Add(time.Hour)), ptr(base.Add(-time.Hour))
	queuedNoDue := mk(dispatch.StatusQueued, nil, dispatch.UrgencyUrgent)
	offered := mk(dispatch.StatusOffered, later, dispatch.UrgencyNormal)
	assignedDue := mk(dispatch.StatusAssigned, earlier, dispatch.UrgencyNormal)
	mk(dispatch.StatusAssigned, nil, dispatch.UrgencyNormal)
	followUp := mk(dispatch.StatusCompleted, ptr(base.Add(2*time.Hour)), dispatch.UrgencyNormal)
	mk(dispatch.StatusNew, later, dispatch.UrgencyNormal)
	mk(dispatch.StatusEscalated, later, dispatch.UrgencyNormal)
	mk(dispatch.StatusCancelled, later, dispatch.UrgencyNormal)

	got, err := s.DueTickets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []dispatch.DueTicket{
		{ID: assignedDue, DueAt: *earlier, Urgency: "normal"},
		{ID: queuedNoDue, DueAt: base, Urgency: "urgent"},
		{ID: offered, DueAt: *later, Urgency: "normal"},
		{ID: followUp, DueAt: base.Add(2 * time.Hour), Urgency: "normal"},
	}
	if len(got) != len(want) {
		t.Fatalf("DueTickets = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].ID != want[i].ID || !got[i].DueAt.Equal(want[i].DueAt) || got[i].Urgency != want[i].Urgency {
			t.Errorf("DueTickets[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestTicketForUpdateLocks shows the lock: a second transaction waiting for
// the row sees the first one's write, not the state it read before.
func TestTicketForUpdateLocks(t *testing.T) {
	t.Parallel()
	db, s, _ := newStore(t)
	ctx := context.Background()
	tk := mustTicket(t, s, mustClient(t, s).ID, nil)
	locked := make(chan struct{})
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.InTx(ctx, func(r dispatch.Repo) error {
			got, err := r.TicketForUpdate(ctx, tk.ID)
			if err != nil {
				close(locked)
				return err
			}
			close(locked)
			<-release
			got.Wave++
			return r.UpdateTicket(ctx, got)
		})
	}()
	<-locked
	second := make(chan error, 1)
	go func() {
		second <- s.InTx(ctx, func(r dispatch.Repo) error {
			got, err := r.TicketForUpdate(ctx, tk.ID) // waits for the first
			if err != nil {
				return err
			}
			got.Wave++
			return r.UpdateTicket(ctx, got)
		})
	}()
	// Release the first only once the second is blocked on the row lock;
	// without FOR UPDATE it would never block, and this fails.
	for deadline := time.Now().Add(20 * time.Second); count(t, db,
		`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) == 0; {
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the second transaction never waited for the row lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	got, err := s.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Wave != 2 {
		t.Errorf("wave = %d after two locked increments, want 2 (a lost update)", got.Wave)
	}
}

// TestCreateTicketRetriesCodeCollision forces a taken code inside a
// transaction: the retry must not abort the transaction, and a generator
// that only ever collides must end in an error, not a loop.
func TestCreateTicketRetriesCodeCollision(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	cl := mustClient(t, s)
	postgres.SetCodeGenerator(s, func() string { return "AKM-1234" })
	mustTicket(t, s, cl.ID, nil)

	codes := []string{"AKM-1234", "AKM-1234", "TEX-0001"}
	postgres.SetCodeGenerator(s, func() string { c := codes[0]; codes = codes[1:]; return c })
	var tk *dispatch.Ticket
	err := s.InTx(ctx, func(r dispatch.Repo) error {
		tk = mustTicket(t, r, cl.ID, nil)
		return r.AddEvent(ctx, &dispatch.TicketEvent{TicketID: tk.ID, Kind: "note", Actor: "system", Channel: "system"})
	})
	if err != nil {
		t.Fatalf("a code collision broke the transaction: %v", err)
	}
	if tk.Code != "TEX-0001" {
		t.Errorf("code = %q, want the first free one", tk.Code)
	}

	postgres.SetCodeGenerator(s, func() string { return "AKM-1234" })
	err = s.CreateTicket(ctx, &dispatch.Ticket{Channel: "sms", Category: "other", Lang: "ru", ClientID: cl.ID})
	wantCode(t, err, dispatch.EINTERNAL)
}
