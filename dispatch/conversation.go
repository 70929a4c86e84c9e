package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// ConversationOptions tune the SMS conversation. Zero values take defaults.
type ConversationOptions struct {
	// Bus, when set, tells live consoles about timeline entries it adds.
	Bus    EventBus
	Logger *slog.Logger
	Now    func() time.Time
}

// Conversation answers every incoming text: a volunteer's commands, a
// client's STOP/START/HELP, rating and messages to their volunteer, and
// anything else as a request for help. It implements SMSHandler.
type Conversation struct {
	store       Store
	assignments Assignments
	intake      TicketIntake
	msgs        Messages
	opts        ConversationOptions
}

var _ SMSHandler = (*Conversation)(nil)

// NewConversation returns the handler. Replies are queued in the outbox.
func NewConversation(store Store, assignments Assignments, intake TicketIntake, msgs Messages, opts ConversationOptions) *Conversation {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Conversation{store: store, assignments: assignments, intake: intake, msgs: msgs, opts: opts}
}

// kindRating is the event kind the engine reads as the client's confirmation.
const kindRating = "rating"

// HandleSMS records the text and acts on it. A MessageSID seen before does
// nothing: Twilio retries a webhook that was slow to answer. The record comes
// first, so a text is acted on at most once; if acting fails the error is
// returned for the webhook to log.
func (c *Conversation) HandleSMS(ctx context.Context, m *InboundMessage) error {
	const op = "dispatch.Conversation.HandleSMS"
	if m.MessageSID == "" || m.From == "" {
		return E(op, Errorf(EINVALID, "an incoming text needs MessageSid and From"))
	}
	// Twilio retries: a text handled before does nothing more, and one whose
	// handling failed (the process died, PostgreSQL blinked) is handled again
	// rather than dropped as seen. A retry that meets the text still held by
	// another request waits for it; if the holder is gone, the claim runs
	// out and the retry takes over; if neither happens in time, 503 asks
	// Twilio to come back.
	deadline := time.Now().Add(inboundWait)
	for {
		claim, err := c.store.ClaimInbound(ctx, m, inboundClaim)
		if err != nil {
			return E(op, err)
		}
		switch claim {
		case InboundHandled:
			return nil
		case InboundMine:
			err = c.handle(ctx, m)
			if err == nil && m.handled {
				return nil // marked in the ticket's own commit
			}
			// The claim's end is written even when the request was cancelled.
			if ferr := c.store.FinishInbound(context.WithoutCancel(ctx), m.ID, err == nil); ferr != nil && err == nil {
				err = ferr
			}
			return E(op, err)
		}
		if time.Now().After(deadline) {
			return E(op, Errorf(EUNAVAILABLE, "this text is being handled by another request; try again"))
		}
		select {
		case <-ctx.Done():
			return E(op, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// inboundClaim is how long one request holds a text before a retry may take
// it over; inboundWait how long a retry waits for the holder. Both are under
// the 15 s Twilio waits for a webhook's answer.
const (
	inboundClaim = 8 * time.Second
	inboundWait  = 10 * time.Second
)

func (c *Conversation) handle(ctx context.Context, m *InboundMessage) error {
	v, err := c.store.VolunteerByPhone(ctx, m.From)
	switch {
	case err == nil:
		return c.volunteer(ctx, v, m)
	case IsCode(err, ENOTFOUND):
		return c.client(ctx, m)
	}
	return err
}

// turn is one text being answered.
type turn struct {
	m    *InboundMessage
	cmd  Command
	lang Lang
}

func (c *Conversation) reply(ctx context.Context, r Repo, tn *turn, ticketID *int64, template string, data map[string]any) error {
	return QueueMessage(ctx, r, c.msgs, "reply:"+tn.m.MessageSID, tn.m.From, tn.lang, ticketID, template, data)
}

func (c *Conversation) replyNow(ctx context.Context, tn *turn, ticketID *int64, template string, data map[string]any) error {
	return c.store.InTx(ctx, func(r Repo) error { return c.reply(ctx, r, tn, ticketID, template, data) })
}

func (c *Conversation) volunteer(ctx context.Context, v *Volunteer, m *InboundMessage) error {
	tn := &turn{m: m, cmd: ParseCommand(m.Body), lang: volunteerReplyLang(v, m.Body)}
	actor := Actor(fmt.Sprintf("volunteer:%d", v.ID))
	switch tn.cmd.Kind {
	case CmdStop, CmdStart:
		return c.optOut(ctx, tn, tn.cmd.Kind == CmdStop, "volunteer")
	case CmdHelp:
		return c.replyNow(ctx, tn, nil, "volunteer.help", nil)
	case CmdPause, CmdResume:
		on := tn.cmd.Kind == CmdResume
		if err := c.assignments.SetAvailable(ctx, v.ID, on, actor); err != nil {
			return err
		}
		return c.replyNow(ctx, tn, nil, map[bool]string{true: "volunteer.resumed", false: "volunteer.paused"}[on], nil)
	case CmdAccept, CmdDecline:
		return c.answerOffer(ctx, v, tn)
	case CmdDone, CmdOnMyWay:
		return c.taskStep(ctx, v, tn)
	}
	tasks, err := c.activeTasks(ctx, v.ID)
	if err != nil {
		return err
	}
	if len(tasks) == 1 {
		return c.relayFromVolunteer(ctx, v, tasks[0], tn)
	}
	return c.replyNow(ctx, tn, nil, "volunteer.help", nil)
}

// answerOffer accepts or declines the offer the text means: the one quoted,
// or the only one pending.
func (c *Conversation) answerOffer(ctx context.Context, v *Volunteer, tn *turn) error {
	offers, err := c.store.PendingOffers(ctx, v.ID)
	if err != nil {
		return err
	}
	if tn.cmd.Code != "" {
		var match []*Offer
		for _, o := range offers {
			if o.TicketCode == tn.cmd.Code {
				match = append(match, o)
			}
		}
		offers = match
	}
	switch {
	case len(offers) == 0:
		// "Yes, the blue door" to a volunteer busy with one task is meant
		// for the client, not for an offer.
		if tasks, err := c.activeTasks(ctx, v.ID); err != nil {
			return err
		} else if len(tasks) == 1 && tn.cmd.Code == "" && tn.cmd.Rating == 0 {
			return c.relayFromVolunteer(ctx, v, tasks[0], tn)
		}
		if tn.cmd.Code != "" {
			return c.replyNow(ctx, tn, nil, "volunteer.taken", map[string]any{"Code": tn.cmd.Code})
		}
		return c.replyNow(ctx, tn, nil, "volunteer.no_offer", nil)
	case len(offers) > 1:
		codes := make([]string, len(offers))
		for i, o := range offers {
			codes[i] = o.TicketCode
		}
		return c.replyNow(ctx, tn, nil, "volunteer.which_code", map[string]any{"Codes": codes})
	}
	o := offers[0]
	if tn.cmd.Kind == CmdAccept {
		_, err = c.assignments.Accept(ctx, v.ID, o.TicketID, tn.cmd.Note)
	} else {
		err = c.assignments.Decline(ctx, v.ID, o.TicketID, tn.cmd.Note)
	}
	// The engine texts the outcome; a lost race or a closed offer is ours
	// to tell.
	if IsCode(err, ECONFLICT) || IsCode(err, ENOTFOUND) {
		id := o.TicketID
		return c.replyNow(ctx, tn, &id, "volunteer.taken", map[string]any{"Code": o.TicketCode})
	}
	return err
}

// taskStep marks the volunteer's task (the one quoted, or the only one) on
// the way or done.
func (c *Conversation) taskStep(ctx context.Context, v *Volunteer, tn *turn) error {
	tasks, err := c.activeTasks(ctx, v.ID)
	if err != nil {
		return err
	}
	if tn.cmd.Code != "" {
		var match []*Ticket
		for _, t := range tasks {
			if t.Code == tn.cmd.Code {
				match = append(match, t)
			}
		}
		tasks = match
	}
	switch {
	case len(tasks) == 0:
		return c.replyNow(ctx, tn, nil, "volunteer.no_task", nil)
	case len(tasks) > 1:
		codes := make([]string, len(tasks))
		for i, t := range tasks {
			codes[i] = t.Code
		}
		return c.replyNow(ctx, tn, nil, "volunteer.which_code", map[string]any{"Codes": codes})
	}
	t := tasks[0]
	if tn.cmd.Kind == CmdDone {
		err = c.assignments.Done(ctx, v.ID, t.ID, tn.cmd.Note)
	} else {
		err = c.assignments.OnMyWay(ctx, v.ID, t.ID, tn.cmd.Note)
	}
	if IsCode(err, ECONFLICT) {
		id := t.ID
		return c.replyNow(ctx, tn, &id, "volunteer.no_task", nil)
	}
	return err
}

func (c *Conversation) activeTasks(ctx context.Context, volunteerID int64) ([]*Ticket, error) {
	ts, _, err := c.store.Tickets(ctx, TicketFilter{Volunteer: &volunteerID, Status: []Status{StatusAssigned, StatusInProgress}, Limit: 20})
	return ts, err
}

// optOut records STOP or START for every role the number has, and
// confirms: the confirmation of STOP is the last message the number gets.
func (c *Conversation) optOut(ctx context.Context, tn *turn, stop bool, role string) error {
	template := role + ".started"
	if stop {
		template = role + ".stopped"
	}
	return c.store.InTx(ctx, func(r Repo) error {
		found := false
		if v, err := r.VolunteerByPhone(ctx, tn.m.From); err == nil {
			found = true
			if v.OptedOut != stop {
				v.OptedOut = stop
				if err := r.UpdateVolunteer(ctx, v); err != nil {
					return err
				}
			}
		} else if !IsCode(err, ENOTFOUND) {
			return err
		}
		cl, err := r.ClientByPhone(ctx, tn.m.From)
		switch {
		case err == nil:
			if cl.OptedOut != stop {
				cl.OptedOut = stop
				if err := r.UpdateClient(ctx, cl); err != nil {
					return err
				}
			}
		case IsCode(err, ENOTFOUND) && !found && stop && isE164(tn.m.From):
			// A stranger's STOP is kept too, so that a later request in
			// their name does not text them against their word.
			if err := r.CreateClient(ctx, &Client{Phone: tn.m.From, Lang: tn.lang, OptedOut: true}); err != nil {
				return err
			}
		case !IsCode(err, ENOTFOUND):
			return err
		}
		return c.reply(ctx, r, tn, nil, template, nil)
	})
}

func (c *Conversation) relayFromVolunteer(ctx context.Context, v *Volunteer, t *Ticket, tn *turn) error {
	cl, err := c.store.Client(ctx, t.ClientID)
	if err != nil {
		return err
	}
	return c.relay(ctx, t, tn, cl.Phone, clientLangOf(t, cl), "relay.from_volunteer", Actor(fmt.Sprintf("volunteer:%d", v.ID)))
}

// relay passes a text to the other side of a ticket under the hotline's
// number, so that neither sees the other's; the text goes on the timeline.
func (c *Conversation) relay(ctx context.Context, t *Ticket, tn *turn, to string, lang Lang, template string, actor Actor) error {
	text := strings.TrimSpace(tn.m.Body)
	if text == "" {
		text = "(" + fmt.Sprint(len(tn.m.MediaURLs)) + " media)"
	}
	var ev *TicketEvent
	err := c.store.InTx(ctx, func(r Repo) error {
		id := t.ID
		if err := QueueMessage(ctx, r, c.msgs, "relay:"+tn.m.MessageSID, to, lang, &id, template,
			map[string]any{"Code": t.Code, "Text": text}); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]any{"text": text, "message_sid": tn.m.MessageSID, "relay": template})
		ev = &TicketEvent{TicketID: t.ID, Kind: EventMessage, Actor: string(actor), Channel: ChannelSMS,
			Reason: "relayed: " + template, Data: string(data)}
		return r.AddEvent(ctx, ev)
	})
	if err == nil {
		c.publish(ctx, ev)
	}
	return err
}

func (c *Conversation) publish(ctx context.Context, ev *TicketEvent) {
	if c.opts.Bus == nil || ev == nil {
		return
	}
	if err := c.opts.Bus.Publish(ctx, Event{ID: ev.ID, TicketID: ev.TicketID, Kind: ev.Kind}); err != nil {
		c.opts.Logger.Warn("conversation: publish", "ticket", ev.TicketID, "err", err)
	}
}

func volunteerReplyLang(v *Volunteer, body string) Lang {
	if strings.IndexFunc(body, isLetter) >= 0 {
		if l := DetectLang(body); v.SpeaksAny(l) || len(v.Languages) == 0 {
			return l
		}
	}
	if len(v.Languages) > 0 {
		return v.Languages[0]
	}
	return LangRU
}

func clientLangOf(t *Ticket, c *Client) Lang {
	if c.Lang.Valid() {
		return c.Lang
	}
	if t.Lang.Valid() {
		return t.Lang
	}
	return LangRU
}

func isLetter(r rune) bool {
	return r > 127 || (r|0x20 >= 'a' && r|0x20 <= 'z')
}

// isE164 reports whether p looks like a phone number in E.164, rather than
// a short code or a sender name.
func isE164(p string) bool {
	if len(p) < 8 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	for _, r := range p[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
