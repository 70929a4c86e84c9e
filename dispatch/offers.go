package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// nextWave offers t to the best candidates not offered yet, or escalates it
// when the waves or the wait are used up or nobody is left.
func (e *Engine) nextWave(ctx context.Context, r Repo, fx *engineFx, t *Ticket, now time.Time) error {
	if t.Category.Consult() { // consult.go: never offered to volunteers
		return e.escalate(ctx, r, fx, t, ActorSystem, ChannelSystem, ReasonConsultation)
	}
	if t.Location == nil {
		return e.escalate(ctx, r, fx, t, ActorSystem, ChannelSystem, "needs location")
	}
	if t.Wave >= e.opts.MaxWaves {
		return e.escalate(ctx, r, fx, t, ActorSystem, ChannelSystem,
			fmt.Sprintf("no volunteer accepted after %d waves", t.Wave))
	}
	if late, err := e.waitedTooLong(ctx, r, t, now); err != nil {
		return err
	} else if late {
		return e.escalate(ctx, r, fx, t, ActorSystem, ChannelSystem,
			fmt.Sprintf("no volunteer accepted within %s", e.opts.MaxWait))
	}
	if sent, err := e.regularWave(ctx, r, fx, t, now); sent || err != nil {
		return err
	}
	res, err := e.match(ctx, r, t, now)
	if IsCode(err, EINVALID) {
		// A place the geo index cannot search (validated at intake, so
		// rare): retrying would fail forever, a dispatcher can fix it.
		return e.escalate(ctx, r, fx, t, ActorSystem, ChannelSystem, "location cannot be searched: "+ErrorMessage(err))
	} else if err != nil {
		return err
	}
	if err := e.recordMatch(ctx, r, fx, t, res, ""); err != nil {
		return err
	}
	if len(res.Eligible) == 0 {
		reason := NoMatchReason(t, res)
		if t.Wave > 0 {
			reason = fmt.Sprintf("no volunteer accepted after %d waves; %s", t.Wave, reason)
		}
		return e.escalate(ctx, r, fx, t, ActorSystem, ChannelSystem, reason)
	}
	return e.offerWave(ctx, r, fx, t, res, now)
}

// offerWave offers t to the best Batch of res's eligible candidates at once
// and sets the ticket due when their offers expire.
func (e *Engine) offerWave(ctx context.Context, r Repo, fx *engineFx, t *Ticket, res *MatchResult, now time.Time) error {
	wave, expires := t.Wave+1, now.Add(e.opts.OfferTTL)
	for _, c := range res.Eligible[:min(e.opts.Batch, len(res.Eligible))] {
		o := &Offer{TicketID: t.ID, VolunteerID: c.VolunteerID, Wave: wave, Status: OfferPending,
			Score: c.Score, DistanceM: c.DistanceM, SentAt: now, ExpiresAt: expires}
		if err := e.sendOffer(ctx, r, fx, t, res.vols[c.VolunteerID], o); err != nil {
			return err
		}
	}
	if t.Status != StatusOffered {
		if _, err := fx.transition(ctx, r, t, StatusOffered, ActorSystem, ChannelSystem, fmt.Sprintf("wave %d", wave)); err != nil {
			return err
		}
	}
	t.Wave, t.DueAt = wave, &expires
	fx.push(t, expires)
	return r.UpdateTicket(ctx, t)
}

// sendOffer records one offer and queues its text. The text carries the
// kind of help, a rounded distance, the time window and the code: never
// the client's name, phone or address, which go to the volunteer only
// after accepting.
func (e *Engine) sendOffer(ctx context.Context, r Repo, fx *engineFx, t *Ticket, v *Volunteer, o *Offer) error {
	if err := r.CreateOffer(ctx, o); err != nil {
		return err
	}
	data := map[string]any{
		"Code":       t.Code,
		"Category":   string(t.Category),
		"DistanceKM": int(math.Max(1, math.Round(o.DistanceM/1000))),
		"Window":     e.windowText(t),
		"TTLMinutes": int(math.Ceil(e.opts.OfferTTL.Minutes())),
	}
	key := fmt.Sprintf("offer:%d", o.ID)
	if err := e.message(ctx, r, key, v.Phone, volunteerLang(v, t.Lang), t, "volunteer.offer", data); err != nil {
		return err
	}
	return fx.record(ctx, r, t, &TicketEvent{Kind: EventOffer, Actor: string(ActorSystem), Channel: ChannelSystem,
		Reason: fmt.Sprintf("offered to volunteer %d in wave %d", v.ID, o.Wave), Data: offerData(o, "sent")})
}

// windowText is the requested time window as the offer shows it ("" when
// the help is wanted now).
func (e *Engine) windowText(t *Ticket) string {
	if t.WindowStart == nil {
		return ""
	}
	s := t.WindowStart.In(e.opts.Location).Format("02.01 15:04")
	if t.WindowEnd != nil {
		s += "–" + t.WindowEnd.In(e.opts.Location).Format("15:04")
	}
	return s
}

// checkWave looks at an offered ticket: while an offer of the current wave
// is open it waits; otherwise it expires what is left and sends the next
// wave.
func (e *Engine) checkWave(ctx context.Context, r Repo, fx *engineFx, t *Ticket, now time.Time) error {
	offers, err := r.Offers(ctx, t.ID)
	if err != nil {
		return err
	}
	var next time.Time
	for _, o := range offers {
		if o.Status == OfferPending && o.Wave == t.Wave && now.Before(o.ExpiresAt) && (next.IsZero() || o.ExpiresAt.Before(next)) {
			next = o.ExpiresAt
		}
	}
	if !next.IsZero() && (t.DueAt == nil || now.Before(*t.DueAt)) {
		fx.push(t, next) // handed out early (a decline, the reconciler): look again at expiry
		return nil
	}
	if err := e.closeOffers(ctx, r, fx, t, offers, OfferExpired, "volunteer.expired", now); err != nil {
		return err
	}
	return e.nextWave(ctx, r, fx, t, now)
}

// closeOffers ends every pending offer of t with status st and tells each
// volunteer with template (volunteer.expired, volunteer.taken).
func (e *Engine) closeOffers(ctx context.Context, r Repo, fx *engineFx, t *Ticket, offers []*Offer, st OfferStatus, template string, now time.Time) error {
	var open []GeoHit
	for _, o := range offers {
		if o.Status == OfferPending {
			open = append(open, GeoHit{VolunteerID: o.VolunteerID})
		}
	}
	if len(open) == 0 {
		return nil
	}
	vols, err := loadVolunteers(ctx, r, open)
	if err != nil {
		return err
	}
	for _, o := range offers {
		if o.Status != OfferPending {
			continue
		}
		o.Status, o.AnsweredAt = st, &now
		if err := r.UpdateOffer(ctx, o); err != nil {
			return err
		}
		v := vols[o.VolunteerID]
		if v == nil {
			return Errorf(ENOTFOUND, "volunteer %d of offer %d not found", o.VolunteerID, o.ID)
		}
		key := fmt.Sprintf("%s:%d", st, o.ID)
		if err := e.message(ctx, r, key, v.Phone, volunteerLang(v, t.Lang), t, template, map[string]any{"Code": t.Code}); err != nil {
			return err
		}
		err = fx.record(ctx, r, t, &TicketEvent{Kind: EventOffer, Actor: string(ActorSystem), Channel: ChannelSystem,
			Reason: fmt.Sprintf("offer to volunteer %d %s", o.VolunteerID, st), Data: offerData(o, string(st))})
		if err != nil {
			return err
		}
	}
	return nil
}

// escalate hands t to the dispatchers with the reason, closing its offers.
func (e *Engine) escalate(ctx context.Context, r Repo, fx *engineFx, t *Ticket, actor Actor, ch Channel, reason string) error {
	offers, err := r.Offers(ctx, t.ID)
	if err != nil {
		return err
	}
	if _, err := fx.transition(ctx, r, t, StatusEscalated, actor, ch, reason); err != nil {
		return err
	}
	if err := e.closeOffers(ctx, r, fx, t, offers, OfferWithdrawn, "volunteer.expired", e.now()); err != nil {
		return err
	}
	t.Reason, t.DueAt = reason, nil
	return r.UpdateTicket(ctx, t)
}

// waitedTooLong reports whether t has waited MaxWait for a volunteer, since
// it was created or since a dispatcher last sent it back to the engine.
func (e *Engine) waitedTooLong(ctx context.Context, r Repo, t *Ticket, now time.Time) (bool, error) {
	if now.Sub(t.CreatedAt) < e.opts.MaxWait {
		return false, nil
	}
	evs, err := r.Events(ctx, t.ID)
	if err != nil {
		return false, err
	}
	start := t.CreatedAt
	for _, ev := range evs {
		if ev.Kind == EventTransition && ev.To == StatusQueued && ev.Actor != string(ActorSystem) && ev.At.After(start) {
			start = ev.At
		}
	}
	return now.Sub(start) >= e.opts.MaxWait, nil
}

// matchEventLimit caps the candidates one "match" event lists, to keep
// the timeline readable and the row small; the counts cover the rest.
const matchEventLimit = 30

// recordMatch writes what the matcher saw: who was considered, with each
// distance and score part, and who was filtered out and why.
func (e *Engine) recordMatch(ctx context.Context, r Repo, fx *engineFx, t *Ticket, res *MatchResult, note string) error {
	counts := map[string]int{}
	for _, c := range res.Filtered {
		counts[c.Filtered]++
	}
	b, err := json.Marshal(map[string]any{
		"wave":            t.Wave + 1,
		"radius_km":       res.RadiusKM,
		"hits":            res.Hits,
		"eligible_count":  len(res.Eligible),
		"filtered_counts": counts,
		"eligible":        res.Eligible[:min(matchEventLimit, len(res.Eligible))],
		"filtered":        res.Filtered[:min(matchEventLimit, len(res.Filtered))],
	})
	if err != nil {
		return err
	}
	return fx.record(ctx, r, t, &TicketEvent{Kind: EventMatch, Actor: string(ActorSystem), Channel: ChannelSystem,
		Reason: joinNote(fmt.Sprintf("%d eligible, %d filtered within %g km", len(res.Eligible), len(res.Filtered), res.RadiusKM), note),
		Data:   string(b)})
}

func offerData(o *Offer, what string) string {
	b, _ := json.Marshal(map[string]any{"offer_id": o.ID, "volunteer_id": o.VolunteerID, "wave": o.Wave,
		"status": what, "score": o.Score, "distance_m": math.Round(o.DistanceM)})
	return string(b)
}

// Accept gives t to the volunteer when their offer of it is open. The
// ticket's row lock makes the first accept win on any process; the others
// find the ticket assigned and get ECONFLICT. The partial unique index on
// accepted offers guards the same rule once more in the schema.
func (e *Engine) Accept(ctx context.Context, volunteerID, ticketID int64, note string) (*Ticket, error) {
	const op = "dispatch.Engine.Accept"
	var out *Ticket
	err := e.inTx(ctx, func(r Repo, fx *engineFx) error {
		t, err := r.TicketForUpdate(ctx, ticketID)
		if err != nil {
			return err
		}
		if t.VolunteerID != nil && *t.VolunteerID == volunteerID && (t.Status == StatusAssigned || t.Status == StatusInProgress) {
			out = t // the same accept again (a resent text)
			return nil
		}
		if t.Status != StatusOffered {
			return Errorf(ECONFLICT, "ticket %s is no longer open for offers", t.Code)
		}
		now := e.now()
		o, err := pendingOffer(ctx, r, t, volunteerID)
		if err != nil {
			return err
		}
		if !now.Before(o.ExpiresAt) {
			return Errorf(ECONFLICT, "the offer of ticket %s has expired", t.Code)
		}
		v, err := r.Volunteer(ctx, volunteerID)
		if err != nil {
			return err
		}
		if v.ActiveTasks >= v.MaxTasks {
			return Errorf(ECONFLICT, "volunteer %d has %d tasks already, the most they take", v.ID, v.ActiveTasks)
		}
		out = t
		return e.assign(ctx, r, fx, t, v, o, volunteerActor(volunteerID), ChannelSMS, note, now)
	})
	if err != nil {
		return nil, E(op, err)
	}
	return out, nil
}

// pendingOffer is the volunteer's open offer of t.
func pendingOffer(ctx context.Context, r Repo, t *Ticket, volunteerID int64) (*Offer, error) {
	offers, err := r.Offers(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range offers {
		if o.VolunteerID == volunteerID && o.Status == OfferPending {
			return o, nil
		}
	}
	return nil, Errorf(ECONFLICT, "volunteer %d has no open offer of ticket %s", volunteerID, t.Code)
}

// assign gives t to v (through v's offer o, or by a dispatcher when o is
// nil), withdraws the other offers, and only now sends the volunteer the
// client's name, phone and address.
func (e *Engine) assign(ctx context.Context, r Repo, fx *engineFx, t *Ticket, v *Volunteer, o *Offer, actor Actor, ch Channel, reason string, now time.Time) error {
	ev, err := fx.transition(ctx, r, t, StatusAssigned, actor, ch, reason)
	if err != nil {
		return err
	}
	offers, err := r.Offers(ctx, t.ID)
	if err != nil {
		return err
	}
	if o == nil {
		// A dispatcher's choice is recorded as an accepted offer too, so
		// that the schema's one-accept rule covers it and a later search
		// does not offer the ticket to the same volunteer again.
		for _, x := range offers {
			if x.VolunteerID == v.ID {
				o = x
			}
		}
		if o == nil {
			o = &Offer{TicketID: t.ID, VolunteerID: v.ID, Wave: t.Wave, Status: OfferPending, SentAt: now, ExpiresAt: now}
			if err := r.CreateOffer(ctx, o); err != nil {
				return err
			}
		}
	}
	for _, x := range offers {
		if x.ID == o.ID {
			x.Status = OfferAccepted // not to be withdrawn below
		}
	}
	o.Status, o.AnsweredAt = OfferAccepted, &now
	if err := r.UpdateOffer(ctx, o); err != nil {
		return err
	}
	err = fx.record(ctx, r, t, &TicketEvent{Kind: EventOffer, Actor: string(actor), Channel: ch,
		Reason: fmt.Sprintf("offer to volunteer %d accepted", v.ID), Data: offerData(o, string(OfferAccepted))})
	if err != nil {
		return err
	}
	if err := e.closeOffers(ctx, r, fx, t, offers, OfferWithdrawn, "volunteer.taken", now); err != nil {
		return err
	}
	t.VolunteerID, t.AssignedAt, t.DueAt, t.Reason = &v.ID, &now, nil, ""
	if err := r.UpdateTicket(ctx, t); err != nil {
		return err
	}
	c, err := r.Client(ctx, t.ClientID)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("assigned:%d:%d", t.ID, ev.ID)
	err = e.message(ctx, r, key+":volunteer", v.Phone, volunteerLang(v, t.Lang), t, "volunteer.assigned", map[string]any{
		"Code": t.Code, "ClientName": c.Name, "ClientPhone": c.Phone, "Address": ticketAddress(t, c), "Description": t.Description})
	if err != nil {
		return err
	}
	err = e.message(ctx, r, key+":client", c.Phone, clientLang(t, c), t, "client.assigned", map[string]any{
		"Code": t.Code, "VolunteerName": v.Name, "When": e.windowText(t)})
	if err != nil {
		return err
	}
	// The stats are read again so that the new task counts.
	if v, err = r.Volunteer(ctx, v.ID); err != nil {
		return err
	}
	fx.volunteer(v)
	return nil
}

// Decline records a refusal. When no offer of the wave is left open, the
// ticket is due at once, so the next wave does not wait for the others'
// offers to expire.
func (e *Engine) Decline(ctx context.Context, volunteerID, ticketID int64, note string) error {
	const op = "dispatch.Engine.Decline"
	return E(op, e.inTx(ctx, func(r Repo, fx *engineFx) error {
		t, err := r.TicketForUpdate(ctx, ticketID)
		if err != nil {
			return err
		}
		o, err := pendingOffer(ctx, r, t, volunteerID)
		if err != nil {
			return err
		}
		now := e.now()
		o.Status, o.AnsweredAt = OfferDeclined, &now
		if err := r.UpdateOffer(ctx, o); err != nil {
			return err
		}
		err = fx.record(ctx, r, t, &TicketEvent{Kind: EventOffer, Actor: string(volunteerActor(volunteerID)), Channel: ChannelSMS,
			Reason: joinNote(fmt.Sprintf("offer to volunteer %d declined", volunteerID), note), Data: offerData(o, string(OfferDeclined))})
		if err != nil {
			return err
		}
		v, err := r.Volunteer(ctx, volunteerID)
		if err != nil {
			return err
		}
		if err := e.message(ctx, r, fmt.Sprintf("declined:%d", o.ID), v.Phone, volunteerLang(v, t.Lang), t,
			"volunteer.declined_ok", map[string]any{"Code": t.Code}); err != nil {
			return err
		}
		if t.Status != StatusOffered {
			return nil
		}
		offers, err := r.Offers(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, x := range offers {
			if x.Status == OfferPending && x.Wave == t.Wave {
				return nil // others may still accept
			}
		}
		t.DueAt = &now
		fx.push(t, now)
		return r.UpdateTicket(ctx, t)
	}))
}

func joinNote(s, note string) string {
	if note == "" {
		return s
	}
	return s + ": " + note
}

// ticketAddress is where the volunteer goes: the ticket's address, else the
// client's home.
func ticketAddress(t *Ticket, c *Client) string {
	if t.Address != "" {
		return t.Address
	}
	return c.Address
}

// clientLang is the language to write to the client in: the one they asked
// for help in.
func clientLang(t *Ticket, c *Client) Lang {
	if t.Lang.Valid() {
		return t.Lang
	}
	return c.Lang
}
