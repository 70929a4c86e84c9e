package integration

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/kz-volunteers/dispatcher/storage/postgres/pgtest"
	"github.com/kz-volunteers/dispatcher/storage/redis"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// apiProxy forwards TCP connections to target until Break, which closes
// the listener and every connection, as a Redis that stopped would; Mend
// listens again on the same address.
type apiProxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newAPIProxy(t *testing.T, target string) *apiProxy {
	p := &apiProxy{t: t, target: target, addr: "127.0.0.1:0"}
	p.Mend()
	t.Cleanup(p.Break)
	return p
}

func (p *apiProxy) Mend() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); io.Copy(up, c); up.Close() }()
			go func() { defer p.wg.Done(); io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *apiProxy) Break() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// TestReadyzFollowsRedis: /readyz answers 503 naming redis while the real
// Redis client cannot reach its server, and 200 as soon as it can again,
// with the same server and client (no restart).
func TestReadyzFollowsRedis(t *testing.T) {
	ctx := context.Background()
	_, store := pgtest.New(t)
	u, err := url.Parse(storagetest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := newAPIProxy(t, u.Host)
	u.Host = proxy.addr
	rc, err := redis.Open(ctx, u.String(), storagetest.RedisPrefix(t))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	srv := httpd.New(httpd.Options{Logger: slog.New(slog.DiscardHandler), Checks: []httpd.Check{
		{Name: "postgresql", Ping: store.Ping},
		{Name: "redis", Ping: rc.Ping},
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Start(ln) }()
	defer func() {
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		<-done
	}()
	ready := func() (int, map[string]any) {
		t.Helper()
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := c.Get("http://" + ln.Addr().String() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, body
	}
	if code, body := ready(); code != 200 {
		t.Fatalf("both up: %d %v", code, body)
	}
	proxy.Break()
	code, body := ready()
	checks, _ := body["checks"].(map[string]any)
	if code != 503 || checks["redis"] != "down" || checks["postgresql"] != "ok" {
		t.Fatalf("redis down: %d %v", code, body)
	}
	if down, _ := body["down"].([]any); len(down) != 1 || down[0] != "redis" {
		t.Fatalf("down %v, want [redis]", body["down"])
	}
	proxy.Mend()
	if code, body := ready(); code != 200 {
		t.Fatalf("redis back: %d %v", code, body)
	}
}
