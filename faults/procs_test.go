package faults

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/cmd/loadgen/load"
	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
)

// dispatcherBin is cmd/dispatcher, built by TestMain.
var dispatcherBin string

// TestMain builds cmd/dispatcher, or uses DSP_DISPATCHER_BIN when set (a
// binary built already, as make chaos does).
func TestMain(m *testing.M) {
	if bin := os.Getenv("DSP_DISPATCHER_BIN"); bin != "" {
		dispatcherBin = bin
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "dsp-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dispatcherBin = filepath.Join(dir, "dispatcher")
	goTool := os.Getenv("GO") // the Makefile's, when it has one
	if goTool == "" {
		if goTool, err = exec.LookPath("go"); err != nil {
			goTool = "/usr/local/go/bin/go"
		}
	}
	build := exec.Command(goTool, "build", "-o", dispatcherBin, "../cmd/dispatcher")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "faults: building cmd/dispatcher: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// chaos reports whether the long versions run (make chaos).
func chaos() bool { return os.Getenv("DSP_CHAOS") == "1" }

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// cluster is several `dispatcher serve` processes of one deployment, with
// the fake Twilio they send through.
type cluster struct {
	t      testing.TB
	env    []string
	procs  []*proc
	fake   *load.FakeTwilio
	tokens []string
	dir    string
	public string
}

type proc struct {
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

type clusterOpts struct {
	Procs                         int
	DatabaseURL, RedisURL, Prefix string
	Env                           []string // extra settings, NAME=value
}

func newCluster(t testing.TB, o clusterOpts) *cluster {
	t.Helper()
	cls, err := load.NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	fake, err := load.NewFakeTwilio("127.0.0.1:0", cls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	c := &cluster{t: t, fake: fake, dir: t.TempDir()}
	for i := 0; i < o.Procs; i++ {
		c.procs = append(c.procs, &proc{port: freePort(t)})
	}
	c.public = fmt.Sprintf("http://127.0.0.1:%d", c.procs[0].port)
	c.env = append(os.Environ(),
		"DATABASE_URL="+o.DatabaseURL, "REDIS_URL="+o.RedisURL, "REDIS_PREFIX="+o.Prefix,
		"PUBLIC_BASE_URL="+c.public, "TWILIO_API_BASE_URL="+fake.URL(),
		"TWILIO_ACCOUNT_SID="+twiliotest.AccountSID, "TWILIO_AUTH_TOKEN="+twiliotest.AuthToken,
		"SMS_JOIN_WINDOW=1ms", "LOG_LEVEL=warn", "MIGRATE_ON_START=false", "SECRET_KEY=faults-secret-key",
		"RECONCILE_INTERVAL=1s", "SHUTDOWN_TIMEOUT=5s", "DB_MAX_CONNS=10")
	c.env = append(c.env, o.Env...)
	c.run("migrate")
	for i := 0; i < 3; i++ {
		c.tokens = append(c.tokens, strings.TrimSpace(c.run("token", "create", "faults"+strconv.Itoa(i), "--role", "dispatcher")))
	}
	for i := range c.procs {
		c.start(i)
	}
	t.Cleanup(c.stop)
	return c
}

// run runs a dispatcher command to its end and returns its standard output.
func (c *cluster) run(args ...string) string {
	c.t.Helper()
	cmd := exec.Command(dispatcherBin, args...)
	cmd.Env = c.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("dispatcher %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// start starts process i and waits until it is ready.
func (c *cluster) start(i int) {
	c.t.Helper()
	p := c.procs[i]
	log, err := os.OpenFile(filepath.Join(c.dir, fmt.Sprintf("serve-%d.log", i)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	p.cmd = exec.Command(dispatcherBin, "serve")
	p.cmd.Env = append(c.env, fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", p.port))
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	p.done = make(chan struct{})
	go func() { _ = p.cmd.Wait(); log.Close(); close(p.done) }()
	c.waitReady(i, 30*time.Second)
}

func (c *cluster) waitReady(i int, within time.Duration) {
	c.t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/readyz", c.procs[i].port)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-c.procs[i].done:
			c.t.Fatalf("serve %d exited at start:\n%s", i, c.logTail(i))
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("serve %d not ready within %v:\n%s", i, within, c.logTail(i))
}

// kill9 kills process i as the kernel's OOM killer would: no shutdown.
func (c *cluster) kill9(i int) {
	p := c.procs[i]
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends every process gracefully.
func (c *cluster) stop() {
	for _, p := range c.procs {
		if p.cmd != nil && p.cmd.Process != nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range c.procs {
		if p.done == nil {
			continue
		}
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

func (c *cluster) targets() []string {
	var out []string
	for _, p := range c.procs {
		out = append(out, fmt.Sprintf("http://127.0.0.1:%d", p.port))
	}
	return out
}

// journalMetrics sums dispatcher_journal_replays_total{result="replayed"}
// over the live processes and reads dispatcher_journal_depth (shared: one
// Redis) from the first that answers.
func (c *cluster) journalMetrics() (replayed, depth float64) {
	c.t.Helper()
	depth = -1
	for _, base := range c.targets() {
		res, err := http.Get(base + "/metrics")
		if err != nil {
			continue // a process killed on purpose
		}
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			name, value, ok := strings.Cut(line, " ")
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil {
				continue
			}
			switch name {
			case `dispatcher_journal_replays_total{result="replayed"}`:
				replayed += v
			case "dispatcher_journal_depth":
				depth = v
			}
		}
		res.Body.Close()
	}
	return replayed, depth
}

func (c *cluster) logTail(i int) string {
	f, err := os.Open(filepath.Join(c.dir, fmt.Sprintf("serve-%d.log", i)))
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		lines = append(lines, s.Text())
		if len(lines) > 40 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// loadConfig is a short load with volunteers near Astana who mostly
// accept; long under DSP_CHAOS=1.
func (c *cluster) loadConfig() load.Config {
	cfg := load.Config{
		Targets: c.targets(), PublicBaseURL: c.public, WebhookToken: twiliotest.AuthToken, APITokens: c.tokens,
		Rate: 30, Duration: 4 * time.Second, MixSMS: 0.5, MixVoice: 0.1, MixWeb: 0.4,
		Volunteers: load.VolunteerConfig{Seed: 40, Accept: 0.7, Decline: 0.2, AcceptDelay: 50 * time.Millisecond,
			DeclineDelay: 50 * time.Millisecond, FinishDelay: 300 * time.Millisecond},
		Retries: 10, RetryBackoff: 300 * time.Millisecond, Timeout: 10 * time.Second,
		Drain: 20 * time.Second, Quiet: 2 * time.Second, MaxInFlight: 128,
	}
	if chaos() {
		cfg.Rate, cfg.Duration, cfg.Volunteers.Seed, cfg.Drain = 100, 30*time.Second, 300, 60*time.Second
	}
	return cfg
}

// runLoad runs cfg; during, when set, runs alongside from the start of the
// load (after seeding) and may break things.
func (c *cluster) runLoad(cfg load.Config, during func(ctx context.Context)) *load.Report {
	c.t.Helper()
	r, err := load.NewRunner(cfg, c.fake)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	if during != nil {
		r.OnStart(func() {
			go func() { defer close(done); during(ctx) }()
		})
	} else {
		close(done)
	}
	rep, err := r.Run(ctx)
	<-done
	if err != nil {
		c.t.Fatalf("load: %v", err)
	}
	rep.Label = c.t.Name()
	if dir := os.Getenv("DSP_CHAOS_REPORT"); dir != "" {
		if err := rep.Write(filepath.Join(dir, strings.ReplaceAll(c.t.Name(), "/", "_"))); err != nil {
			c.t.Errorf("report: %v", err)
		}
	}
	return rep
}

// balanced fails t unless the books balance and something was done.
func balanced(t testing.TB, rep *load.Report) {
	t.Helper()
	if rep.Books == nil || !rep.Books.Balanced || rep.IntakesOK == 0 {
		t.Errorf("the books do not balance:\n%s", rep.Markdown())
		return
	}
	t.Logf("%d intakes answered 2xx of %d, %d tickets; states %v; errors %v; volunteers %v",
		rep.IntakesOK, rep.Intakes, rep.Books.Tickets, rep.Books.Statuses, rep.Errors, rep.Volunteers)
}
