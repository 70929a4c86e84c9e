package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
)

// onSent reads a text the service handed to Twilio: it keeps what the books
// need and lets the volunteer it went to answer.
func (r *Runner) onSent(s Sent) {
	r.mu.Lock()
	r.sent = append(r.sent, s)
	r.lastSent = s.At
	switch s.Kind {
	case KindReceived, KindCallback:
		r.confirms[s.To] = append(r.confirms[s.To], s.Code)
	case KindOffer:
		if _, ok := r.offers[s.Code]; !ok && s.Code != "" {
			r.offers[s.Code] = s.At
		}
	case KindAssigned:
		r.assigned[s.Code] = append(r.assigned[s.Code], s)
	}
	r.mu.Unlock()
	if r.closed.Load() || s.Code == "" {
		return
	}
	v := r.cfg.Volunteers
	switch s.Kind {
	case KindOffer:
		x := r.float()
		switch {
		case x < v.Accept:
			r.later(spread(v.AcceptDelay, r.float()), s.To, "1 "+s.Code, "accept", s.Code)
		case x < v.Accept+v.Decline:
			r.later(spread(v.DeclineDelay, r.float()), s.To, "2 "+s.Code, "decline", s.Code)
		default:
			r.act("ignore")
		}
	case KindAssigned:
		if v.FinishDelay >= 0 {
			r.later(spread(v.FinishDelay, r.float()), s.To, "3 "+s.Code, "done", s.Code)
		}
	}
}

func (r *Runner) act(what string) {
	r.mu.Lock()
	r.actions[what]++
	r.mu.Unlock()
}

// later texts body from a volunteer's phone after d, and once more if the
// volunteers answer twice.
func (r *Runner) later(d time.Duration, from, body, what, code string) {
	r.bg.Add(1)
	time.AfterFunc(d, func() {
		defer r.bg.Done()
		if r.closed.Load() {
			return
		}
		times := 1
		if r.cfg.Volunteers.AnswerTwice && what != "decline" {
			times = 2
		}
		for k := 0; k < times; k++ {
			form := url.Values{"MessageSid": {"SM" + randHex(16)}, "AccountSid": {twiliotest.AccountSID},
				"From": {from}, "To": {r.cfg.ServiceNumber}, "Body": {body}, "NumMedia": {"0"}}
			st, _ := r.webhook(context.Background(), GroupVolunteer, "/twilio/sms", form)
			if st/100 == 2 {
				r.act(what)
				if what == "accept" && k == 0 {
					r.mu.Lock()
					r.accepted[from+" "+code] = time.Now()
					r.mu.Unlock()
				}
			} else {
				r.act(what + "_failed")
			}
		}
	})
}

// spread draws a delay from half to one and a half times mean.
func spread(mean time.Duration, x float64) time.Duration {
	if mean <= 0 {
		return 0
	}
	return time.Duration(float64(mean) * (0.5 + x))
}

// volunteerPhone is seeded volunteer i's number.
func (r *Runner) volunteerPhone(i int) string {
	return fmt.Sprintf("+7705%07d", (r.cfg.Volunteers.PhoneBase+int64(i))%10000000)
}

// seedVolunteers creates the volunteers through the API, eight at a time;
// a number that exists already is left as it is.
func (r *Runner) seedVolunteers(ctx context.Context) error {
	n := r.cfg.Volunteers.Seed
	if n == 0 {
		return nil
	}
	start := time.Now()
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	created, existed := 0, 0
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				ok, err := r.seedOne(ctx, i)
				mu.Lock()
				switch {
				case err != nil && firstErr == nil:
					firstErr = err
				case ok:
					created++
				case err == nil:
					existed++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	fmt.Fprintf(r.cfg.Log, "loadgen: volunteers seeded in %v: %d new, %d there already\n",
		time.Since(start).Round(time.Millisecond), created, existed)
	return nil
}

func (r *Runner) seedOne(ctx context.Context, i int) (bool, error) {
	v := r.cfg.Volunteers
	langs := [][]string{{"kk", "ru"}, {"ru"}, {"kk", "ru", "en"}}[i%3]
	skills := [][]string{{}, {"car"}, {"wheelchair"}, {"car", "wheelchair"}}[i%4]
	body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("Волонтёр %d", i), "phone": r.volunteerPhone(i),
		"languages": langs, "skills": skills, "location": jitter(r.float(), r.float(), v.Centre, v.SpreadKM),
		"available": true, "max_tasks": 2})
	for try := 0; ; try++ {
		tok := r.cfg.APITokens[(i+try)%len(r.cfg.APITokens)]
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.target()+"/api/v1/volunteers", bytes.NewReader(body))
		if err != nil {
			return false, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := r.client.Do(req)
		if err != nil {
			return false, fmt.Errorf("loadgen: seeding volunteer %d: %w", i, err)
		}
		var e struct {
			Message string `json:"message"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusCreated:
			return true, nil
		case resp.StatusCode == http.StatusConflict:
			return false, nil
		case resp.StatusCode == http.StatusTooManyRequests && try < 120:
			// The per-token write limit: wait for the minute to move on.
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return false, ctx.Err()
			}
		default:
			return false, fmt.Errorf("loadgen: seeding volunteer %d: HTTP %d: %s", i, resp.StatusCode, e.Message)
		}
	}
}
