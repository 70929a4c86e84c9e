package dispatch

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Reasons an intake ticket goes straight to the dispatchers.
const (
	ReasonNeedsLocation = "needs location"
	ReasonCallBack      = "callback"
)

// Message templates intake sends to the client.
const (
	TemplateReceived         = "client.received"
	TemplateReceivedCallBack = "client.received_callback"
	TemplateReceivedConsult  = "client.received_consult"
)

// Limits of what intake accepts, so that a request fits a text message, a
// console row and a volunteer's phone screen.
const (
	maxDescription = 4000
	maxName        = 200
	maxAddress     = 500
	maxSourceID    = 200
)

// IntakeOptions tune Intake. The zero value works.
type IntakeOptions struct {
	// SMSJoinWindow: a text within this long of the sender's open text
	// ticket's last change is added to it rather than opening another.
	// Zero never joins.
	SMSJoinWindow time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger gets what cannot be returned: a hand-off to the queue that
	// failed after the commit, which the reconciler repairs.
	Logger *slog.Logger
	// AfterCommit, when set, runs between the commit and the hand-off to
	// the queue: tests use it to kill the hand-off and prove that the
	// committed ticket is not lost.
	AfterCommit func(t *Ticket)
}

// Intake is the one normalisation path for every channel: it implements
// TicketIntake.
type Intake struct {
	store    Store
	queue    Queue
	bus      EventBus
	phones   Phones
	geocoder Geocoder
	msgs     Messages
	opts     IntakeOptions
}

var _ TicketIntake = (*Intake)(nil)

// NewIntake returns the intake service. geocoder and msgs may be nil: no
// address lookup, no confirmation text.
func NewIntake(store Store, queue Queue, bus EventBus, phones Phones, geocoder Geocoder, msgs Messages, opts IntakeOptions) *Intake {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Intake{store: store, queue: queue, bus: bus, phones: phones, geocoder: geocoder, msgs: msgs, opts: opts}
}

// Submit validates r and turns it into a ticket, or returns the ticket that
// its SourceID (or the sender's open text conversation) made already.
func (in *Intake) Submit(ctx context.Context, r IntakeRequest) (*IntakeResult, error) {
	const op = "intake.Submit"
	if err := in.normalize(&r); err != nil {
		return nil, E(op, err)
	}
	// A retried SourceID is not looked up first: the ticket's insert says
	// ECONFLICT, below, which costs the retry what the lookup would have
	// cost every request.
	client, created, err := in.client(ctx, &r)
	if err != nil {
		return nil, E(op, err)
	}
	if r.Channel == ChannelSMS && in.opts.SMSJoinWindow > 0 && !created {
		res, err := in.join(ctx, client, r)
		if err != nil || res != nil {
			return res, E(op, err)
		}
	}
	loc := in.locate(ctx, r, client)
	t, eventID, err := in.create(ctx, client, r, loc)
	if IsCode(err, ECONFLICT) && r.SourceID != "" {
		// Another retry of the same request committed first.
		if res, err2 := in.bySource(ctx, r.SourceID); err2 == nil && res != nil {
			return res, nil
		}
	}
	if err != nil {
		return nil, E(op, err)
	}
	in.handOff(ctx, t, eventID)
	return &IntakeResult{Ticket: t, Client: client}, nil
}

// normalize validates r in place, naming the field that is wrong.
func (in *Intake) normalize(r *IntakeRequest) error {
	r.SourceID = strings.TrimSpace(r.SourceID)
	r.Name = strings.TrimSpace(r.Name)
	r.Description = strings.TrimSpace(r.Description)
	r.Address = strings.TrimSpace(r.Address)
	if !r.Channel.Valid() {
		return Errorf(EINVALID, "channel %q is not one of voice, sms, web, api, console, system", r.Channel)
	}
	if strings.TrimSpace(r.Phone) == "" {
		return Errorf(EINVALID, "phone is required")
	}
	phone, err := in.phones.Normalize(r.Phone)
	if err != nil {
		return err
	}
	r.Phone = phone
	if r.Category == "" {
		r.Category = CategoryOther
	}
	if !r.Category.Valid() {
		return Errorf(EINVALID, "category %q is not one of escort, shopping, home, accessibility, other, legal, housing, employment, benefits", r.Category)
	}
	if r.Urgency == "" {
		r.Urgency = UrgencyNormal
	}
	if !r.Urgency.Valid() {
		return Errorf(EINVALID, "urgency %q is not one of normal, urgent", r.Urgency)
	}
	if r.Lang != "" && !r.Lang.Valid() {
		return Errorf(EINVALID, "language %q is not one of kk, ru, en", r.Lang)
	}
	for _, s := range r.Needs {
		if !s.Valid() {
			return Errorf(EINVALID, "need %q is not one of wheelchair, sign_language, car, medical", s)
		}
	}
	if r.Location != nil {
		if err := r.Location.Validate(); err != nil {
			return err
		}
	}
	if r.WindowStart != nil && r.WindowEnd != nil && !r.WindowEnd.After(*r.WindowStart) {
		return Errorf(EINVALID, "preferred time: the end must be after the start")
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"description", r.Description, maxDescription}, {"name", r.Name, maxName},
		{"address", r.Address, maxAddress}, {"source id", r.SourceID, maxSourceID}} {
		if utf8.RuneCountInString(f.value) > f.max {
			return Errorf(EINVALID, "%s is longer than %d characters", f.name, f.max)
		}
	}
	if err := checkAttachments(r); err != nil {
		return err
	}
	if r.Actor == "" {
		r.Actor = ActorClient
	}
	return nil
}

// bySource returns the ticket a SourceID made before, or nil, nil when it
// made none.
func (in *Intake) bySource(ctx context.Context, sourceID string) (*IntakeResult, error) {
	if sourceID == "" {
		return nil, nil
	}
	t, err := in.store.TicketBySource(ctx, sourceID)
	if IsCode(err, ENOTFOUND) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	c, err := in.store.Client(ctx, t.ClientID)
	if err != nil {
		return nil, err
	}
	return &IntakeResult{Ticket: t, Client: c, Existing: true}, nil
}

// client finds the client by phone or creates it, and settles r.Lang:
// the request's, else the client's preference, else detected from the text.
// A language or name the person gave now is remembered.
func (in *Intake) client(ctx context.Context, r *IntakeRequest) (*Client, bool, error) {
	lang := r.Lang
	if lang == "" {
		lang = DetectLang(r.Description)
	}
	c := &Client{Phone: r.Phone, Name: r.Name, Lang: lang, Needs: r.ClientNeeds, Address: r.Address}
	created, err := in.store.EnsureClient(ctx, c)
	if err != nil {
		return nil, false, err
	}
	if created {
		r.Lang = c.Lang
		return c, true, nil
	}
	changed := false
	if r.Lang != "" && r.Lang != c.Lang {
		c.Lang, changed = r.Lang, true
	}
	if c.Name == "" && r.Name != "" {
		c.Name, changed = r.Name, true
	}
	if changed {
		if err := in.store.UpdateClient(ctx, c); err != nil {
			return nil, false, err
		}
	}
	r.Lang = c.Lang
	return c, false, nil
}

// locate places the request: its own point, else the client's home, else
// its address (or the client's) through the geocoder. Nil when nothing
// places it: the ticket then goes to a dispatcher.
func (in *Intake) locate(ctx context.Context, r IntakeRequest, c *Client) *Location {
	if r.Location != nil {
		return r.Location
	}
	if c.Location != nil {
		return c.Location
	}
	addr := r.Address
	if addr == "" {
		addr = c.Address
	}
	if addr == "" || in.geocoder == nil {
		return nil
	}
	loc, err := in.geocoder.Geocode(ctx, addr)
	if err != nil {
		if !IsCode(err, ENOTFOUND) {
			in.opts.Logger.Warn("intake: geocoder failed, the ticket goes to a dispatcher", "err", err)
		}
		return nil
	}
	return &loc
}

// create writes the ticket, its audit events and the confirmation text in
// one statement (one round trip and one commit), and returns the last event's ID for the live consoles.
func (in *Intake) create(ctx context.Context, c *Client, r IntakeRequest, loc *Location) (*Ticket, int64, error) {
	now := in.opts.Now()
	t := &Ticket{
		Channel: r.Channel, Category: r.Category, Description: r.Description, Lang: r.Lang,
		Location: loc, Address: r.Address, Urgency: r.Urgency, Needs: r.Needs,
		WindowStart: r.WindowStart, WindowEnd: r.WindowEnd, ClientID: c.ID,
		CallBack: r.CallBack, RecordingURL: r.RecordingURL, SourceID: r.SourceID,
	}
	if t.Needs == nil {
		t.Needs = []Skill{}
	}
	to, reason := StatusQueued, ""
	switch {
	case r.Category.Consult():
		to, reason = StatusEscalated, ReasonConsultation
	case r.CallBack:
		to, reason = StatusEscalated, ReasonCallBack
	case loc == nil:
		to, reason = StatusEscalated, ReasonNeedsLocation
	}
	if err := CheckTransition(StatusNew, to); err != nil {
		return nil, 0, err
	}
	t.Status, t.Reason = to, reason
	if to == StatusQueued {
		// The reconciler re-enqueues queued tickets that are due, so a
		// hand-off lost after the commit is repaired from this row.
		t.DueAt = &now
	}
	data, _ := json.Marshal(map[string]any{"source": string(r.Channel), "callback": r.CallBack})
	created := &TicketEvent{From: "", To: StatusNew, Kind: EventTransition, Actor: string(r.Actor),
		Channel: r.Channel, Reason: "received", Data: string(data)}
	moved := &TicketEvent{From: StatusNew, To: to, Kind: EventTransition,
		Actor: string(ActorSystem), Channel: r.Channel, Reason: reason}
	tmpl := TemplateReceived
	switch {
	case r.Category.Consult():
		// Advice comes from a consultant, not a volunteer: the text must
		// not promise one.
		tmpl = TemplateReceivedConsult
	case r.CallBack:
		tmpl = TemplateReceivedCallBack
	}
	// The text that made an SMS ticket is marked handled in the ticket's
	// commit: a retry of it then finds it done, never half done.
	inbound := ""
	if r.Channel == ChannelSMS {
		inbound = r.SourceID
	}
	var msg func(*Ticket) *Notification
	if in.msgs != nil {
		msg = func(t *Ticket) *Notification { return in.confirmation(c, t, tmpl) }
	}
	write := func(repo Repo) error {
		return repo.CreateIntakeTicket(ctx, t, []*TicketEvent{created, moved}, msg, inbound)
	}
	var err error
	if len(r.Attachments) == 0 {
		err = write(in.store)
	} else {
		// Photos (rare) go in a transaction with the ticket.
		err = in.store.InTx(ctx, func(tx Repo) error {
			if err := write(tx); err != nil {
				return err
			}
			return addAttachments(ctx, tx, t.ID, r.Attachments)
		})
	}
	if err != nil {
		return nil, 0, err
	}
	return t, moved.ID, nil
}

// confirmation is the text that tells the client their ticket's code,
// written with the ticket. A template that cannot be rendered must not lose
// the ticket: it is logged and the ticket is kept without the text.
func (in *Intake) confirmation(c *Client, t *Ticket, tmpl string) *Notification {
	data := map[string]any{"Code": t.Code}
	body, err := in.msgs.Render(tmpl, t.Lang, data)
	if err != nil {
		in.opts.Logger.Error("intake: confirmation text not rendered", "template", tmpl, "lang", t.Lang, "err", err)
		return nil
	}
	return &Notification{Key: "received:", To: c.Phone, Body: body, Template: tmpl, Lang: t.Lang, Status: NotifyQueued}
}

// handOff gives a committed ticket to the engine. It runs on a context that
// the caller cannot cancel (a caller who hangs up must not stop it), and a
// failure is only logged: the ticket is queued with due_at in PostgreSQL,
// where the reconciler finds it.
func (in *Intake) handOff(ctx context.Context, t *Ticket, eventID int64) {
	if in.opts.AfterCommit != nil {
		in.opts.AfterCommit(t)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if t.Status == StatusQueued && in.queue != nil {
		if err := in.queue.Push(ctx, t.ID, *t.DueAt, t.Urgency); err != nil {
			in.opts.Logger.Warn("intake: queue hand-off failed, the reconciler will retry", "ticket", t.ID, "err", err)
		}
	}
	if in.bus != nil {
		ev := Event{ID: eventID, TicketID: t.ID, Kind: EventTransition, Status: t.Status}
		if err := in.bus.Publish(ctx, ev); err != nil {
			in.opts.Logger.Warn("intake: event not published", "ticket", t.ID, "err", err)
		}
	}
}
