package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// QueueMessage renders template in lang and adds it to the outbox in repo's
// transaction, so that the message exists exactly when the change that
// caused it does. key is the idempotency key ("offer:42"): queueing the same
// key twice keeps the first message.
func QueueMessage(ctx context.Context, repo Repo, msgs Messages, key, to string, lang Lang, ticketID *int64, template string, data map[string]any) error {
	const op = "dispatch.QueueMessage"
	if to == "" {
		return E(op, Errorf(EINVALID, "message %s has no recipient", key))
	}
	body, err := msgs.Render(template, lang, data)
	if err != nil {
		return E(op, err)
	}
	return E(op, repo.Enqueue(ctx, &Notification{Key: key, TicketID: ticketID, To: to, Body: body,
		Template: template, Lang: lang, Status: NotifyQueued, Priority: MessagePriority(template)}))
}

// InstantSender is a Sender whose messages arrive the moment they are sent
// (the simulator, whose phones read the database): the outbox marks its
// messages delivered rather than waiting for a status callback.
type InstantSender interface {
	Sender
	Instant() bool
}

// alwaysSent are the templates that reach a recipient who opted out: the
// confirmation of the STOP itself.
var alwaysSent = map[string]bool{"volunteer.stopped": true, "client.stopped": true}

// OutboxOptions tune the senders. Zero values take the defaults.
type OutboxOptions struct {
	Workers int // sender loops in this process (2)
	Batch   int // messages a loop claims at once (10)
	// Lease is how long a claimed message is this process's; after it, a
	// sender elsewhere takes it over (as from a crashed one). Longer than
	// SendTimeout (1m).
	Lease       time.Duration
	SendTimeout time.Duration // one provider call (20s)
	// Tick is the longest an idle sender sleeps without a wake: the safety
	// net for a lost wake and for the retries of a process that died (30s).
	// A retry this process schedules wakes its senders when it comes due,
	// and a commit that queues a message wakes them at once, so an idle
	// outbox does not ask PostgreSQL for work it has not been told of.
	Tick        time.Duration
	MaxAttempts int           // temporary failures before giving up (10)
	MinBackoff  time.Duration // first retry delay (2s)
	MaxBackoff  time.Duration // longest retry delay (15m)
	// Bus, when set, carries delivery failures to live consoles.
	Bus    EventBus
	Logger *slog.Logger
	Now    func() time.Time
}

func (o *OutboxOptions) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Workers, 2)
	def(&o.Batch, 10)
	def(&o.MaxAttempts, 10)
	defd(&o.SendTimeout, 20*time.Second)
	defd(&o.Lease, time.Minute)
	if o.Lease <= o.SendTimeout {
		o.Lease = o.SendTimeout + 10*time.Second
	}
	defd(&o.Tick, 30*time.Second)
	defd(&o.MinBackoff, 2*time.Second)
	defd(&o.MaxBackoff, 15*time.Minute)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Outbox sends the notifications table: any number of Outboxes, on any
// number of processes, share it, each message leased to one at a time.
type Outbox struct {
	store  Store
	sender Sender
	waker  Waker
	opts   OutboxOptions

	mu sync.Mutex
	// retries are the due times of the retries this process scheduled
	// that have not come yet: the senders wake for the earliest.
	retries []time.Time
}

var _ StatusRecorder = (*Outbox)(nil)

// NewOutbox returns an outbox sending through sender; waker (may be nil:
// polling every Tick) wakes it when messages are queued anywhere.
func NewOutbox(store Store, sender Sender, waker Waker, opts OutboxOptions) *Outbox {
	opts.defaults()
	return &Outbox{store: store, sender: sender, waker: waker, opts: opts}
}

// Run sends until ctx ends, then returns once the messages in hand are
// sent (or given back to the queue) and recorded.
func (o *Outbox) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := 0; i < o.opts.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.loop(ctx)
		}()
	}
	wg.Wait()
	return nil
}

func (o *Outbox) loop(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := o.SendDue(ctx)
		if err != nil {
			o.opts.Logger.Error("outbox: claim", "err", err)
		}
		if n == o.opts.Batch && err == nil {
			continue // there may be more
		}
		o.wait(ctx)
	}
}

func (o *Outbox) wait(ctx context.Context) {
	d := o.sleep()
	if o.waker != nil {
		_ = o.waker.Wait(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// sleep is how long an idle sender may sleep: until the earliest retry
// scheduled here, at most Tick. Retries that came due are forgotten: the
// claim that follows the sleep takes them.
func (o *Outbox) sleep() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.opts.Now()
	d := o.opts.Tick
	keep := o.retries[:0]
	for _, at := range o.retries {
		if !at.After(now) {
			d = 0
			continue
		}
		keep = append(keep, at)
		d = min(d, at.Sub(now))
	}
	o.retries = keep
	return d
}

// retryAt notes a retry this process scheduled, for sleep.
func (o *Outbox) retryAt(at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retries = append(o.retries, at)
}

// SendDue claims one batch of due messages and sends them at once, each on
// its own goroutine (a provider call is mostly waiting), returning how many
// it claimed. When ctx ends before the sends start the messages go back to
// the queue at once rather than waiting for their lease to run out.
func (o *Outbox) SendDue(ctx context.Context) (int, error) {
	const op = "dispatch.Outbox.SendDue"
	batch, err := o.store.ClaimNotifications(ctx, o.opts.Batch, o.opts.Lease)
	if err != nil {
		return 0, E(op, err)
	}
	// Work in hand is finished even when ctx ends: a message half sent and
	// not recorded is what makes duplicates.
	work := context.WithoutCancel(ctx)
	if ctx.Err() != nil {
		o.giveBack(work, batch)
		return len(batch), nil
	}
	var (
		wg   sync.WaitGroup
		done = &outcomes{}
	)
	for _, n := range batch {
		wg.Go(func() {
			if err := o.deliver(work, n, done); err != nil {
				// The row stays leased and is taken over later.
				o.opts.Logger.Error("outbox: record", "id", n.ID, "to", MaskPhone(n.To), "err", err)
			}
		})
	}
	wg.Wait()
	// The sends and retries of the batch are written in one statement.
	// If that fails the rows stay leased; whoever takes them over asks the
	// provider before sending again.
	if len(done.ns) > 0 {
		if err := o.store.UpdateNotifications(work, done.ns); err != nil {
			o.opts.Logger.Error("outbox: record the batch", "messages", len(done.ns), "err", err)
		} else {
			for _, n := range done.ns {
				if n.Status == NotifySent || n.Status == NotifyDelivered {
					o.applyEarly(work, n.ProviderSID) // callbacks that came before the ids were saved
				}
			}
		}
	}
	return len(batch), nil
}

// outcomes collects the messages of a batch whose new state needs no more
// than the row's own update: sent, or queued for a retry.
type outcomes struct {
	mu sync.Mutex
	ns []*Notification
}

func (o *Outbox) record(ctx context.Context, done *outcomes, n *Notification) error {
	if done == nil {
		return o.store.UpdateNotification(ctx, n)
	}
	done.mu.Lock()
	defer done.mu.Unlock()
	done.ns = append(done.ns, n)
	return nil
}

func (o *Outbox) giveBack(ctx context.Context, ns []*Notification) {
	for _, n := range ns {
		n.Status, n.Attempts, n.NextAt = NotifyQueued, n.Attempts-1, o.opts.Now()
		if err := o.store.UpdateNotification(ctx, n); err != nil {
			o.opts.Logger.Warn("outbox: give back", "id", n.ID, "err", err)
		}
	}
}

// deliver sends one claimed message and records the outcome: at once when
// it is final, else in done for the batch's update.
func (o *Outbox) deliver(ctx context.Context, n *Notification, done *outcomes) error {
	const op = "dispatch.Outbox.deliver"
	if !alwaysSent[n.Template] {
		if n.OptedOut {
			// Kept off the phone, but not off the record: a dispatcher
			// sees on the ticket that the person is not getting texts.
			n.Status, n.Error = NotifySuppressed, "the recipient texted STOP"
			return E(op, o.finalFailure(ctx, n))
		}
	}
	sctx, cancel := context.WithTimeout(ctx, o.opts.SendTimeout)
	defer cancel()
	// A message tried before without a provider id may have reached the
	// provider just before a crash or a lost answer: ask first. A refusal
	// for the rate limit is a definite "not sent".
	if n.Attempts > 1 && n.ProviderSID == "" && !strings.HasPrefix(n.Error, ERATELIMIT+":") {
		sid, err := o.sender.Lookup(sctx, n)
		switch {
		case err == nil:
			return E(op, o.sent(ctx, n, sid, done))
		case !IsCode(err, ENOTFOUND):
			return E(op, o.failed(ctx, n, err, done))
		}
	}
	sid, err := o.sender.Send(sctx, n)
	if err != nil {
		return E(op, o.failed(ctx, n, err, done))
	}
	return E(op, o.sent(ctx, n, sid, done))
}

func (o *Outbox) sent(ctx context.Context, n *Notification, sid string, done *outcomes) error {
	now := o.opts.Now()
	n.Status, n.ProviderSID, n.SentAt, n.Error = NotifySent, sid, &now, ""
	if is, ok := o.sender.(InstantSender); ok && is.Instant() {
		n.Status = NotifyDelivered
	}
	if done != nil {
		return o.record(ctx, done, n) // the batch applies early callbacks after its update
	}
	if err := o.store.UpdateNotification(ctx, n); err != nil {
		return err
	}
	o.applyEarly(ctx, sid) // a callback that came before this id was saved
	return nil
}

// failed retries a temporary failure later, with exponential backoff and
// jitter so that senders do not hammer a provider in step, and records a
// permanent one on the message's ticket.
func (o *Outbox) failed(ctx context.Context, n *Notification, cause error, done *outcomes) error {
	code := ErrorCode(cause)
	n.Error = code + ": " + ErrorMessage(cause)
	temporary := code == EUNAVAILABLE || code == ERATELIMIT
	if temporary && n.Attempts < o.opts.MaxAttempts {
		n.Status, n.NextAt = NotifyQueued, o.opts.Now().Add(o.backoff(n.Attempts))
		if err := o.record(ctx, done, n); err != nil {
			return err
		}
		o.retryAt(n.NextAt)
		return nil
	}
	if temporary {
		n.Error = fmt.Sprintf("gave up after %d attempts: %s", n.Attempts, n.Error)
	}
	n.Status = NotifyFailed
	return o.finalFailure(ctx, n)
}

func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.opts.MinBackoff
	for i := 1; i < attempts && d < o.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, o.opts.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

// finalFailure writes n, failed or suppressed for good, and the ticket
// event that shows dispatchers the person was not reached, together.
func (o *Outbox) finalFailure(ctx context.Context, n *Notification) error {
	var ev *TicketEvent
	err := o.store.InTx(ctx, func(r Repo) error {
		if err := r.UpdateNotification(ctx, n); err != nil {
			return err
		}
		if n.TicketID == nil {
			return nil
		}
		data, _ := json.Marshal(map[string]any{"notification_id": n.ID, "template": n.Template,
			"to": MaskPhone(n.To), "status": n.Status, "error": n.Error})
		ev = &TicketEvent{TicketID: *n.TicketID, Kind: EventDelivery, Actor: string(ActorSystem), Channel: ChannelSMS,
			Reason: fmt.Sprintf("message %s to %s %s: %s", n.Template, MaskPhone(n.To), n.Status, n.Error), Data: string(data)}
		return r.AddEvent(ctx, ev)
	})
	if err == nil && ev != nil && o.opts.Bus != nil {
		if perr := o.opts.Bus.Publish(ctx, Event{ID: ev.ID, TicketID: ev.TicketID, Kind: ev.Kind}); perr != nil {
			o.opts.Logger.Warn("outbox: publish", "ticket", ev.TicketID, "err", perr)
		}
	}
	return err
}

// statusRank orders the states a message moves through, so that a late
// callback ("sent" after "delivered") never moves it back.
var statusRank = map[NotificationStatus]int{NotifyQueued: 0, NotifySending: 1, NotifySent: 2,
	NotifyDelivered: 3, NotifyUndelivered: 3, NotifyFailed: 3, NotifySuppressed: 3}

// RecordStatus records a delivery status callback. Undelivered and failed
// are final and appear on the message's ticket.
func (o *Outbox) RecordStatus(ctx context.Context, sid, status, errorCode string) error {
	const op = "dispatch.Outbox.RecordStatus"
	var st NotificationStatus
	switch status {
	case "accepted", "scheduled", "queued", "sending":
		return nil // steps before the carrier: nothing to record
	case "sent":
		st = NotifySent
	case "delivered", "read":
		st = NotifyDelivered
	case "undelivered":
		st = NotifyUndelivered
	case "failed", "canceled":
		st = NotifyFailed
	default:
		return E(op, Errorf(EINVALID, "message status %q is not one Twilio sends", status))
	}
	n, err := o.store.NotificationBySID(ctx, sid)
	if IsCode(err, ENOTFOUND) {
		return E(op, o.keepEarly(ctx, sid, status, errorCode, err)) // outbox_early.go
	} else if err != nil {
		return E(op, err)
	}
	if n.Status == st || statusRank[st] < statusRank[n.Status] {
		return nil // a retried or late callback
	}
	n.Status = st
	if st == NotifyUndelivered || st == NotifyFailed {
		n.Error = "carrier: " + status
		if errorCode != "" {
			n.Error = fmt.Sprintf("carrier error %s: %s", errorCode, TwilioErrorText(errorCode))
		}
		return E(op, o.finalFailure(ctx, n))
	}
	return E(op, o.store.UpdateNotification(ctx, n))
}

// TwilioErrorText explains the Twilio error codes a dispatcher is likely to
// see on a ticket.
func TwilioErrorText(code string) string {
	switch code {
	case "21211", "21614":
		return "not a valid mobile number"
	case "21610":
		return "the recipient has unsubscribed (STOP)"
	case "21408", "21612":
		return "cannot send to this number or region"
	case "30003":
		return "the phone is off or unreachable"
	case "30004":
		return "the message was blocked"
	case "30005":
		return "unknown number, or no longer in service"
	case "30006":
		return "a landline or unreachable carrier"
	case "30007":
		return "filtered by the carrier"
	case "30008":
		return "unknown delivery error"
	}
	return "see Twilio's error reference"
}

// WakeSenders wraps store so that every transaction that queued a message
// wakes the outbox senders after it commits: messages leave at once, on any
// process, instead of at the senders' next tick. Give the wrapped store to
// everything that queues messages (engine, intake, conversation, console).
func WakeSenders(store Store, waker Waker) Store {
	return &wakingStore{Store: store, waker: waker}
}

type wakingStore struct {
	Store
	waker Waker
}

type wakingRepo struct {
	Repo
	queued *bool
}

// Unwrap gives extensions of Repo (signup.go's SignupRepo) the store's own.
func (r wakingRepo) Unwrap() Repo { return r.Repo }

func (r wakingRepo) Enqueue(ctx context.Context, n *Notification) error {
	err := r.Repo.Enqueue(ctx, n)
	if err == nil {
		*r.queued = true
	}
	return err
}

func (s *wakingStore) InTx(ctx context.Context, fn func(Repo) error) error {
	queued := false
	err := s.Store.InTx(ctx, func(r Repo) error { return fn(wakingRepo{Repo: r, queued: &queued}) })
	if err == nil && queued {
		// A lost wake only delays the message to the senders' tick.
		_ = s.waker.Wake(context.WithoutCancel(ctx))
	}
	return err
}

func (r wakingRepo) CreateIntakeTicket(ctx context.Context, t *Ticket, events []*TicketEvent, msg func(*Ticket) *Notification, inboundSID string) error {
	msg, queued := watchMessage(msg)
	err := r.Repo.CreateIntakeTicket(ctx, t, events, msg, inboundSID)
	if err == nil && *queued {
		*r.queued = true
	}
	return err
}

func (s *wakingStore) CreateIntakeTicket(ctx context.Context, t *Ticket, events []*TicketEvent, msg func(*Ticket) *Notification, inboundSID string) error {
	msg, queued := watchMessage(msg)
	err := s.Store.CreateIntakeTicket(ctx, t, events, msg, inboundSID)
	if err == nil && *queued {
		_ = s.waker.Wake(context.WithoutCancel(ctx))
	}
	return err
}

// watchMessage wraps CreateIntakeTicket's msg to tell whether it gave a
// message to queue (the last call counts: the store may retry).
func watchMessage(msg func(*Ticket) *Notification) (func(*Ticket) *Notification, *bool) {
	queued := new(bool)
	if msg == nil {
		return nil, queued
	}
	return func(t *Ticket) *Notification {
		n := msg(t)
		*queued = n != nil
		return n
	}, queued
}

func (s *wakingStore) Enqueue(ctx context.Context, n *Notification) error {
	err := s.Store.Enqueue(ctx, n)
	if err == nil {
		_ = s.waker.Wake(context.WithoutCancel(ctx))
	}
	return err
}
