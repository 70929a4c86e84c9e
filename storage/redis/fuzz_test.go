package redis

import (
	"strings"
	"testing"
)

// FuzzParseURL: REDIS_URL is read from the environment; any value is
// either parsed or refused with an error naming REDIS_URL and without the
// password in it.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"redis://127.0.0.1:6379/0", "rediss://:pw@h:1/2", "redis-sentinel://a:1,b:2/0?master_name=m",
		"redis-cluster://a:1,b:2", "redis://h?addr=a:1&addr=b:2", "", "http://x", "redis://:secretpw@[::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := ParseURL(raw)
		if err == nil {
			return
		}
		msg := err.Error()
		if !strings.Contains(msg, "REDIS_URL") {
			t.Fatalf("ParseURL(%q): error does not name REDIS_URL: %v", raw, err)
		}
		if strings.Contains(raw, "secretpw") && strings.Contains(msg, "secretpw") {
			t.Fatalf("ParseURL(%q): error shows the password: %v", raw, err)
		}
	})
}
