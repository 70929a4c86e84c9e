package load

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Books is the end-of-run accounting. Balanced is true when nothing below
// says otherwise.
type Books struct {
	Balanced bool `json:"balanced"`
	// Intakes the service answered with 2xx, and those it never did.
	Accepted int `json:"accepted"`
	Failed   int `json:"failed"`
	// Tickets the service holds for this run's clients, and in all.
	Tickets      int `json:"tickets"`
	TicketsTotal int `json:"tickets_total"`
	// Lost: answered 2xx but no ticket. Twice: more tickets for a phone
	// than requests sent from it.
	Lost  int `json:"lost"`
	Twice int `json:"twice"`
	// AssignedTwice: tickets two volunteers were told are theirs, or with
	// two accepted offers or two moves to assigned on the timeline.
	AssignedTwice int `json:"assigned_twice"`
	// DuplicateTexts: an offer, assignment or confirmation that reached the
	// same phone twice for the same ticket.
	DuplicateTexts int `json:"duplicate_texts"`
	// BadState: a ticket in a state it cannot be in (assigned without a
	// volunteer, stuck in new, an unknown state).
	BadState int            `json:"bad_state"`
	Statuses map[string]int `json:"statuses"`
	// Unconfirmed: tickets of this run whose confirmation text was not
	// seen (an intake answered 5xx after the commit makes one legitimately).
	Unconfirmed int      `json:"unconfirmed"`
	Checked     int      `json:"timelines_checked"`
	Problems    []string `json:"problems,omitempty"`
}

func (b *Books) problem(format string, args ...any) {
	if len(b.Problems) < 50 {
		b.Problems = append(b.Problems, fmt.Sprintf(format, args...))
	}
}

type apiTicket struct {
	ID          int64     `json:"id"`
	Code        string    `json:"code"`
	Status      string    `json:"status"`
	VolunteerID *int64    `json:"volunteer_id"`
	ClientID    int64     `json:"client_id"`
	CreatedAt   time.Time `json:"created_at"`
	Offers      []struct {
		Status      string `json:"status"`
		VolunteerID int64  `json:"volunteer_id"`
	} `json:"offers"`
	Events []struct {
		To   string `json:"to"`
		Kind string `json:"kind"`
	} `json:"events"`
}

var validStates = map[string]bool{"new": true, "queued": true, "offered": true, "assigned": true, "in_progress": true,
	"completed": true, "cancelled": true, "escalated": true, "expired": true}

// checkBooks compares what was sent, what the service holds and what it
// texted.
func (r *Runner) checkBooks(ctx context.Context) (*Books, error) {
	all, err := r.tickets(ctx)
	if err != nil {
		return nil, err
	}
	phones, err := r.clientPhones(ctx)
	if err != nil {
		return nil, err
	}
	b := &Books{Statuses: map[string]int{}, TicketsTotal: len(all)}
	byCode := map[string]*apiTicket{}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.created = map[string]time.Time{}
	r.codesOf = map[string][]string{}
	for _, t := range all { // in order of ID, so of creation
		byCode[t.Code] = t
		r.created[t.Code] = t.CreatedAt
		if p, ok := phones[t.ClientID]; ok {
			r.codesOf[p] = append(r.codesOf[p], t.Code)
		}
	}

	// Every request answered 2xx is a ticket of its number; no number has
	// more tickets than the requests it sent.
	mine := map[string]bool{}
	sentFrom := map[string]int{}
	acceptedFrom := map[string]int{}
	channelOf := map[string]string{}
	for _, in := range r.intakes {
		channelOf[in.phone] = in.channel
		if in.accepted {
			b.Accepted++
			acceptedFrom[in.phone]++
		} else {
			b.Failed++
		}
		if in.attempts > 0 {
			sentFrom[in.phone]++
		}
		if in.code != "" && byCode[in.code] == nil {
			b.Lost++
			b.problem("web request answered %s but the ticket is not listed", in.code)
		}
	}
	for phone := range sentFrom {
		for _, c := range r.codesOf[phone] {
			mine[c] = true
		}
	}
	for phone, n := range acceptedFrom {
		if got := len(r.codesOf[phone]); got < n {
			b.Lost += n - got
			b.problem("%s (%s): %d requests answered 2xx, %d tickets", dispatch.MaskPhone(phone), channelOf[phone], n, got)
		}
	}
	for phone, n := range sentFrom {
		if got := len(r.codesOf[phone]); got > n {
			b.Twice += got - n
			b.problem("%s (%s): %d requests sent, %d tickets", dispatch.MaskPhone(phone), channelOf[phone], n, got)
		}
	}
	// What Twilio holds, those whose answer was "lost" included (the
	// service found them by looking them up rather than sending again).
	held := r.fake.Messages()
	confirmed := map[string]bool{}
	for _, m := range held {
		kind, c := r.fake.classify.Classify(m.Body)
		if (kind != KindReceived && kind != KindCallback) || confirmed[c] {
			continue
		}
		confirmed[c] = true
		if byCode[c] == nil {
			b.Lost++
			b.problem("ticket %s was confirmed to its client but is not listed", c)
		}
	}

	// States, and the timelines of every ticket a volunteer was offered.
	var detail []int64
	for _, t := range all {
		if !mine[t.Code] {
			continue
		}
		b.Tickets++
		b.Statuses[t.Status]++
		hasVol := t.VolunteerID != nil
		switch {
		case !validStates[t.Status]:
			b.BadState++
			b.problem("ticket %s in unknown state %q", t.Code, t.Status)
		case (t.Status == "assigned" || t.Status == "in_progress" || t.Status == "completed") && !hasVol:
			b.BadState++
			b.problem("ticket %s is %s without a volunteer", t.Code, t.Status)
		case t.Status == "new":
			b.BadState++
			b.problem("ticket %s stayed new", t.Code)
		}
		if _, offered := r.offers[t.Code]; offered || hasVol {
			detail = append(detail, t.ID)
		}
	}
	for code, as := range r.assigned {
		vols := map[string]bool{}
		for _, s := range as {
			vols[s.To] = true
		}
		if len(vols) > 1 {
			b.AssignedTwice++
			b.problem("ticket %s was given to %d volunteers", code, len(vols))
		}
	}
	for code := range mine {
		if !confirmed[code] && byCode[code] != nil {
			b.Unconfirmed++
		}
	}
	r.mu.Unlock()
	err = r.checkTimelines(ctx, detail, b)
	r.mu.Lock()
	if err != nil {
		return nil, err
	}

	// No offer, assignment or confirmation twice, counting every message
	// the fake accepted, those whose answer it "lost" included.
	seen := map[string]int{}
	for _, m := range held {
		kind, code := r.fake.classify.Classify(m.Body)
		if !uniqueKinds[kind] || code == "" {
			continue
		}
		k := m.To + "|" + kind + "|" + code
		seen[k]++
		if seen[k] == 2 {
			b.DuplicateTexts++
			b.problem("%s for %s reached %s twice", kind, code, dispatch.MaskPhone(m.To))
		}
	}
	b.Balanced = b.Lost == 0 && b.Twice == 0 && b.AssignedTwice == 0 && b.DuplicateTexts == 0 && b.BadState == 0
	return b, nil
}

// checkTimelines reads each ticket's offers and audit timeline, eight at a
// time, and counts a second accepted offer or a second move to assigned.
func (r *Runner) checkTimelines(ctx context.Context, ids []int64, b *Books) error {
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan int64)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				var t apiTicket
				err := r.getJSON(ctx, "/api/v1/tickets/"+strconv.FormatInt(id, 10), &t)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				b.Checked++
				acc, moves := map[int64]bool{}, 0
				for _, o := range t.Offers {
					if o.Status == "accepted" {
						acc[o.VolunteerID] = true
					}
				}
				for _, e := range t.Events {
					if e.Kind == "transition" && e.To == "assigned" {
						moves++
					}
				}
				if len(acc) > 1 || moves > 1 {
					b.AssignedTwice++
					b.problem("ticket %s: %d accepted offers, %d moves to assigned", t.Code, len(acc), moves)
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		jobs <- id
	}
	close(jobs)
	wg.Wait()
	return firstErr
}

// tickets lists every ticket through the API, 500 at a time.
func (r *Runner) tickets(ctx context.Context) ([]*apiTicket, error) {
	var all []*apiTicket
	for off := 0; ; off += 500 {
		var page struct {
			Items []*apiTicket `json:"items"`
			Total int          `json:"total"`
		}
		if err := r.getJSON(ctx, "/api/v1/tickets?limit=500&offset="+strconv.Itoa(off), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if len(page.Items) < 500 {
			break
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all, nil
}

// clientPhones maps every client's ID to its number. A client made while
// the pages are read (a request replayed from the journal late) shifts the
// pages, so a listing that comes out short is read again.
func (r *Runner) clientPhones(ctx context.Context) (map[int64]string, error) {
	var err error
	for try := 0; try < 5; try++ {
		var out map[int64]string
		if out, err = r.clientPage(ctx); err == nil {
			return out, nil
		}
		time.Sleep(time.Second)
	}
	return nil, err
}

// clientPage reads the client list once, 500 at a time.
func (r *Runner) clientPage(ctx context.Context) (map[int64]string, error) {
	out := map[int64]string{}
	for off := 0; ; off += 500 {
		var page struct {
			Items []struct {
				ID    int64  `json:"id"`
				Phone string `json:"phone"`
			} `json:"items"`
			Total int `json:"total"`
		}
		if err := r.getJSON(ctx, "/api/v1/clients?limit=500&offset="+strconv.Itoa(off), &page); err != nil {
			return nil, err
		}
		for _, c := range page.Items {
			out[c.ID] = c.Phone
		}
		if len(page.Items) < 500 {
			if len(out) != page.Total {
				return nil, fmt.Errorf("loadgen: books: the client list gave %d of %d clients (its order is not stable)", len(out), page.Total)
			}
			return out, nil
		}
	}
}

// getJSON reads path from any target that answers, trying each in turn.
func (r *Runner) getJSON(ctx context.Context, path string, v any) error {
	var last error
	for try := 0; try < 3*len(r.cfg.Targets); try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.target()+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+r.cfg.APITokens[0])
		resp, err := r.client.Do(req)
		if err != nil {
			last = err
			time.Sleep(200 * time.Millisecond)
			continue
		}
		err = json.NewDecoder(resp.Body).Decode(v)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			last = fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		return err
	}
	return fmt.Errorf("loadgen: books: %w", last)
}
