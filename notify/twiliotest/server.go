package twiliotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials of the fake account that New uses. Twilio's client refuses
// anything but letters and digits in them.
const (
	AccountSID = "AC00000000000000000000000000000001"
	AuthToken  = "0123456789abcdef0123456789abcdef"
)

// dateFormat is how Twilio writes dates in its JSON (RFC 2822).
const dateFormat = "Mon, 02 Jan 2006 15:04:05 -0700"

// Message is one message the fake accepted: what a phone would receive.
type Message struct {
	SID            string
	AccountSID     string // the basic-auth user that sent it
	To             string
	From           string
	Body           string
	StatusCallback string
	Status         string
	// Form is the exact form the client posted.
	Form    url.Values
	Created time.Time
}

// Server is a fake Twilio REST API for messages: create, list and fetch.
// It is safe for concurrent use.
type Server struct {
	accountSID, authToken string
	srv                   *httptest.Server

	mu       sync.Mutex
	msgs     []*Message
	faults   []fault
	reject   map[string]int
	requests int
}

type fault struct {
	status int
	lose   bool // accept the message, then answer 500 as if the answer was lost
}

// NewServer starts a fake for the given account. Close it when done.
func NewServer(accountSID, authToken string) *Server {
	s := &Server{accountSID: accountSID, authToken: authToken, reject: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// New starts a fake with AccountSID and AuthToken, closed when t ends.
func New(t testing.TB) *Server {
	s := NewServer(AccountSID, AuthToken)
	t.Cleanup(s.Close)
	return s
}

// URL is the base URL to give the client instead of https://api.twilio.com.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// AccountSID and AuthToken are the credentials the fake accepts.
func (s *Server) AccountSID() string { return s.accountSID }

// AuthToken is the account's token, which also signs status callbacks.
func (s *Server) AuthToken() string { return s.authToken }

// FailNext makes the next n requests of any kind fail with status (429 or
// 500 usually) without recording anything.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.faults = append(s.faults, fault{status: status})
	}
}

// LoseNext makes the next n message creations succeed (the message is
// recorded as sent) but answer 500, as when the connection dies after Twilio
// accepted the message: the case a sender must check before sending again.
func (s *Server) LoseNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.faults = append(s.faults, fault{status: 500, lose: true})
	}
}

// Reject makes every message to the number fail with Twilio's error code,
// for example 21211 (invalid number) or 21610 (the recipient replied STOP).
func (s *Server) Reject(to string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject[to] = code
}

// Messages returns a copy of every message accepted, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = *m
		out[i].Form = cloneValues(m.Form)
	}
	return out
}

// MessagesTo returns the messages accepted for one number, oldest first.
func (s *Server) MessagesTo(to string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// Requests counts every request received, failed ones included.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// SendStatus posts a status callback for message sid to the URL it was
// created with, signed with the account's token, as Twilio does. It returns
// the HTTP status the service answered.
func (s *Server) SendStatus(ctx context.Context, sid, status, errorCode string) (int, error) {
	s.mu.Lock()
	var m *Message
	for _, x := range s.msgs {
		if x.SID == sid {
			m = x
		}
	}
	if m != nil {
		m.Status = status
	}
	s.mu.Unlock()
	if m == nil {
		return 0, fmt.Errorf("twiliotest: no message %s", sid)
	}
	if m.StatusCallback == "" {
		return 0, fmt.Errorf("twiliotest: message %s has no StatusCallback", sid)
	}
	form := url.Values{"MessageSid": {sid}, "MessageStatus": {status}, "SmsSid": {sid}, "SmsStatus": {status},
		"AccountSid": {s.accountSID}, "To": {m.To}, "From": {m.From}, "ApiVersion": {"2010-04-01"}}
	if errorCode != "" {
		form.Set("ErrorCode", errorCode)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.StatusCallback, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", Sign(s.authToken, m.StatusCallback, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	var f *fault
	if len(s.faults) > 0 {
		f = &s.faults[0]
		s.faults = s.faults[1:]
	}
	s.mu.Unlock()
	if f != nil && !f.lose {
		writeError(w, f.status, 20000+f.status, "fake failure")
		return
	}
	user, pass, ok := r.BasicAuth()
	prefix := "/2010-04-01/Accounts/" + s.accountSID + "/Messages"
	if !ok || user != s.accountSID || pass != s.authToken {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if !strings.HasPrefix(r.URL.Path, prefix) {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case rest == ".json" && r.Method == http.MethodPost:
		s.create(w, r, user, f)
	case rest == ".json" && r.Method == http.MethodGet:
		s.list(w, r)
	case strings.HasPrefix(rest, "/") && strings.HasSuffix(rest, ".json") && r.Method == http.MethodGet:
		s.fetch(w, strings.TrimSuffix(strings.TrimPrefix(rest, "/"), ".json"))
	default:
		writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, user string, f *fault) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "bad form: "+err.Error())
		return
	}
	form := r.PostForm
	to, from, body := form.Get("To"), form.Get("From"), form.Get("Body")
	switch {
	case to == "":
		writeError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case from == "":
		writeError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	case body == "":
		writeError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case !validE164(to):
		writeError(w, http.StatusBadRequest, 21211, "The 'To' number "+to+" is not a valid phone number.")
		return
	}
	s.mu.Lock()
	code, rejected := s.reject[to]
	s.mu.Unlock()
	if rejected {
		writeError(w, http.StatusBadRequest, code, "The message to "+to+" was refused.")
		return
	}
	m := &Message{SID: "SM" + randomHex(16), AccountSID: user, To: to, From: from, Body: body,
		StatusCallback: form.Get("StatusCallback"), Status: "sent", Form: cloneValues(form), Created: time.Now().UTC()}
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
	if f != nil {
		writeError(w, f.status, 20500, "fake failure after the message was accepted")
		return
	}
	resp := s.resource(*m)
	resp["status"] = "queued"
	resp["date_sent"] = nil
	writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, err := parseDate(q.Get("DateSent>"))
	if err != nil {
		writeError(w, http.StatusBadRequest, 20001, "bad DateSent>: "+err.Error())
		return
	}
	size, _ := strconv.Atoi(q.Get("PageSize"))
	if size <= 0 || size > 1000 {
		size = 50
	}
	page, _ := strconv.Atoi(q.Get("Page"))
	var match []Message
	for _, m := range s.Messages() {
		if (q.Get("To") == "" || q.Get("To") == m.To) && (q.Get("From") == "" || q.Get("From") == m.From) &&
			!m.Created.Before(after) {
			match = append(match, m)
		}
	}
	// Twilio lists newest first.
	sort.SliceStable(match, func(i, j int) bool { return match[i].Created.After(match[j].Created) })
	start := page * size
	if start > len(match) {
		start = len(match)
	}
	end := min(start+size, len(match))
	msgs := make([]map[string]any, 0, end-start)
	for _, m := range match[start:end] {
		msgs = append(msgs, s.resource(m))
	}
	uri := "/2010-04-01/Accounts/" + s.accountSID + "/Messages.json"
	out := map[string]any{"messages": msgs, "page": page, "page_size": size, "start": start, "end": end,
		"uri": uri, "first_page_uri": uri + "?PageSize=" + strconv.Itoa(size) + "&Page=0", "next_page_uri": nil}
	if end < len(match) {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("Page", strconv.Itoa(page+1))
		next.Set("PageSize", strconv.Itoa(size))
		out["next_page_uri"] = uri + "?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) fetch(w http.ResponseWriter, sid string) {
	for _, m := range s.Messages() {
		if m.SID == sid {
			writeJSON(w, http.StatusOK, s.resource(m))
			return
		}
	}
	writeError(w, http.StatusNotFound, 20404, "The requested resource was not found")
}

func (s *Server) resource(m Message) map[string]any {
	date := m.Created.Format(dateFormat)
	return map[string]any{"sid": m.SID, "account_sid": s.accountSID, "to": m.To, "from": m.From, "body": m.Body,
		"status": m.Status, "direction": "outbound-api", "num_segments": "1", "num_media": "0",
		"date_created": date, "date_updated": date, "date_sent": date, "api_version": "2010-04-01",
		"error_code": nil, "error_message": nil,
		"uri": "/2010-04-01/Accounts/" + s.accountSID + "/Messages/" + m.SID + ".json"}
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", s)
}

func validE164(p string) bool {
	if len(p) < 8 || len(p) > 16 || p[0] != '+' {
		return false
	}
	for _, c := range p[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg, "status": status,
		"more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(code)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
