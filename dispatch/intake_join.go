package dispatch

import (
	"context"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// join adds a text to the sender's open text ticket when it came within the
// join window of that ticket's last change, so that a person who writes in
// several messages gets one ticket. It returns nil, nil when there is no
// such ticket.
func (in *Intake) join(ctx context.Context, c *Client, r IntakeRequest) (*IntakeResult, error) {
	open, _, err := in.store.Tickets(ctx, TicketFilter{ClientID: &c.ID, Open: true, Limit: 20})
	if err != nil {
		return nil, err
	}
	var target *Ticket
	since := in.opts.Now().Add(-in.opts.SMSJoinWindow)
	for _, t := range open {
		if t.Channel == ChannelSMS && t.UpdatedAt.After(since) && (target == nil || t.UpdatedAt.After(target.UpdatedAt)) {
			target = t
		}
	}
	if target == nil {
		return nil, nil
	}
	var joined *Ticket
	var eventID int64
	err = in.store.InTx(ctx, func(tx Repo) error {
		t, err := tx.TicketForUpdate(ctx, target.ID)
		if err != nil {
			return err
		}
		if !t.Open() {
			return nil // closed meanwhile: a new ticket it is
		}
		if r.SourceID != "" && t.SourceID == r.SourceID {
			joined = t // a retry of the text that opened this ticket
			return nil
		}
		events, err := tx.Events(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, e := range events {
			if r.SourceID != "" && e.Kind == EventMessage && eventSource(e.Data) == r.SourceID {
				joined = t // a retry of a text joined already
				return nil
			}
		}
		if r.Description != "" {
			if t.Description != "" {
				t.Description += "\n"
			}
			t.Description += r.Description
			if utf8.RuneCountInString(t.Description) > maxDescription {
				t.Description = string([]rune(t.Description)[:maxDescription])
			}
		}
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]string{"source_id": r.SourceID, "text": r.Description})
		e := &TicketEvent{TicketID: t.ID, Kind: EventMessage, Actor: string(r.Actor), Channel: r.Channel,
			Reason: "joined", Data: string(data)}
		if err := tx.AddEvent(ctx, e); err != nil {
			return err
		}
		joined, eventID = t, e.ID
		return nil
	})
	if err != nil || joined == nil {
		return nil, err
	}
	if eventID != 0 && in.bus != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := in.bus.Publish(ctx, Event{ID: eventID, TicketID: joined.ID, Kind: EventMessage, Status: joined.Status}); err != nil {
			in.opts.Logger.Warn("intake: event not published", "ticket", joined.ID, "err", err)
		}
	}
	return &IntakeResult{Ticket: joined, Client: c, Existing: true}, nil
}

// eventSource is the source_id a joined text's event recorded.
func eventSource(data string) string {
	var d struct {
		SourceID string `json:"source_id"`
	}
	_ = json.Unmarshal([]byte(data), &d)
	return d.SourceID
}
