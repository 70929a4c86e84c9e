package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// PlaceKind is the kind of place a barrier is at.
type PlaceKind string

// Place kinds.
const (
	PlaceRamp     PlaceKind = "ramp"
	PlaceEntrance PlaceKind = "entrance"
	PlaceLift     PlaceKind = "lift"
	PlaceToilet   PlaceKind = "toilet"
	PlaceCrossing PlaceKind = "crossing"
	PlaceOther    PlaceKind = "other"
)

// PlaceKinds lists the place kinds in the order forms show them.
var PlaceKinds = []PlaceKind{PlaceRamp, PlaceEntrance, PlaceLift, PlaceToilet, PlaceCrossing, PlaceOther}

// Valid reports whether k is a known place kind.
func (k PlaceKind) Valid() bool {
	for _, x := range PlaceKinds {
		if k == x {
			return true
		}
	}
	return false
}

// placeWords are stems that name a place kind in a caller's words, in
// Kazakh (both scripts), Russian and English. Stems, because both Kazakh and
// Russian inflect: "пандуса", "пандусы", "лифтке".
var placeWords = []struct {
	kind  PlaceKind
	stems []string
}{
	{PlaceRamp, []string{"пандус", "pandus", "ramp"}},
	{PlaceLift, []string{"лифт", "lift", "elevator", "подъёмник", "подъемник", "көтергіш", "kotergish"}},
	{PlaceToilet, []string{"туалет", "дәретхана", "daretkhana", "toilet", "restroom", "wc"}},
	{PlaceCrossing, []string{"переход", "светофор", "өткел", "otkel", "crossing", "kerb", "curb", "бордюр"}},
	{PlaceEntrance, []string{"вход", "подъезд", "крыльц", "кіреберіс", "kireberis", "есік", "entrance", "door", "steps"}},
}

// GuessPlaceKind picks a place kind from a caller's description, so that a
// new report starts with a likely kind; a dispatcher corrects it. Nothing
// recognised is PlaceOther.
func GuessPlaceKind(text string) PlaceKind {
	t := strings.ToLower(text)
	for _, p := range placeWords {
		for _, s := range p.stems {
			if strings.Contains(t, s) {
				return p.kind
			}
		}
	}
	return PlaceOther
}

// BarrierStatus is where a barrier report is in its lifecycle.
type BarrierStatus string

// Barrier statuses: reported → verified (on site, by a volunteer's visit) →
// sent (to the body responsible for the place) → fixed or rejected. A report
// can be rejected at any step before it is closed (a duplicate, not a
// barrier), and a sent one can be marked fixed without a second visit.
const (
	BarrierReported BarrierStatus = "reported"
	BarrierVerified BarrierStatus = "verified"
	BarrierSent     BarrierStatus = "sent"
	BarrierFixed    BarrierStatus = "fixed"
	BarrierRejected BarrierStatus = "rejected"
)

// BarrierStatuses lists the statuses in lifecycle order.
var BarrierStatuses = []BarrierStatus{BarrierReported, BarrierVerified, BarrierSent, BarrierFixed, BarrierRejected}

// Valid reports whether s is a known status.
func (s BarrierStatus) Valid() bool {
	for _, x := range BarrierStatuses {
		if s == x {
			return true
		}
	}
	return false
}

// Closed reports whether the report's life has ended.
func (s BarrierStatus) Closed() bool { return s == BarrierFixed || s == BarrierRejected }

var barrierNext = map[BarrierStatus][]BarrierStatus{
	BarrierReported: {BarrierVerified, BarrierRejected},
	BarrierVerified: {BarrierSent, BarrierRejected},
	BarrierSent:     {BarrierFixed, BarrierRejected},
}

// CheckBarrierTransition reports whether a report may move from one status to
// the other, EUNPROCESSABLE naming both when not.
func CheckBarrierTransition(from, to BarrierStatus) error {
	if !to.Valid() {
		return Errorf(EINVALID, "barrier status %q is not one of reported, verified, sent, fixed, rejected", to)
	}
	for _, n := range barrierNext[from] {
		if n == to {
			return nil
		}
	}
	return Errorf(EUNPROCESSABLE, "a barrier report that is %s cannot become %s", from, to)
}

// BarrierReport is what is known about one barrier: the place, never the
// person who reported it (that stays on the ticket, which retention redacts).
type BarrierReport struct {
	TicketID     int64         `json:"ticket_id"`
	Code         string        `json:"code"` // the ticket's code
	PlaceKind    PlaceKind     `json:"place_kind"`
	PlaceName    string        `json:"place_name"`
	PlaceAddress string        `json:"place_address"`
	District     string        `json:"district"`
	Status       BarrierStatus `json:"status"`
	ReportedAt   time.Time     `json:"reported_at"`
	VerifiedAt   *time.Time    `json:"verified_at,omitempty"`
	VerifyNote   string        `json:"verify_note,omitempty"`
	SentAt       *time.Time    `json:"sent_at,omitempty"`
	SentTo       string        `json:"sent_to,omitempty"` // the responsible body
	SentNote     string        `json:"sent_note,omitempty"`
	ClosedAt     *time.Time    `json:"closed_at,omitempty"` // fixed or rejected
	CloseNote    string        `json:"close_note,omitempty"`
	// PhotoURLs are the photos sent with the report: the web form's upload,
	// an MMS's media.
	PhotoURLs []string `json:"photo_urls"`
	// RecordingURL is a caller's recorded description.
	RecordingURL string    `json:"recording_url,omitempty"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// BarrierFilter selects reports for a list.
type BarrierFilter struct {
	Status   []BarrierStatus
	District string
	// Centre keeps the reports whose ticket is of a centre (ScopeFor).
	Centre CentreScope
	Limit  int
	Offset int
}

// BarrierRepo stores barrier reports. postgres.Store implements it, on the
// pool and inside InTx.
type BarrierRepo interface {
	// SyncBarrierReports makes the report of every accessibility ticket that
	// has none, and marks reported ones verified when their ticket's visit
	// was completed. It returns how many reports it made.
	SyncBarrierReports(ctx context.Context) (int, error)
	BarrierReport(ctx context.Context, ticketID int64) (*BarrierReport, error)
	BarrierReportForUpdate(ctx context.Context, ticketID int64) (*BarrierReport, error)
	BarrierReports(ctx context.Context, f BarrierFilter) ([]*BarrierReport, int, error)
	UpdateBarrierReport(ctx context.Context, b *BarrierReport) error
}

// BarrierStore is a Store that also keeps barrier reports.
type BarrierStore interface {
	Store
	BarrierRepo
}

// BarrierStep is a dispatcher's move of a report: to a new status (with the
// note of that step, and the responsible body when sending), or, with To
// empty, an edit of the place.
type BarrierStep struct {
	To     BarrierStatus
	Note   string
	SentTo string
	// Place fields; empty leaves the current value.
	PlaceKind    PlaceKind
	PlaceName    string
	PlaceAddress string
	District     string
}

// Barriers runs the lifecycle of barrier reports.
type Barriers struct {
	store BarrierStore
	now   func() time.Time
}

// NewBarriers returns the barrier service on store; now nil is time.Now.
func NewBarriers(store BarrierStore, now func() time.Time) *Barriers {
	if now == nil {
		now = time.Now
	}
	return &Barriers{store: store, now: now}
}

// Sync makes the reports of new accessibility tickets (see
// BarrierRepo.SyncBarrierReports). Lists call it first, so that a report is
// listed as soon as its ticket exists; the retention loop calls it too.
func (b *Barriers) Sync(ctx context.Context) error {
	if _, err := b.store.SyncBarrierReports(ctx); err != nil {
		return E("dispatch.Barriers.Sync", err)
	}
	return nil
}

// List syncs and lists reports.
func (b *Barriers) List(ctx context.Context, f BarrierFilter) ([]*BarrierReport, int, error) {
	const op = "dispatch.Barriers.List"
	if err := b.Sync(ctx); err != nil {
		return nil, 0, E(op, err)
	}
	rs, n, err := b.store.BarrierReports(ctx, f)
	if err != nil {
		return nil, 0, E(op, err)
	}
	return rs, n, nil
}

// Get syncs and returns one report.
func (b *Barriers) Get(ctx context.Context, ticketID int64) (*BarrierReport, error) {
	const op = "dispatch.Barriers.Get"
	if err := b.Sync(ctx); err != nil {
		return nil, E(op, err)
	}
	r, err := b.store.BarrierReport(ctx, ticketID)
	if err != nil {
		return nil, E(op, err)
	}
	return r, nil
}

// Step applies a dispatcher's step to the report of ticketID and writes it to
// the ticket's timeline (kind "barrier"), in one transaction.
func (b *Barriers) Step(ctx context.Context, ticketID int64, st BarrierStep, actor Actor) (*BarrierReport, error) {
	const op = "dispatch.Barriers.Step"
	if err := st.validate(); err != nil {
		return nil, E(op, err)
	}
	if err := b.Sync(ctx); err != nil {
		return nil, E(op, err)
	}
	var out *BarrierReport
	err := b.store.InTx(ctx, func(r Repo) error {
		br, ok := r.(BarrierRepo)
		if !ok {
			return Errorf(EINTERNAL, "the store's transaction does not keep barrier reports")
		}
		rep, err := br.BarrierReportForUpdate(ctx, ticketID)
		if err != nil {
			return err
		}
		from := rep.Status
		if err := apply(rep, st, b.now()); err != nil {
			return err
		}
		if err := br.UpdateBarrierReport(ctx, rep); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]string{"barrier_from": string(from), "barrier_to": string(rep.Status),
			"sent_to": st.SentTo, "place_kind": string(rep.PlaceKind)})
		reason := "barrier: " + string(rep.Status)
		if st.To == "" {
			reason = "barrier: place edited"
		}
		if err := r.AddEvent(ctx, &TicketEvent{TicketID: ticketID, Kind: EventBarrier, Actor: string(actor),
			Channel: ChannelConsole, Reason: reason, Data: string(data)}); err != nil {
			return err
		}
		out = rep
		return nil
	})
	if err != nil {
		return nil, E(op, err)
	}
	return out, nil
}

// EventBarrier is the timeline kind of a barrier report's step.
const EventBarrier = "barrier"

func (st BarrierStep) validate() error {
	if st.PlaceKind != "" && !st.PlaceKind.Valid() {
		return Errorf(EINVALID, "place kind %q is not one of ramp, entrance, lift, toilet, crossing, other", st.PlaceKind)
	}
	if len(st.Note) > 2000 || len(st.PlaceName) > 300 || len(st.PlaceAddress) > 300 || len(st.District) > 100 || len(st.SentTo) > 300 {
		return Errorf(EINVALID, "a note is at most 2000 characters, a place name, address or body 300, a district 100")
	}
	if st.To == BarrierSent && strings.TrimSpace(st.SentTo) == "" {
		return Errorf(EINVALID, "name the body the report is sent to")
	}
	if st.To == "" && st.PlaceKind == "" && st.PlaceName == "" && st.PlaceAddress == "" && st.District == "" {
		return Errorf(EINVALID, "nothing to change: give a new status or a place field")
	}
	return nil
}

func apply(rep *BarrierReport, st BarrierStep, now time.Time) error {
	if st.PlaceKind != "" {
		rep.PlaceKind = st.PlaceKind
	}
	set := func(dst *string, v string) {
		if v = strings.TrimSpace(v); v != "" {
			*dst = v
		}
	}
	set(&rep.PlaceName, st.PlaceName)
	set(&rep.PlaceAddress, st.PlaceAddress)
	set(&rep.District, st.District)
	if st.To == "" {
		return nil
	}
	if err := CheckBarrierTransition(rep.Status, st.To); err != nil {
		return err
	}
	note := strings.TrimSpace(st.Note)
	switch st.To {
	case BarrierVerified:
		rep.VerifiedAt, rep.VerifyNote = &now, note
	case BarrierSent:
		rep.SentAt, rep.SentTo, rep.SentNote = &now, strings.TrimSpace(st.SentTo), note
	case BarrierFixed, BarrierRejected:
		rep.ClosedAt, rep.CloseNote = &now, note
	default:
		return Errorf(EINTERNAL, "no step to %s", st.To)
	}
	rep.Status = st.To
	return nil
}

// String is the report for logs: the ticket and the status, nothing else.
func (b *BarrierReport) String() string {
	return fmt.Sprintf("barrier %d (%s)", b.TicketID, b.Status)
}
