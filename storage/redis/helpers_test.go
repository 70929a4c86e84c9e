package redis

import (
	"context"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// testClient connects to the test Redis under a prefix of t's own.
func testClient(t testing.TB) *Client {
	t.Helper()
	return testClientPrefix(t, storagetest.RedisPrefix(t))
}

// testClientPrefix connects a further client under an existing prefix, as a
// second process would.
func testClientPrefix(t testing.TB, prefix string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Open(ctx, storagetest.RedisURL(), prefix)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testCtx is a context that ends with the test, with a generous bound so a
// hung Redis fails the test instead of hanging it.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
