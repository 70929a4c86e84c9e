package configs

import (
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.OfferTTL != 10*time.Minute || c.OfferBatch != 3 || len(c.MatchRadiiKM) != 3 {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if !c.SimulatorMode() {
		t.Fatal("no credentials should mean simulator mode")
	}
}

func TestLoadOverride(t *testing.T) {
	c, err := Load(env(map[string]string{"HTTP_ADDR": ":0", "OFFER_TTL": "90s", "MATCH_RADII_KM": "1, 5"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":0" || c.OfferTTL != 90*time.Second || c.MatchRadiiKM[1] != 5 {
		t.Fatalf("overrides not applied: %+v", c)
	}
}

func TestLoadInvalidNamesTheSetting(t *testing.T) {
	for name, val := range map[string]string{
		"DATABASE_URL":    "mysql://x",
		"OFFER_TTL":       "ten minutes",
		"OFFER_BATCH":     "0",
		"MATCH_RADII_KM":  "10,3",
		"TIMEZONE":        "Mars/Olympus",
		"REDIS_URL":       "http://x",
		"TRUSTED_PROXIES": "10.0.0.0/8, proxy.local",
	} {
		_, err := Load(env(map[string]string{name: val}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: want an error naming it, got %v", name, val, err)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := Load(env(map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1, ::1"}))
	if err != nil {
		t.Fatal(err)
	}
	nets, err := c.Proxies()
	if err != nil || len(nets) != 3 {
		t.Fatalf("got %v, %v; want three networks", nets, err)
	}
	for i, ip := range []string{"10.1.2.3", "127.0.0.1", "::1"} {
		if !nets[i].Contains(net.ParseIP(ip)) {
			t.Errorf("%s does not contain %s", nets[i], ip)
		}
	}
	if nets[1].Contains(net.ParseIP("127.0.0.2")) {
		t.Error("a single address became a wider network")
	}
}

// TestEverySettingIsUsed keeps defaults.env and Config in step: a setting in
// the file that no field reads would be a setting that silently does nothing.
func TestEverySettingIsUsed(t *testing.T) {
	s, err := Settings()
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	rt := reflect.TypeOf(Config{})
	for i := 0; i < rt.NumField(); i++ {
		fields[rt.Field(i).Tag.Get("env")] = true
	}
	for _, x := range s {
		if !fields[x.Name] {
			t.Errorf("%s is in defaults.env but no Config field reads it", x.Name)
		}
	}
}
