package load

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
)

// Sent is one text the service handed to the fake Twilio and that Twilio
// accepted.
type Sent struct {
	SID, To, Body string
	Kind, Code    string
	At            time.Time
}

// FakeTwilio is notify/twiliotest's fake REST API behind a front that tells
// the load generator about every accepted text the moment it arrives, so
// that volunteers answer offers as soon as a phone would ring, and the time
// an offer left the service is measured where the service hands it over.
type FakeTwilio struct {
	*twiliotest.Server
	classify *Classifier
	ln       net.Listener
	srv      *http.Server
	client   *http.Client

	mu      sync.Mutex
	onSent  func(Sent)
	handled int
}

// NewFakeTwilio starts the fake on addr ("127.0.0.1:0" for any port) with
// twiliotest's account credentials. onSent may be set later with OnSent.
func NewFakeTwilio(addr string, c *Classifier) (*FakeTwilio, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	f := &FakeTwilio{Server: twiliotest.NewServer(twiliotest.AccountSID, twiliotest.AuthToken), classify: c, ln: ln,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}}
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.srv.Serve(ln) }() // ends with Close
	return f, nil
}

// URL is what the service's TWILIO_API_BASE_URL must be.
func (f *FakeTwilio) URL() string { return "http://" + f.ln.Addr().String() }

// OnSent sets the function told about each accepted text. It runs on the
// request's goroutine and must not block.
func (f *FakeTwilio) OnSent(fn func(Sent)) {
	f.mu.Lock()
	f.onSent = fn
	f.mu.Unlock()
}

// Close stops the front and the fake.
func (f *FakeTwilio) Close() {
	_ = f.srv.Close()
	f.Server.Close()
}

func (f *FakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read: "+err.Error(), http.StatusBadRequest)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, f.Server.URL()+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := f.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
	if r.Method != http.MethodPost || resp.StatusCode != http.StatusCreated || !strings.HasSuffix(r.URL.Path, "/Messages.json") {
		return
	}
	form, _ := url.ParseQuery(string(body))
	var res struct {
		SID string `json:"sid"`
	}
	_ = json.Unmarshal(out, &res)
	s := Sent{SID: res.SID, To: form.Get("To"), Body: form.Get("Body"), At: time.Now()}
	s.Kind, s.Code = f.classify.Classify(s.Body)
	f.mu.Lock()
	fn := f.onSent
	f.handled++
	f.mu.Unlock()
	if fn != nil {
		fn(s)
	}
}
