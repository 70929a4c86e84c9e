package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// This file holds what people do to tickets besides answering offers: the
// volunteer's progress (on my way, done, pause) and the dispatchers'
// actions. Each is one transaction under the ticket's row lock, with its
// audit event; an illegal transition is ECONFLICT.

// OnMyWay marks the volunteer's assigned ticket in progress and tells the
// client.
func (e *Engine) OnMyWay(ctx context.Context, volunteerID, ticketID int64, note string) error {
	const op = "dispatch.Engine.OnMyWay"
	return E(op, e.volunteerTask(ctx, volunteerID, ticketID, StatusInProgress, func(r Repo, fx *engineFx, t *Ticket, v *Volunteer, c *Client, ev *TicketEvent) error {
		key := fmt.Sprintf("onway:%d:%d", t.ID, ev.ID)
		if err := e.message(ctx, r, key+":volunteer", v.Phone, volunteerLang(v, t.Lang), t, "volunteer.onway_ok", map[string]any{"Code": t.Code}); err != nil {
			return err
		}
		return e.message(ctx, r, key+":client", c.Phone, clientLang(t, c), t, "client.onway", map[string]any{"Code": t.Code, "VolunteerName": v.Name})
	}, note))
}

// Done completes the volunteer's ticket, asks the client to confirm and
// rate, and sets the ticket due for the follow-up when they do not.
func (e *Engine) Done(ctx context.Context, volunteerID, ticketID int64, note string) error {
	const op = "dispatch.Engine.Done"
	return E(op, e.volunteerTask(ctx, volunteerID, ticketID, StatusCompleted, func(r Repo, fx *engineFx, t *Ticket, v *Volunteer, c *Client, ev *TicketEvent) error {
		now := e.now()
		due := now.Add(e.opts.ConfirmWindow)
		t.CompletedAt, t.DueAt = &now, &due
		fx.push(t, due)
		key := fmt.Sprintf("done:%d:%d", t.ID, ev.ID)
		if err := e.message(ctx, r, key+":volunteer", v.Phone, volunteerLang(v, t.Lang), t, "volunteer.done_ok", map[string]any{"Code": t.Code}); err != nil {
			return err
		}
		return e.message(ctx, r, key+":client", c.Phone, clientLang(t, c), t, "client.done", map[string]any{"Code": t.Code})
	}, note))
}

// volunteerTask moves the volunteer's own ticket to status to, runs then in
// the same transaction, and refreshes the volunteer in the geo index (a
// finished task frees a slot). Repeating the move is not an error.
func (e *Engine) volunteerTask(ctx context.Context, volunteerID, ticketID int64, to Status,
	then func(Repo, *engineFx, *Ticket, *Volunteer, *Client, *TicketEvent) error, note string) error {
	return e.inTx(ctx, func(r Repo, fx *engineFx) error {
		t, err := r.TicketForUpdate(ctx, ticketID)
		if err != nil {
			return err
		}
		if t.VolunteerID == nil || *t.VolunteerID != volunteerID {
			return Errorf(ECONFLICT, "ticket %s is not assigned to volunteer %d", t.Code, volunteerID)
		}
		if t.Status == to {
			return nil // a resent text
		}
		ev, err := fx.transition(ctx, r, t, to, volunteerActor(volunteerID), ChannelSMS, note)
		if err != nil {
			return err
		}
		v, err := r.Volunteer(ctx, volunteerID)
		if err != nil {
			return err
		}
		c, err := r.Client(ctx, t.ClientID)
		if err != nil {
			return err
		}
		if err := then(r, fx, t, v, c, ev); err != nil {
			return err
		}
		if err := r.UpdateTicket(ctx, t); err != nil {
			return err
		}
		if v, err = r.Volunteer(ctx, volunteerID); err != nil {
			return err
		}
		fx.volunteer(v)
		return nil
	})
}

// SetAvailable pauses or resumes a volunteer and updates the geo index.
func (e *Engine) SetAvailable(ctx context.Context, volunteerID int64, available bool, actor Actor) error {
	const op = "dispatch.Engine.SetAvailable"
	err := e.inTx(ctx, func(r Repo, fx *engineFx) error {
		v, err := r.Volunteer(ctx, volunteerID)
		if err != nil {
			return err
		}
		if v.Available != available {
			v.Available = available
			// A sign-up becomes available only through its approval.
			if err := CheckAvailable(v); err != nil {
				return err
			}
			if err := r.UpdateVolunteer(ctx, v); err != nil {
				return err
			}
			e.log.Info("engine: volunteer availability", "volunteer", v.ID, "available", available, "actor", string(actor))
		}
		fx.volunteer(v)
		return nil
	})
	return E(op, err)
}

// Assign gives a ticket to the volunteer a dispatcher chose, with the same
// lock as an accept, so it cannot race one.
func (e *Engine) Assign(ctx context.Context, ticketID, volunteerID int64, actor Actor, reason string) (*Ticket, error) {
	const op = "dispatch.Engine.Assign"
	return e.ticketAction(ctx, op, ticketID, func(r Repo, fx *engineFx, t *Ticket) error {
		if err := CheckTransition(t.Status, StatusAssigned); err != nil {
			return err
		}
		v, err := r.Volunteer(ctx, volunteerID)
		if err != nil {
			return err
		}
		if v.OptedOut {
			return Errorf(EUNPROCESSABLE, "volunteer %d has opted out of messages", v.ID)
		}
		return e.assign(ctx, r, fx, t, v, nil, actor, ChannelConsole, reason, e.now())
	})
}

// Redispatch takes the ticket from whoever has it and gives it back to the
// engine, which starts again with the first wave (volunteers offered
// before are not offered it again).
func (e *Engine) Redispatch(ctx context.Context, ticketID int64, actor Actor, reason string) (*Ticket, error) {
	const op = "dispatch.Engine.Redispatch"
	return e.ticketAction(ctx, op, ticketID, func(r Repo, fx *engineFx, t *Ticket) error {
		if t.Location == nil {
			return Errorf(EUNPROCESSABLE, "ticket %s has no location: set one before sending it back to the engine", t.Code)
		}
		return e.requeue(ctx, r, fx, t, actor, reason, "volunteer.taken")
	})
}

// Deescalate sends an escalated ticket back to the engine.
func (e *Engine) Deescalate(ctx context.Context, ticketID int64, actor Actor, reason string) (*Ticket, error) {
	const op = "dispatch.Engine.Deescalate"
	return e.ticketAction(ctx, op, ticketID, func(r Repo, fx *engineFx, t *Ticket) error {
		if t.Status != StatusEscalated {
			return Errorf(ECONFLICT, "ticket %s is %s, not escalated", t.Code, t.Status)
		}
		if t.Location == nil {
			return Errorf(EUNPROCESSABLE, "ticket %s has no location: set one before sending it back to the engine", t.Code)
		}
		return e.requeue(ctx, r, fx, t, actor, reason, "volunteer.taken")
	})
}

// requeue moves t to queued, due now, with a fresh count of waves; offers
// still open are withdrawn and an assigned volunteer is released.
func (e *Engine) requeue(ctx context.Context, r Repo, fx *engineFx, t *Ticket, actor Actor, reason, template string) error {
	ev, err := fx.transition(ctx, r, t, StatusQueued, actor, ChannelConsole, reason)
	if err != nil {
		return err
	}
	now := e.now()
	if err := e.release(ctx, r, fx, t, template, ev.ID, now); err != nil {
		return err
	}
	t.Wave, t.Reason, t.DueAt = 0, "", &now
	fx.push(t, now)
	return r.UpdateTicket(ctx, t)
}

// release withdraws t's open offers and frees its volunteer, telling each
// with template; eventID, the transition's, keys the volunteer's message.
func (e *Engine) release(ctx context.Context, r Repo, fx *engineFx, t *Ticket, template string, eventID int64, now time.Time) error {
	offers, err := r.Offers(ctx, t.ID)
	if err != nil {
		return err
	}
	if err := e.closeOffers(ctx, r, fx, t, offers, OfferWithdrawn, template, now); err != nil {
		return err
	}
	for _, o := range offers {
		if o.Status == OfferAccepted { // the volunteer released below
			o.Status = OfferWithdrawn
			if err := r.UpdateOffer(ctx, o); err != nil {
				return err
			}
		}
	}
	if t.VolunteerID == nil {
		return nil
	}
	v, err := r.Volunteer(ctx, *t.VolunteerID)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("released:%d:%d", t.ID, eventID)
	if err := e.message(ctx, r, key, v.Phone, volunteerLang(v, t.Lang), t, template, map[string]any{"Code": t.Code}); err != nil {
		return err
	}
	t.VolunteerID, t.AssignedAt = nil, nil
	fx.freed = append(fx.freed, v.ID)
	return nil
}

// Cancel ends the ticket, tells the client, withdraws the offers and
// releases the volunteer.
func (e *Engine) Cancel(ctx context.Context, ticketID int64, actor Actor, reason string) (*Ticket, error) {
	const op = "dispatch.Engine.Cancel"
	return e.ticketAction(ctx, op, ticketID, func(r Repo, fx *engineFx, t *Ticket) error {
		ev, err := fx.transition(ctx, r, t, StatusCancelled, actor, ChannelConsole, reason)
		if err != nil {
			return err
		}
		now := e.now()
		if err := e.release(ctx, r, fx, t, "volunteer.taken", ev.ID, now); err != nil {
			return err
		}
		c, err := r.Client(ctx, t.ClientID)
		if err != nil {
			return err
		}
		if err := e.message(ctx, r, fmt.Sprintf("cancelled:%d", t.ID), c.Phone, clientLang(t, c), t, "client.cancelled", map[string]any{"Code": t.Code}); err != nil {
			return err
		}
		t.Reason, t.DueAt = reason, nil
		return r.UpdateTicket(ctx, t)
	})
}

// Escalate hands the ticket to the dispatchers with a reason.
func (e *Engine) Escalate(ctx context.Context, ticketID int64, actor Actor, reason string) (*Ticket, error) {
	const op = "dispatch.Engine.Escalate"
	if strings.TrimSpace(reason) == "" {
		return nil, E(op, Errorf(EINVALID, "reason is required to escalate a ticket"))
	}
	return e.ticketAction(ctx, op, ticketID, func(r Repo, fx *engineFx, t *Ticket) error {
		return e.escalate(ctx, r, fx, t, actor, ChannelConsole, reason)
	})
}

// AddNote adds a dispatcher's note to the timeline.
func (e *Engine) AddNote(ctx context.Context, ticketID int64, actor Actor, note string) error {
	const op = "dispatch.Engine.AddNote"
	if strings.TrimSpace(note) == "" {
		return E(op, Errorf(EINVALID, "note is empty"))
	}
	_, err := e.ticketAction(ctx, op, ticketID, func(r Repo, fx *engineFx, t *Ticket) error {
		return fx.record(ctx, r, t, &TicketEvent{Kind: EventNote, Actor: string(actor), Channel: ChannelConsole, Reason: note})
	})
	return err
}

// Edit changes a ticket's place, address, category or urgency. A queued
// ticket whose urgency changes is pushed again, so the queue serves it in
// its new order; a ticket escalated for want of a location can be
// deescalated once it has one.
func (e *Engine) Edit(ctx context.Context, ticketID int64, actor Actor, ed TicketEdit) (*Ticket, error) {
	const op = "dispatch.Engine.Edit"
	if ed.Location != nil {
		if err := ed.Location.Validate(); err != nil {
			return nil, E(op, err)
		}
	}
	if ed.Category != nil && !ed.Category.Valid() {
		return nil, E(op, Errorf(EINVALID, "category %q is not one of %v", *ed.Category, Categories))
	}
	if ed.Urgency != nil && !ed.Urgency.Valid() {
		return nil, E(op, Errorf(EINVALID, "urgency %q is not normal or urgent", *ed.Urgency))
	}
	return e.ticketAction(ctx, op, ticketID, func(r Repo, fx *engineFx, t *Ticket) error {
		if !t.Open() {
			return Errorf(ECONFLICT, "ticket %s is %s and can no longer change", t.Code, t.Status)
		}
		changed := map[string]any{}
		if ed.Location != nil {
			loc := *ed.Location
			t.Location, changed["location"] = &loc, loc
		}
		if ed.Address != nil {
			t.Address, changed["address"] = *ed.Address, *ed.Address
		}
		if ed.Category != nil {
			t.Category, changed["category"] = *ed.Category, *ed.Category
		}
		if ed.Urgency != nil {
			t.Urgency, changed["urgency"] = *ed.Urgency, *ed.Urgency
			if t.Status == StatusQueued || t.Status == StatusOffered {
				fx.push(t, e.now())
			}
		}
		if len(changed) == 0 {
			return Errorf(EINVALID, "nothing to change: give a location, address, category or urgency")
		}
		b, err := json.Marshal(changed)
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(changed))
		for k := range changed {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		err = fx.record(ctx, r, t, &TicketEvent{Kind: EventUpdate, Actor: string(actor), Channel: ChannelConsole,
			Reason: "changed " + strings.Join(keys, ", "), Data: string(b)})
		if err != nil {
			return err
		}
		return r.UpdateTicket(ctx, t)
	})
}

// TextClient sends a dispatcher's text to the ticket's client, recorded on
// the timeline.
func (e *Engine) TextClient(ctx context.Context, ticketID int64, actor Actor, body string) error {
	const op = "dispatch.Engine.TextClient"
	body = strings.TrimSpace(body)
	if body == "" {
		return E(op, Errorf(EINVALID, "message text is empty"))
	}
	_, err := e.ticketAction(ctx, op, ticketID, func(r Repo, fx *engineFx, t *Ticket) error {
		c, err := r.Client(ctx, t.ClientID)
		if err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]string{"text": body})
		ev := &TicketEvent{Kind: EventMessage, Actor: string(actor), Channel: ChannelConsole, Reason: "text to the client", Data: string(data)}
		if err := fx.record(ctx, r, t, ev); err != nil {
			return err
		}
		return e.message(ctx, r, fmt.Sprintf("dispatcher:%d:%d", t.ID, ev.ID), c.Phone, clientLang(t, c), t,
			"client.dispatcher", map[string]any{"Code": t.Code, "Text": body})
	})
	return err
}

// Suggest ranks the volunteers the matcher would offer the ticket to now,
// and lists who it would leave out and why, without offering anything.
func (e *Engine) Suggest(ctx context.Context, ticketID int64) ([]Candidate, error) {
	const op = "dispatch.Engine.Suggest"
	t, err := e.store.Ticket(ctx, ticketID)
	if err != nil {
		return nil, E(op, err)
	}
	res, err := e.match(ctx, e.store, t, e.now())
	if err != nil {
		return nil, E(op, err)
	}
	return append(res.Eligible, res.Filtered...), nil
}

// ticketAction runs fn on the locked ticket and returns it as fn left it.
func (e *Engine) ticketAction(ctx context.Context, op string, ticketID int64, fn func(Repo, *engineFx, *Ticket) error) (*Ticket, error) {
	var out *Ticket
	err := e.inTx(ctx, func(r Repo, fx *engineFx) error {
		t, err := r.TicketForUpdate(ctx, ticketID)
		if err != nil {
			return err
		}
		out = t
		return fn(r, fx, t)
	})
	if err != nil {
		return nil, E(op, err)
	}
	return out, nil
}
