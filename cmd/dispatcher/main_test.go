package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// testPublicURL is what the test service believes Twilio calls; signatures
// are computed for it whatever address the server really listens on.
const testPublicURL = "http://dispatcher.test"

// startMain runs the whole service on 127.0.0.1:0 with its own database and
// Redis prefix, and stops it when t ends.
func startMain(t *testing.T, env map[string]string) *Main {
	t.Helper()
	vals := map[string]string{
		"HTTP_ADDR":          "127.0.0.1:0",
		"DATABASE_URL":       storagetest.DatabaseURL(t),
		"REDIS_URL":          storagetest.RedisURL(),
		"REDIS_PREFIX":       storagetest.RedisPrefix(t),
		"PUBLIC_BASE_URL":    testPublicURL,
		"LOG_LEVEL":          "warn",
		"SHUTDOWN_TIMEOUT":   "10s",
		"RECONCILE_INTERVAL": "1s",
	}
	for k, v := range env {
		vals[k] = v
	}
	cfg, err := configs.Load(func(k string) (string, bool) { v, ok := vals[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m := NewMain(cfg, newLogger(logs, "text", "info"))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	})
	ctx := context.Background()
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

// syncBuffer collects the service's log for a failing test's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (m *Main) url(path string) string { return "http://" + m.Addr() + path }

// postTwilio posts a webhook signed as Twilio signs it.
func postTwilio(t *testing.T, m *Main, path string, form url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, m.url(path), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twiliotest.Sign(m.Config.WebhookAuthToken(), testPublicURL+path, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// eventually retries cond until it holds or the deadline passes; the
// deadline is generous because it bounds a failure, not a speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(20 * time.Second)
	defer func() { t.Logf("%s after %s", what, time.Since(start).Round(time.Millisecond)) }()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHealthAndReady(t *testing.T) {
	m := startMain(t, nil)
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(m.url(p))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
}

func TestRunRejectsBadSettings(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "mysql://nope"}
	err := run(context.Background(), []string{"migrate"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("want an error naming DATABASE_URL, got %v", err)
	}
}
