package redis

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// These tests start Redis servers of their own (a three-node Cluster, a
// master with a Sentinel) to prove that the URLs, the hash tags and the
// scripts work beyond a single server: in a Cluster, a script whose keys
// span slots fails with CROSSSLOT.

func TestClusterURL(t *testing.T) {
	bin := redisServer(t)
	var addrs []string
	for range 3 {
		dir := t.TempDir()
		port := startRedis(t, bin, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--dir", dir)
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed")
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, a := range addrs {
		waitFor(t, "cluster_state:ok on "+a, func(ctx context.Context) bool {
			c := goredis.NewClient(&goredis.Options{Addr: a})
			defer c.Close()
			info, err := c.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
	}
	url := "redis://" + strings.Join(addrs, ",")
	c := openTopology(t, url)
	if _, ok := c.rdb.(*goredis.ClusterClient); !ok {
		t.Fatalf("%s gave a %T, want a cluster client", url, c.rdb)
	}
	exercise(t, c, openTopology(t, url))
}

func TestSentinelURL(t *testing.T) {
	bin := redisServer(t)
	master := startRedis(t, bin, "--dir", t.TempDir())
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	port := freePort(t)
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %d 1\n", port, dir, master)
	must(t, os.WriteFile(conf, []byte(text), 0o600))
	start(t, exec.Command(bin, conf, "--sentinel"), port)

	url := fmt.Sprintf("redis-sentinel://127.0.0.1:%d/0?master_name=mymaster", port)
	waitFor(t, "the sentinel to know mymaster", func(ctx context.Context) bool {
		s := goredis.NewSentinelClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
		defer s.Close()
		addr, err := s.GetMasterAddrByName(ctx, "mymaster").Result()
		return err == nil && len(addr) == 2
	})
	c := openTopology(t, url)
	exercise(t, c, openTopology(t, url))
}

// exercise runs every fast-path part once on a and b, two processes' clients.
func exercise(t *testing.T, a, b *Client) {
	ctx := testCtx(t)
	qa, qb := NewQueue(a, time.Minute), NewQueue(b, time.Minute)
	must(t, qa.Push(ctx, 1, time.Now(), dispatch.UrgencyNormal))
	must(t, qa.Push(ctx, 2, time.Now(), dispatch.UrgencyUrgent))
	l, err := qb.Claim(ctx, time.Second)
	must(t, err)
	if l.TicketID != 2 {
		t.Fatalf("Claim = %d, want urgent 2", l.TicketID)
	}
	must(t, qb.Ack(ctx, l))
	if _, err := qb.Claim(ctx, 0); err != nil {
		t.Fatalf("Claim of ticket 1: %v", err)
	}
	if _, err := qb.Claim(ctx, 10*time.Millisecond); !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		t.Fatalf("Claim on an empty queue = %v, want ENOTFOUND", err)
	}
	has, err := qa.Has(ctx, []int64{1, 2})
	must(t, err)
	if !has[1] || has[2] {
		t.Fatalf("Has = %v, want 1 leased and 2 done", has)
	}
	qa.now = func() time.Time { return time.Now().Add(time.Hour) }
	if n, err := qa.RequeueExpired(ctx); err != nil || n != 1 {
		t.Fatalf("RequeueExpired = %d, %v; want 1", n, err)
	}

	g := NewGeoIndex(a)
	must(t, g.Rebuild(ctx, map[int64]dispatch.Location{5: east5, 20: east20}))
	must(t, g.Set(ctx, 1, east1))
	hits, err := NewGeoIndex(b).Near(ctx, astana, 10_000, 5)
	must(t, err)
	if len(hits) != 2 || hits[0].VolunteerID != 1 {
		t.Fatalf("Near = %+v, want 1 then 5", hits)
	}
	if n, err := g.Size(ctx); err != nil || n != 3 {
		t.Fatalf("Size = %d, %v; want 3", n, err)
	}

	if ok, err := NewLimiter(a).Allow(ctx, "form:10.0.0.1", 1, time.Minute); err != nil || !ok {
		t.Fatalf("first Allow = %v, %v", ok, err)
	}
	if ok, err := NewLimiter(b).Allow(ctx, "form:10.0.0.1", 1, time.Minute); err != nil || ok {
		t.Fatalf("second Allow = %v, %v; want refused", ok, err)
	}

	subCtx, stop := context.WithCancel(ctx)
	defer stop()
	events, err := NewBus(b).Subscribe(subCtx)
	must(t, err)
	must(t, NewBus(a).Publish(ctx, dispatch.Event{ID: 1, TicketID: 1, Kind: "created"}))
	if e := <-events; e.ID != 1 {
		t.Fatalf("event = %+v", e)
	}
}

func redisServer(t *testing.T) string {
	t.Helper()
	if storagetest.Short() {
		t.Skip("short mode")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	return bin
}

// startRedis starts a throwaway redis-server with args and returns its port.
func startRedis(t *testing.T, bin string, args ...string) int {
	t.Helper()
	port := freePort(t)
	args = append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no"}, args...)
	start(t, exec.Command(bin, args...), port)
	return port
}

// start runs cmd until t ends and waits until it accepts connections.
func start(t *testing.T, cmd *exec.Cmd, port int) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitFor(t, fmt.Sprintf("port %d to open", port), func(context.Context) bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func openTopology(t *testing.T, url string) *Client {
	t.Helper()
	c, err := Open(testCtx(t), url, "dsp:")
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls cond while a server starts up; this is setup, not an
// assertion on speed, so the bound is generous.
func waitFor(t *testing.T, what string, cond func(context.Context) bool) {
	t.Helper()
	ctx := testCtx(t)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if cond(ctx) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
