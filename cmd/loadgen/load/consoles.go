package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ConsoleConfig is one live-console run: Streams consoles of one dispatcher
// follow /console/events while notes are added to tickets through the API
// at Rate a second. Every note is an audit row that the service publishes
// on its event bus, so each one should reach every console of its centre
// exactly once.
type ConsoleConfig struct {
	Targets   []string // base URLs; streams and notes use them in turn (loopback only)
	APITokens []string // dispatcher-role tokens: the notes and the tickets
	// User and Password log in to the console (`dispatcher user add`);
	// Centre is that user's centre, 0 when they see every centre. It
	// decides which notes the streams must get and which they must not.
	User, Password string
	Centre         int64

	Streams  int
	Rate     float64 // notes per second
	Duration time.Duration
	// Tickets the notes go round (0: enough that a ticket's notes never
	// overlap); Places where they are made, in turn, so that some belong to
	// another centre than the user's.
	Tickets int
	Places  []Point
	// Drain is the longest wait after the last note for the streams to get
	// it; the wait ends early once every stream has all it should.
	Drain   time.Duration
	Timeout time.Duration // per API request
	RunID   int64
	Log     io.Writer
}

func (c *ConsoleConfig) defaults() error {
	if len(c.Targets) == 0 || len(c.APITokens) == 0 || c.User == "" || c.Streams <= 0 || c.Rate <= 0 {
		return errors.New("loadgen: a console run needs targets, API tokens, a user, streams and a rate")
	}
	for _, t := range c.Targets {
		if err := loopback(t); err != nil {
			return err
		}
	}
	if c.Tickets == 0 {
		c.Tickets = max(10, int(c.Rate*2))
	}
	if len(c.Places) == 0 {
		// Saryarka and Yesil districts of Astana: two centres.
		c.Places = []Point{{Lat: 51.20, Lon: 71.37}, {Lat: 51.12, Lon: 71.40}}
	}
	if c.Drain == 0 {
		c.Drain = 10 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.RunID == 0 {
		c.RunID = time.Now().Unix() % 100000
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

// ConsoleRunner runs one live-console measurement.
type ConsoleRunner struct {
	cfg    ConsoleConfig
	api    *http.Client // notes, tickets, login
	sse    *http.Client // streams: no overall timeout
	cookie string
	next   atomic.Uint64

	mu       sync.Mutex
	t0       time.Time
	notes    map[int64][]noteSent // by ticket, in the order sent
	busy     map[int64]bool       // tickets with a note in flight
	errs     map[string]int
	streams  []*stream
	received atomic.Int64 // note events received, all streams
}

type noteSent struct {
	sent, answered time.Time
	status         int
}

// stream is one console's event stream.
type stream struct {
	arrivals   []Arrival
	reconnects int
	reloads    int
	last       int64 // Last-Event-ID for a reconnect
}

// NewConsoleRunner checks cfg and prepares the HTTP clients.
func NewConsoleRunner(cfg ConsoleConfig) (*ConsoleRunner, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second}
	str := &http.Transport{MaxIdleConns: cfg.Streams, MaxIdleConnsPerHost: cfg.Streams}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &ConsoleRunner{cfg: cfg,
		api:   &http.Client{Transport: tr, Timeout: cfg.Timeout, CheckRedirect: noRedirect},
		sse:   &http.Client{Transport: str, CheckRedirect: noRedirect},
		notes: map[int64][]noteSent{}, busy: map[int64]bool{}, errs: map[string]int{}}, nil
}

func (r *ConsoleRunner) target() string {
	return r.cfg.Targets[int(r.next.Add(1))%len(r.cfg.Targets)]
}

func (r *ConsoleRunner) countErr(kind string) {
	r.mu.Lock()
	r.errs[kind]++
	r.mu.Unlock()
}

// Run logs in, makes the tickets, opens the streams, adds the notes, waits
// for them to arrive and accounts for every one.
func (r *ConsoleRunner) Run(ctx context.Context) (*ConsoleReport, error) {
	c := r.cfg
	if err := r.login(ctx); err != nil {
		return nil, err
	}
	tickets, err := r.makeTickets(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c.Log, "loadgen: %d tickets made; opening %d console streams\n", len(tickets), c.Streams)
	sctx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	var wg sync.WaitGroup
	ready := make(chan struct{}, c.Streams)
	r.streams = make([]*stream, c.Streams)
	for i := range r.streams {
		s := &stream{}
		r.streams[i] = s
		wg.Add(1)
		go func() { defer wg.Done(); r.follow(sctx, s, ready) }()
	}
	for range c.Streams {
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(60 * time.Second):
			return nil, errors.New("loadgen: the console streams did not all open within a minute")
		}
	}
	fmt.Fprintf(c.Log, "loadgen: %d streams open; %g notes/s for %v\n", c.Streams, c.Rate, c.Duration)
	r.t0 = time.Now()
	sendDur := r.drive(ctx, tickets)
	r.waitDelivered(ctx)
	stopStreams()
	wg.Wait()
	expected, unpaired, err := r.expected(ctx, tickets)
	if err != nil {
		return nil, err
	}
	return r.report(sendDur, expected, unpaired), nil
}

var csrfInput = regexp.MustCompile(`name="csrf"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf"`)

// login goes through the console's login form as a browser does: the page
// sets a double-submit cookie and a hidden token, the POST gets the
// session cookie, which every stream then sends.
func (r *ConsoleRunner) login(ctx context.Context) error {
	base := r.cfg.Targets[0]
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/console/login", nil)
	resp, err := r.api.Do(req)
	if err != nil {
		return fmt.Errorf("loadgen: console login page: %w", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindSubmatch(page)
	var loginCookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "dsp_login" {
			loginCookie = ck
		}
	}
	if m == nil || loginCookie == nil {
		return fmt.Errorf("loadgen: console login page (HTTP %d) has no CSRF token", resp.StatusCode)
	}
	tok := html.UnescapeString(string(m[1]) + string(m[2]))
	form := url.Values{"name": {r.cfg.User}, "password": {r.cfg.Password}, "csrf": {tok}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/console/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: loginCookie.Name, Value: loginCookie.Value})
	resp, err = r.api.Do(req)
	if err != nil {
		return fmt.Errorf("loadgen: console login: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "dsp_session" && ck.Value != "" {
			r.cookie = ck.Value
			return nil
		}
	}
	return fmt.Errorf("loadgen: console login as %q: HTTP %d and no session (wrong password?)", r.cfg.User, resp.StatusCode)
}

// apiDo sends one API request with token i's bearer, waiting out the
// per-token write limit. It returns the status and the body.
func (r *ConsoleRunner) apiDo(ctx context.Context, i int, method, path string, body any) (int, []byte, error) {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(ctx, method, r.target()+path, bytes.NewReader(b))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+r.cfg.APITokens[(i+try)%len(r.cfg.APITokens)])
		resp, err := r.api.Do(req)
		if err != nil {
			return 0, nil, err
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && try < 120 && method == http.MethodPost && !strings.Contains(path, "/notes") {
			select {
			case <-time.After(time.Second):
				continue
			case <-ctx.Done():
				return 0, nil, ctx.Err()
			}
		}
		return resp.StatusCode, out, nil
	}
}

func (r *ConsoleRunner) makeTickets(ctx context.Context) ([]int64, error) {
	ids := make([]int64, r.cfg.Tickets)
	for i := range ids {
		p := r.cfg.Places[i%len(r.cfg.Places)]
		body := map[string]any{"phone": fmt.Sprintf("+7708%02d%05d", r.cfg.RunID%100, i), "name": "Нагрузка консоли",
			"category": "other", "description": "Проверка живой консоли", "language": "ru",
			"location": Point{Lat: p.Lat + float64(i%7)*0.001, Lon: p.Lon}, "urgency": "normal"}
		st, b, err := r.apiDo(ctx, i, http.MethodPost, "/api/v1/tickets", body)
		if err != nil {
			return nil, fmt.Errorf("loadgen: making console ticket %d: %w", i, err)
		}
		var t struct {
			ID int64 `json:"id"`
		}
		if st != http.StatusCreated || json.Unmarshal(b, &t) != nil || t.ID == 0 {
			return nil, fmt.Errorf("loadgen: making console ticket %d: HTTP %d: %.200s", i, st, b)
		}
		ids[i] = t.ID
	}
	return ids, nil
}

// follow keeps one console stream open until ctx ends, reconnecting with
// Last-Event-ID as a browser does, and records each note event's arrival.
func (r *ConsoleRunner) follow(ctx context.Context, s *stream, ready chan<- struct{}) {
	first := true
	for ctx.Err() == nil {
		err := r.readStream(ctx, s, func() {
			if first {
				first = false
				ready <- struct{}{}
			}
		})
		if ctx.Err() != nil {
			return
		}
		s.reconnects++
		if err != nil {
			r.countErr("stream_" + errKind(err))
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return
		}
	}
}

func (r *ConsoleRunner) readStream(ctx context.Context, s *stream, opened func()) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.target()+"/console/events", nil)
	if err != nil {
		return err
	}
	req.AddCookie(&http.Cookie{Name: "dsp_session", Value: r.cookie})
	req.Header.Set("Accept", "text/event-stream")
	if s.last > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(s.last, 10))
	}
	resp, err := r.sse.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 4096)
	var id int64
	var name string
	var data []byte
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		opened()
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0: // the end of one event
			if name == "reload" {
				s.reloads++
			}
			if data != nil && name == "" {
				r.received.Add(s.record(id, data, time.Now()))
			}
			if id > 0 {
				s.last = id
			}
			id, name, data = 0, "", nil
		case bytes.HasPrefix(line, []byte("id: ")):
			id, _ = strconv.ParseInt(string(line[4:]), 10, 64)
		case bytes.HasPrefix(line, []byte("event: ")):
			name = string(line[7:])
		case bytes.HasPrefix(line, []byte("data: ")):
			data = append([]byte(nil), line[6:]...)
		}
	}
}

// record keeps a note event's arrival; the rest of the stream (matches,
// offers, routing) is not what this run measures.
func (s *stream) record(id int64, data []byte, at time.Time) int64 {
	var e struct {
		ID       int64  `json:"id"`
		TicketID int64  `json:"ticket_id"`
		Kind     string `json:"kind"`
	}
	if json.Unmarshal(data, &e) != nil || e.Kind != "note" || e.ID == 0 {
		return 0
	}
	s.arrivals = append(s.arrivals, Arrival{EventID: e.ID, Ticket: e.TicketID, At: at})
	return 1
}

// drive adds notes at the rate for the duration, open loop: a note due
// when every ticket still waits for its previous note is not sent (counted
// "generator_saturated"), so that one ticket's notes stay in order.
func (r *ConsoleRunner) drive(ctx context.Context, tickets []int64) time.Duration {
	c := r.cfg
	interval := time.Duration(float64(time.Second) / c.Rate)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= c.Duration {
			break
		}
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				wg.Wait()
				return time.Since(start)
			}
		}
		tk := r.claimTicket(tickets, i)
		if tk == 0 {
			r.countErr("generator_saturated")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := noteSent{sent: time.Now()}
			st, _, err := r.apiDo(ctx, i, http.MethodPost, fmt.Sprintf("/api/v1/tickets/%d/notes", tk),
				map[string]string{"text": fmt.Sprintf("нагрузка %d", i)})
			n.answered, n.status = time.Now(), st
			if err != nil {
				r.countErr("note_" + errKind(err))
			} else if st != http.StatusNoContent {
				r.countErr(fmt.Sprintf("note_http_%d", st))
			}
			r.mu.Lock()
			r.notes[tk] = append(r.notes[tk], n)
			delete(r.busy, tk)
			r.mu.Unlock()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func (r *ConsoleRunner) claimTicket(tickets []int64, i int) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range tickets {
		tk := tickets[(i+k)%len(tickets)]
		if !r.busy[tk] {
			r.busy[tk] = true
			return tk
		}
	}
	return 0
}

// waitDelivered waits until the streams have received as many note events
// as they can (the notes answered 204 times the streams, an upper bound
// when some notes are in another centre) stop growing for a second, or the
// drain time is up.
func (r *ConsoleRunner) waitDelivered(ctx context.Context) {
	end := time.Now().Add(r.cfg.Drain)
	last, still := r.received.Load(), time.Now()
	for time.Now().Before(end) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		if n := r.received.Load(); n != last {
			last, still = n, time.Now()
		} else if time.Since(still) > time.Second {
			return
		}
	}
}

// expected reads each ticket's timeline and pairs its note events, in id
// order, with the notes sent to it, in the order sent (a ticket never has
// two notes in flight, so both orders are the commit order). A ticket whose
// counts differ is left unpaired and reported.
func (r *ConsoleRunner) expected(ctx context.Context, tickets []int64) (map[int64]Expected, int, error) {
	out := map[int64]Expected{}
	unpaired := 0
	for i, tk := range tickets {
		st, b, err := r.apiDo(ctx, i, http.MethodGet, fmt.Sprintf("/api/v1/tickets/%d", tk), nil)
		if err != nil || st != http.StatusOK {
			return nil, 0, fmt.Errorf("loadgen: reading ticket %d: HTTP %d %v", tk, st, err)
		}
		var t struct {
			Events []struct {
				ID   int64  `json:"id"`
				Kind string `json:"kind"`
				Data string `json:"data"`
			} `json:"events"`
		}
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, 0, fmt.Errorf("loadgen: reading ticket %d: %w", tk, err)
		}
		var centre int64
		var ids []int64
		for _, e := range t.Events {
			switch e.Kind {
			case "routed":
				var d struct {
					Centre int64 `json:"centre_id"`
				}
				if json.Unmarshal([]byte(e.Data), &d) == nil {
					centre = d.Centre
				}
			case "note":
				ids = append(ids, e.ID)
			}
		}
		r.mu.Lock()
		var ok []noteSent
		for _, n := range r.notes[tk] {
			if n.status == http.StatusNoContent {
				ok = append(ok, n)
			}
		}
		r.mu.Unlock()
		if len(ok) != len(ids) {
			unpaired += max(len(ok), len(ids))
			continue
		}
		visible := r.cfg.Centre == 0 || centre == 0 || centre == r.cfg.Centre
		for k, id := range sortedIDs(ids) {
			out[id] = Expected{Ticket: tk, Sent: ok[k].sent, Answered: ok[k].answered, Visible: visible}
		}
	}
	return out, unpaired, nil
}
