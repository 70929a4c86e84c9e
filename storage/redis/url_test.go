package redis

import (
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url      string
		addrs    string
		db       int
		master   string
		cluster  bool
		tls      bool
		password string
	}{
		{url: "redis://127.0.0.1:6379/0", addrs: "127.0.0.1:6379"},
		{url: "redis://localhost", addrs: "localhost:6379"},
		{url: "redis://:secret@cache.internal:6380/3", addrs: "cache.internal:6380", db: 3, password: "secret"},
		{url: "rediss://user:pw@cache.example.kz:6380", addrs: "cache.example.kz:6380", tls: true, password: "pw"},
		{url: "redis://[::1]:6379/1", addrs: "[::1]:6379", db: 1},
		{url: "redis-sentinel://s1:26379,s2:26379,s3/2?master_name=mymaster",
			addrs: "s1:26379,s2:26379,s3:26379", db: 2, master: "mymaster"},
		{url: "redis://s1:26379?master_name=m&addr=s2:26379", addrs: "s1:26379,s2:26379", master: "m"},
		{url: "redis://n1:7000,n2:7001,n3", addrs: "n1:7000,n2:7001,n3:6379"},
		{url: "redis://n1:7000?addr=n2:7001&addr=n3:7002", addrs: "n1:7000,n2:7001,n3:7002"},
		{url: "redis-cluster://cfg.example:6379", addrs: "cfg.example:6379", cluster: true},
		{url: "redis://h:6379?dial_timeout=2s&pool_size=20&client_name=dsp", addrs: "h:6379"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			o, err := ParseURL(tt.url)
			if err != nil {
				t.Fatalf("ParseURL: %v", err)
			}
			if got := strings.Join(o.Addrs, ","); got != tt.addrs {
				t.Errorf("Addrs = %s, want %s", got, tt.addrs)
			}
			if o.DB != tt.db || o.MasterName != tt.master || o.IsClusterMode != tt.cluster ||
				(o.TLSConfig != nil) != tt.tls || o.Password != tt.password {
				t.Errorf("got db=%d master=%q cluster=%v tls=%v password=%q", o.DB, o.MasterName,
					o.IsClusterMode, o.TLSConfig != nil, o.Password)
			}
		})
	}
}

func TestParseURLBad(t *testing.T) {
	for _, u := range []string{
		"",
		"127.0.0.1:6379",
		"http://127.0.0.1:6379",
		"redis://:hunter2@h:99999",
		"redis://h/abc",
		"redis://h:6379?master_nmae=x",
		"redis-sentinel://s1:26379",
		"redis://a,,b",
		"redis://n1,n2/3",
		"redis://h?dial_timeout=soon",
		"redis://h?pool_size=-1",
	} {
		_, err := ParseURL(u)
		if err == nil {
			t.Errorf("ParseURL(%q) = nil error", u)
			continue
		}
		msg := dispatch.ErrorMessage(err)
		if dispatch.ErrorCode(err) != dispatch.EINVALID || !strings.Contains(msg, "REDIS_URL") {
			t.Errorf("ParseURL(%q) = %v, want EINVALID naming REDIS_URL", u, err)
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("ParseURL(%q): message shows the password: %s", u, msg)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	_, err := Open(testCtx(t), "redis://127.0.0.1:1/0?dial_timeout=1s", "x:")
	if dispatch.ErrorCode(err) != dispatch.EUNAVAILABLE {
		t.Fatalf("Open of a closed port = %v, want EUNAVAILABLE", err)
	}
}

func TestNewClientIsLazy(t *testing.T) {
	c, err := NewClient("redis://127.0.0.1:1/0?dial_timeout=1s", "x:")
	if err != nil {
		t.Fatalf("NewClient of an unreachable server = %v, want a client", err)
	}
	defer c.Close()
	if err := c.Ping(testCtx(t)); !dispatch.IsCode(err, dispatch.EUNAVAILABLE) {
		t.Fatalf("Ping = %v, want EUNAVAILABLE", err)
	}
	if _, err := NewClient("redis://h/abc", "x:"); !dispatch.IsCode(err, dispatch.EINVALID) {
		t.Fatalf("NewClient of a bad URL = %v, want EINVALID", err)
	}
}

func TestErrorCodes(t *testing.T) {
	ctx := testCtx(t)
	c := testClient(t)
	// A key of the wrong type is a bug, not an outage.
	must(t, c.rdb.Set(ctx, c.geoKey(), "not a geo set", 0).Err())
	if _, err := NewGeoIndex(c).Near(ctx, astana, 1000, 5); !dispatch.IsCode(err, dispatch.EINTERNAL) {
		t.Errorf("Near on a string key = %v, want EINTERNAL", err)
	}
	// A closed connection is an outage.
	c2 := testClientPrefix(t, c.prefix)
	c2.Close()
	if err := c2.Ping(ctx); !dispatch.IsCode(err, dispatch.EUNAVAILABLE) {
		t.Errorf("Ping on a closed client = %v, want EUNAVAILABLE", err)
	}
}
