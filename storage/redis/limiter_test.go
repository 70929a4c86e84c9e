package redis

import (
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestLimiter(t *testing.T) {
	ctx := testCtx(t)
	c := testClient(t)
	l := NewLimiter(c)
	// Start at a window boundary so the windows below are exact.
	clock := time.UnixMilli(time.Now().UnixMilli() / 60_000 * 60_000)
	l.now = func() time.Time { return clock }
	other := NewLimiter(testClientPrefix(t, c.prefix)) // another process
	other.now = l.now

	allow := func(l *Limiter, key string) bool {
		t.Helper()
		ok, err := l.Allow(ctx, key, 3, time.Minute)
		must(t, err)
		return ok
	}
	for i := range 3 {
		lim := l
		if i == 1 {
			lim = other
		}
		if !allow(lim, "login:aigerim") {
			t.Fatalf("attempt %d refused, want allowed", i+1)
		}
	}
	if allow(l, "login:aigerim") || allow(other, "login:aigerim") {
		t.Fatal("fourth attempt in the window allowed, on either process")
	}
	if !allow(l, "login:daniyar") {
		t.Fatal("another key refused")
	}

	// Half a minute into the next window, half of the last window's 3
	// attempts still count: 1.5 + 0 and 1.5 + 1 are under 3, 1.5 + 2 is not.
	clock = clock.Add(90 * time.Second)
	for i := 0; i < 2; i++ {
		if !allow(l, "login:aigerim") {
			t.Fatalf("attempt %d in the next window refused", i+1)
		}
	}
	if allow(l, "login:aigerim") {
		t.Fatal("sliding window let a burst through at the window edge")
	}
	// Two windows later the key is free again.
	clock = clock.Add(2 * time.Minute)
	if !allow(l, "login:aigerim") {
		t.Fatal("attempt after the window refused")
	}

	// The key holds no personal data in the clear.
	keys, err := c.rdb.Keys(ctx, c.prefix+"*").Result()
	must(t, err)
	for _, k := range keys {
		if strings.Contains(k, "aigerim") || strings.Contains(k, "daniyar") {
			t.Errorf("Redis key %q shows the caller's key", k)
		}
	}

	if _, err := l.Allow(ctx, "x", 0, time.Minute); !dispatch.IsCode(err, dispatch.EINVALID) {
		t.Errorf("limit 0 = %v, want EINVALID", err)
	}
}
