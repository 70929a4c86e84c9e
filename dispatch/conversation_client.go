package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// relayGrace is how long after a ticket ends a text from its client is
// still taken as meant for the volunteer, and answered that the relay has
// closed (once) rather than made a new request.
const relayGrace = 24 * time.Hour

// client answers a text from a number that is not a volunteer's.
func (c *Conversation) client(ctx context.Context, m *InboundMessage) error {
	cl, err := c.store.ClientByPhone(ctx, m.From)
	if err != nil && !IsCode(err, ENOTFOUND) {
		return err
	}
	tn := &turn{m: m, cmd: ParseCommand(m.Body), lang: clientReplyLang(cl, m.Body)}
	switch tn.cmd.Kind {
	case CmdStop, CmdStart:
		return c.optOut(ctx, tn, tn.cmd.Kind == CmdStop, "client")
	case CmdHelp:
		return c.replyNow(ctx, tn, nil, "client.help", nil)
	}
	if cl == nil {
		return c.submit(ctx, tn)
	}
	ts, _, err := c.store.Tickets(ctx, TicketFilter{ClientID: &cl.ID, Limit: 1})
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		return c.submit(ctx, tn)
	}
	t := ts[0]
	switch {
	case (t.Status == StatusAssigned || t.Status == StatusInProgress) && t.VolunteerID != nil:
		v, err := c.store.Volunteer(ctx, *t.VolunteerID)
		if err != nil {
			return err
		}
		return c.relay(ctx, t, tn, v.Phone, volunteerLangFor(v, t.Lang), "relay.from_client", ActorClient)
	case t.Status == StatusCompleted && tn.cmd.Rating > 0:
		return c.rate(ctx, t, tn)
	case t.Status.Final() && t.VolunteerID != nil && c.opts.Now().Sub(t.UpdatedAt) < relayGrace:
		told, err := c.toldClosed(ctx, t.ID)
		if err != nil {
			return err
		}
		if !told {
			id := t.ID
			return c.replyNow(ctx, tn, &id, "relay.closed", map[string]any{"Code": t.Code})
		}
	}
	return c.submit(ctx, tn)
}

// rate records the client's rating of a completed ticket, which is also
// their confirmation that it was done, and thanks them. A second rating is
// kept too: the person changed their mind.
func (c *Conversation) rate(ctx context.Context, t *Ticket, tn *turn) error {
	var ev *TicketEvent
	err := c.store.InTx(ctx, func(r Repo) error {
		data, _ := json.Marshal(map[string]any{"rating": tn.cmd.Rating, "note": tn.cmd.Note, "message_sid": tn.m.MessageSID})
		ev = &TicketEvent{TicketID: t.ID, Kind: kindRating, Actor: string(ActorClient), Channel: ChannelSMS,
			Reason: fmt.Sprintf("rated %d of 5", tn.cmd.Rating), Data: string(data)}
		if err := r.AddEvent(ctx, ev); err != nil {
			return err
		}
		id := t.ID
		return c.reply(ctx, r, tn, &id, "client.thanks", map[string]any{"Code": t.Code})
	})
	if err == nil {
		c.publish(ctx, ev)
	}
	return err
}

func (c *Conversation) toldClosed(ctx context.Context, ticketID int64) (bool, error) {
	ns, err := c.store.Notifications(ctx, ticketID)
	if err != nil {
		return false, err
	}
	for _, n := range ns {
		if n.Template == "relay.closed" {
			return true, nil
		}
	}
	return false, nil
}

// submit makes the text a request for help; intake confirms it to the
// person. A text intake cannot use (empty) gets the help text instead.
func (c *Conversation) submit(ctx context.Context, tn *turn) error {
	desc := strings.TrimSpace(tn.m.Body)
	if desc == "" && len(tn.m.MediaURLs) > 0 {
		desc = fmt.Sprintf("(%d photo(s) sent by SMS)", len(tn.m.MediaURLs))
	}
	if desc == "" {
		return c.replyNow(ctx, tn, nil, "client.help", nil)
	}
	res, err := c.intake.Submit(ctx, IntakeRequest{SourceID: tn.m.MessageSID, Channel: ChannelSMS, Phone: tn.m.From,
		Description: desc, Actor: ActorClient})
	// Intake marks the text handled in the commit of the ticket it made of
	// it (CreateIntakeTicket), which saves HandleSMS writing it again.
	tn.m.handled = err == nil && res != nil && res.Ticket != nil && !res.Existing && res.Ticket.SourceID == tn.m.MessageSID
	if IsCode(err, EINVALID) || IsCode(err, EUNPROCESSABLE) {
		return c.replyNow(ctx, tn, nil, "client.help", nil)
	}
	return err
}

func clientReplyLang(cl *Client, body string) Lang {
	if cl != nil && cl.Lang.Valid() {
		return cl.Lang
	}
	if strings.IndexFunc(body, isLetter) >= 0 {
		return DetectLang(body)
	}
	return LangRU
}

// volunteerLangFor is the language to write to v about a ticket in lang.
func volunteerLangFor(v *Volunteer, lang Lang) Lang {
	if v.SpeaksAny(lang) || len(v.Languages) == 0 {
		return lang
	}
	return v.Languages[0]
}
