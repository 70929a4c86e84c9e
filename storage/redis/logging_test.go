package redis

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// go-redis's complaints about an unreachable server reach the service's
// log, not stderr.
func TestUseLoggerCarriesClientMessages(t *testing.T) {
	var buf syncBuffer
	UseLogger(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { UseLogger(slog.New(slog.DiscardHandler)) })

	c, err := NewClient("redis://127.0.0.1:1/0", "test:")
	must(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Ping(ctx) // fails: nothing listens on port 1
	ps := c.rdb.Subscribe(ctx, "nowhere")
	_, _ = ps.ReceiveTimeout(ctx, time.Second)
	_ = ps.Close()
	if !strings.Contains(buf.String(), `"msg":"redis client: `) {
		t.Fatalf("go-redis's message about an unreachable server did not reach the logger: %q", buf.String())
	}
}

// syncBuffer is written by go-redis's goroutines and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
