package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

// A ticket made through intake is routed to the centre whose district
// holds it, with an audit event; a coordinator's move is audited too.
func TestTicketRoutedToItsDistrictsCentre(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 3, MaxWaves: 3, OfferTTL: 10 * time.Minute, MaxWait: time.Hour})
	waker := &countWaker{}
	store := dispatch.WakeSenders(g.store, waker) // as the service wires it
	rt := dispatch.NewRouter(store, nil)
	in := rt.Wrap(dispatch.NewIntake(store, g.queue, redis.NewBus(g.rc), intake.Phones{}, nil, g.msgs, dispatch.IntakeOptions{}))

	submit := func(loc *dispatch.Location) *dispatch.Ticket {
		t.Helper()
		res, err := in.Submit(g.ctx, dispatch.IntakeRequest{Channel: dispatch.ChannelWeb, Phone: g.phone(),
			Category: dispatch.CategoryShopping, Description: "продукты", Lang: dispatch.LangRU, Location: loc})
		if err != nil {
			t.Fatal(err)
		}
		return res.Ticket
	}
	pavlodar := dispatch.Location{Lat: 52.2873, Lon: 76.9674}
	centre := map[string]int64{}
	for _, c := range []struct {
		at       dispatch.Location
		key, dis string
	}{
		{engAstana, "astana-baikonur", "Байконур"},
		{dispatch.Location{Lat: 51.12, Lon: 71.43}, "astana-esil", "Есиль"},
		{pavlodar, "pavlodar", "Павлодар"},
	} {
		tk := submit(&c.at)
		id, dis := ticketCentre(t, g, tk.ID)
		if id == 0 || dis != c.dis {
			t.Fatalf("ticket at %v: centre %d district %q, want %s", c.at, id, dis, c.dis)
		}
		if prev, ok := centre[c.key]; ok && prev != id {
			t.Fatalf("%s has two IDs", c.key)
		}
		centre[c.key] = id
		if evs := g.events(tk.ID, dispatch.EventRouted); len(evs) != 1 || evs[0].Reason != "routed to centre "+c.key+" ("+c.dis+")" {
			t.Fatalf("ticket at %v: routing events %+v", c.at, evs)
		}
	}
	if centre["astana-baikonur"] == centre["pavlodar"] {
		t.Fatal("two districts routed to one centre")
	}

	// Outside every area (Shymkent) and with no place: left unrouted.
	for _, loc := range []*dispatch.Location{{Lat: 42.32, Lon: 69.59}, nil} {
		tk := submit(loc)
		if id, _ := ticketCentre(t, g, tk.ID); id != 0 || len(g.events(tk.ID, dispatch.EventRouted)) != 0 {
			t.Fatalf("ticket at %v routed to %d", loc, id)
		}
	}

	// A coordinator moves a ticket across the border, audited.
	tk := submit(&engAstana)
	if err := rt.Move(g.ctx, tk.ID, centre["astana-esil"], dispatch.Actor("user:coordinator")); err != nil {
		t.Fatal(err)
	}
	if id, dis := ticketCentre(t, g, tk.ID); id != centre["astana-esil"] || dis != "Есиль" {
		t.Fatalf("after the move: centre %d %q", id, dis)
	}
	evs := g.events(tk.ID, dispatch.EventRouted)
	if len(evs) != 2 || evs[1].Actor != "user:coordinator" || evs[1].Reason != "moved to centre astana-esil" {
		t.Fatalf("move events %+v", evs)
	}
	if err := rt.Move(g.ctx, tk.ID, 999999, dispatch.ActorSystem); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Fatalf("move to no centre: %v", err)
	}
}

// Every district offered in the SMS sign-up lies in the centre area of the
// same name, so a signed-up volunteer's place and the centres agree.
func TestSignupDistrictsLieInTheirCentres(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{})
	areas, err := g.store.CentreAreas(g.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(areas) != len(dispatch.SignupDistricts) {
		t.Fatalf("%d areas seeded, %d sign-up districts", len(areas), len(dispatch.SignupDistricts))
	}
	for _, d := range dispatch.SignupDistricts {
		a, ok := dispatch.RouteArea(areas, d.Point)
		if !ok {
			t.Fatalf("%s's point is in no area", d.Name[dispatch.LangRU])
		}
		if want := strings.TrimPrefix(d.Name[dispatch.LangRU], "Астана, район "); !strings.EqualFold(a.District, want) {
			t.Errorf("%s's point routes to %s", d.Name[dispatch.LangRU], a.District)
		}
	}
}

func ticketCentre(t *testing.T, g *engRig, id int64) (int64, string) {
	t.Helper()
	var (
		c   int64
		dis string
	)
	err := g.store.InTx(g.ctx, func(r dispatch.Repo) error {
		var err error
		c, dis, err = r.(*postgres.Store).TicketCentre(g.ctx, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, dis
}

// A dispatcher of another centre does not see a routed ticket; the
// ticket's own centre's dispatcher and a coordinator do. (The rule the
// console and the API are to apply: dispatch.SeesCentre.)
func TestCentreScopeOfUsers(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{})
	rt := dispatch.NewRouter(g.store, nil)
	in := rt.Wrap(dispatch.NewIntake(g.store, g.queue, redis.NewBus(g.rc), intake.Phones{}, nil, g.msgs, dispatch.IntakeOptions{}))
	res, err := in.Submit(g.ctx, dispatch.IntakeRequest{Channel: dispatch.ChannelWeb, Phone: g.phone(),
		Category: dispatch.CategoryHome, Lang: dispatch.LangRU, Location: &engAstana})
	if err != nil {
		t.Fatal(err)
	}
	baikonur, _ := ticketCentre(t, g, res.Ticket.ID)
	esil := baikonur
	areas, err := g.store.CentreAreas(g.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := dispatch.AreaNamed(areas, "Есиль"); ok {
		esil = a.CentreID
	}
	if esil == baikonur || baikonur == 0 {
		t.Fatalf("centres: baikonur %d esil %d", baikonur, esil)
	}
	users := []struct {
		name   string
		role   dispatch.Role
		centre int64
		sees   bool
	}{
		{"dana-baikonur", dispatch.RoleDispatcher, baikonur, true},
		{"erlan-esil", dispatch.RoleDispatcher, esil, false},
		{"coordinator", dispatch.RoleCoordinator, esil, true},
	}
	for _, u := range users {
		usr := &dispatch.User{Name: u.name, Role: u.role, PasswordHash: "x"}
		if err := g.store.CreateUser(g.ctx, usr); err != nil {
			t.Fatalf("%s: %v", u.name, err) // the role check must accept coordinator
		}
		err := g.store.InTx(g.ctx, func(r dispatch.Repo) error {
			cr, err := dispatch.AsCentreRepo(r)
			if err != nil {
				return err
			}
			if err := cr.SetUserCentre(g.ctx, usr.ID, u.centre); err != nil {
				return err
			}
			mine, err := cr.UserCentre(g.ctx, usr.ID)
			if err != nil {
				return err
			}
			theirs, _, err := cr.TicketCentre(g.ctx, res.Ticket.ID)
			if err != nil {
				return err
			}
			if got := dispatch.SeesCentre(u.role, mine, theirs); got != u.sees {
				t.Errorf("%s sees the Baikonur ticket: %v, want %v", u.name, got, u.sees)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
