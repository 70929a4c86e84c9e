package dispatch

import "context"

// Twilio may call the status callback before the outbox has saved the
// message's provider id: the callback can beat the answer to the send, or
// the answer was lost and the id is found later by a lookup. Such a
// callback is kept (EarlyStatusRepo) and applied when the id is saved,
// rather than dropped: Twilio does not send it again.

// EarlyStatus is one delivery callback kept for later.
type EarlyStatus struct {
	Status    string
	ErrorCode string
}

// EarlyStatusRepo keeps delivery callbacks that came before their message's
// provider id was saved. A store without it drops such callbacks (ENOTFOUND).
type EarlyStatusRepo interface {
	// KeepEarlyStatus stores a callback for sid; callbacks older than a
	// day are pruned.
	KeepEarlyStatus(ctx context.Context, sid, status, errorCode string) error
	// TakeEarlyStatuses removes and returns the callbacks kept for sid,
	// oldest first.
	TakeEarlyStatuses(ctx context.Context, sid string) ([]EarlyStatus, error)
}

// keepEarly keeps a callback whose message is not known by sid yet. It then
// looks again: if the id was saved meanwhile (after this callback's lookup,
// before its row was written), nobody else would apply the row.
func (o *Outbox) keepEarly(ctx context.Context, sid, status, errorCode string, notFound error) error {
	early, ok := o.store.(EarlyStatusRepo)
	if !ok {
		return notFound
	}
	if err := early.KeepEarlyStatus(ctx, sid, status, errorCode); err != nil {
		return err
	}
	if _, err := o.store.NotificationBySID(ctx, sid); err == nil {
		o.applyEarly(ctx, sid)
	}
	return nil
}

// applyEarly applies the callbacks kept for sid, now that its message is
// known by it. Failures are logged: the callback is lost then, as it was
// before it was kept, and the message stays "sent".
func (o *Outbox) applyEarly(ctx context.Context, sid string) {
	early, ok := o.store.(EarlyStatusRepo)
	if !ok || sid == "" {
		return
	}
	kept, err := early.TakeEarlyStatuses(ctx, sid)
	if err != nil {
		o.opts.Logger.Warn("outbox: early delivery callbacks not read", "sid", sid, "err", err)
		return
	}
	for _, st := range kept {
		if err := o.RecordStatus(ctx, sid, st.Status, st.ErrorCode); err != nil {
			o.opts.Logger.Warn("outbox: early delivery callback not applied", "sid", sid, "status", st.Status, "err", err)
		}
	}
}
