package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// privateRedis starts a redis-server of the test's own on a free port, so
// that the test can stop and start it without disturbing other tests.
func privateRedis(t *testing.T, port int) func() {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitPort(t, port, true)
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		waitPort(t, port, false)
	}
	return stop
}

func waitPort(t *testing.T, port int, open bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		if (err == nil) == open {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("port %d did not become open=%v", port, open)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestReadyzFollowsRedis: stopping Redis makes /readyz answer 503 naming
// Redis; starting it again brings 200 back without restarting the service.
func TestReadyzFollowsRedis(t *testing.T) {
	port := freePort(t)
	stop := privateRedis(t, port)
	m := startMain(t, map[string]string{"REDIS_URL": fmt.Sprintf("redis://127.0.0.1:%d/0", port)})

	ready := func() (int, string) {
		resp, err := http.Get(m.url("/readyz"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		b, _ := json.Marshal(body)
		return resp.StatusCode, string(b)
	}
	if code, body := ready(); code != 200 {
		t.Fatalf("with Redis up: %d %s", code, body)
	}
	stop()
	code, body := ready()
	if code != http.StatusServiceUnavailable || !strings.Contains(strings.ToLower(body), "redis") {
		t.Fatalf("with Redis down: want 503 naming redis, got %d %s", code, body)
	}
	if strings.Contains(strings.ToLower(body), "postgresql\":\"down") {
		t.Fatalf("PostgreSQL reported down too: %s", body)
	}
	stop = privateRedis(t, port)
	defer stop()
	eventually(t, "/readyz 200 after Redis restarted", func() bool { c, _ := ready(); return c == 200 })
}
