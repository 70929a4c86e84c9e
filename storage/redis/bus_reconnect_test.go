package redis

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// cutProxy stands between one test's client and the shared Redis, so that
// the test can drop its own connections without touching anybody else's.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func startCutProxy(t *testing.T) (*cutProxy, string) {
	t.Helper()
	u, err := url.Parse(storagetest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: u.Host}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
		p.wg.Wait()
	})
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { defer p.wg.Done(); _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

// cut closes every connection made so far; new ones are let through.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// Events published while a subscription's connection is down are lost; the
// subscriber must hear of it (its channel closes) instead of carrying on
// with a hole that no one will ever fill.
func TestBusSubscriptionEndsWhenItsConnectionWasLost(t *testing.T) {
	ctx := testCtx(t)
	proxy, proxied := startCutProxy(t)
	direct := testClient(t)
	sub, err := Open(ctx, proxied, direct.prefix)
	must(t, err)
	t.Cleanup(func() { sub.Close() })

	subCtx, stop := context.WithCancel(ctx)
	defer stop()
	events, err := NewBus(sub).Subscribe(subCtx)
	must(t, err)
	must(t, NewBus(direct).Publish(ctx, dispatch.Event{ID: 1, TicketID: 1, Kind: "created"}))
	if e := <-events; e.ID != 1 {
		t.Fatalf("first event: %+v", e)
	}

	proxy.cut()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return // closed: the subscriber knows to catch up
			}
			t.Logf("event after the cut: %+v", e)
		case <-time.After(200 * time.Millisecond):
			// Keep publishing: go-redis notices the loss when it next
			// reads, and resubscribes through the proxy.
			_ = NewBus(direct).Publish(ctx, dispatch.Event{ID: 2, TicketID: 1, Kind: "note"})
		case <-deadline:
			t.Fatal("the subscription went on as if nothing had been lost")
		}
	}
}
