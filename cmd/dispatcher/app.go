package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kz-volunteers/dispatcher/api"
	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/console"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/notify"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

// Main is the whole service wired from its settings: Open connects and builds
// every part, Run serves and runs the background work until its context ends
// or Close is called, Close stops it all gracefully. Tests start it on :0.
type Main struct {
	Config *configs.Config
	Logger *slog.Logger

	DB    *postgres.DB
	Store *postgres.Store
	Redis *redis.Client

	Queue   *redis.Queue
	Geo     *redis.GeoIndex
	Bus     *redis.Bus
	Waker   *redis.Waker
	Limiter *redis.Limiter
	// Journal and Replayer are nil when JOURNAL_ENABLED is off.
	Journal  *redis.Journal
	Replayer *dispatch.Replayer

	Messages     *notify.Templates
	Sender       dispatch.Sender
	Intake       *dispatch.Intake
	Engine       *dispatch.Engine
	Outbox       *dispatch.Outbox
	Conversation *dispatch.Conversation
	Console      *console.Console
	HTTP         *httpd.Server

	ln     net.Listener
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   chan error
}

// NewMain returns a Main for cfg; nothing is connected until Open.
func NewMain(cfg *configs.Config, logger *slog.Logger) *Main {
	return &Main{Config: cfg, Logger: logger, errs: make(chan error, 8)}
}

// Open connects to PostgreSQL and Redis, migrates when configured to, and
// builds every service and route. On error, what was opened is closed.
func (m *Main) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.closeConns()
		}
	}()
	cfg := m.Config
	if m.DB, err = postgres.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns); err != nil {
		return err
	}
	if cfg.MigrateOnStart {
		if err := postgres.Migrate(ctx, m.DB); err != nil {
			return err
		}
	}
	m.Store = postgres.NewStore(m.DB, time.Now)
	redis.UseLogger(m.Logger)
	if m.Redis, err = redis.Open(ctx, cfg.RedisURL, cfg.RedisPrefix); err != nil {
		return err
	}
	m.Queue = redis.NewQueue(m.Redis, 2*time.Minute)
	m.Geo = redis.NewGeoIndex(m.Redis)
	m.Bus = redis.NewBus(m.Redis)
	m.Waker = redis.NewWaker(m.Redis)
	m.Limiter = redis.NewLimiter(m.Redis)

	if m.Messages, err = notify.NewTemplates(configs.Files); err != nil {
		return err
	}
	if cfg.SimulatorMode() {
		m.Sender = notify.NewSimulator()
		m.Logger.Info("no Twilio credentials: messages go to the simulator (see /console/simulator)")
	} else {
		m.Sender = notify.NewTwilio(notify.TwilioOptions{
			AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken, From: cfg.TwilioFromNumber,
			APIBaseURL: cfg.TwilioAPIBaseURL, PublicBaseURL: cfg.PublicBaseURL,
		})
	}
	phones := intake.Phones{}
	geocoder, err := intake.NewGeocoder(configs.Files, cfg.GeocoderURL)
	if err != nil {
		return err
	}
	zone := cfg.Location()
	// Everything that queues messages gets a store that wakes the senders on
	// commit, so a text leaves at once rather than at the senders' next tick.
	waking := dispatch.WakeSenders(m.Store, m.Waker)
	m.Intake = dispatch.NewIntake(waking, m.Queue, m.Bus, phones, geocoder, m.Messages, dispatch.IntakeOptions{
		SMSJoinWindow: cfg.SMSJoinWindow, Logger: m.Logger,
	})
	m.Engine = dispatch.NewEngine(waking, m.Queue, m.Geo, m.Bus, m.Messages, dispatch.EngineOptions{
		Radii: cfg.MatchRadiiKM, Batch: cfg.OfferBatch, OfferTTL: cfg.OfferTTL, MaxWaves: cfg.MaxWaves,
		MaxWait: cfg.MaxWait, ConfirmWindow: cfg.ConfirmWindow, Workers: cfg.EngineWorkers,
		ReconcileInterval: cfg.ReconcileInterval, Location: zone, Logger: m.Logger,
		StayInCentre: !cfg.MatchAcrossCentres,
	})
	m.Outbox = dispatch.NewOutbox(m.Store, m.Sender, m.Waker, dispatch.OutboxOptions{
		Workers: cfg.SenderWorkers, Bus: m.Bus, Logger: m.Logger,
	})
	// Tickets go to their district's centre; the consoles hear of it.
	routed := dispatch.NewRouter(waking, m.Logger).WithBus(m.Bus).Wrap(m.Intake)
	m.Conversation = dispatch.NewConversation(waking, m.Engine, routed, m.Messages, dispatch.ConversationOptions{
		Bus: m.Bus, Logger: m.Logger,
	})

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	proxies, err := cfg.Proxies()
	if err != nil {
		return dispatch.E("main.Open", dispatch.Errorf(dispatch.EINVALID, "TRUSTED_PROXIES: %v", err))
	}
	m.HTTP = httpd.New(httpd.Options{
		Logger: m.Logger, Registry: reg, BodyLimit: int64(cfg.BodyLimitBytes),
		TrustedProxies: proxies, MetricsToken: cfg.MetricsToken,
		// The public form carries up to three photos of a barrier.
		RouteBodyLimits: map[string]int64{"POST /request": max(int64(cfg.BodyLimitBytes), intake.FormBodyLimit)},
		Checks: []httpd.Check{
			{Name: "postgresql", Ping: m.DB.Ping},
			{Name: "redis", Ping: m.Redis.Ping},
		},
	})
	e := m.HTTP.Echo()
	// One registry for the sign-ups, by SMS and the public form (intake),
	// and their approval (console).
	signups := dispatch.NewSignups(waking, m.Geo, m.Messages, dispatch.SignupOptions{})
	sms := signups.Wrap(m.Conversation)
	journal := m.openJournal(reg, sms, routed) // journal.go
	ih, err := intake.New(intake.Options{
		Intake: routed, Calls: m.Store, Clients: m.Store, SMS: sms, Status: m.Outbox, Journal: journal,
		Signups: signups,
		Limiter: m.Limiter, Phones: phones, Files: configs.Files, AudioDir: cfg.AudioDir,
		PublicBaseURL: cfg.PublicBaseURL, AuthToken: cfg.WebhookAuthToken(),
		DispatcherNumber: cfg.DispatcherNumber, DispatcherHours: cfg.DispatcherHours, Location: zone,
		RecordingMax: cfg.RecordingMax, BodyLimit: int64(cfg.BodyLimitBytes), FormRate: cfg.FormRatePerMinute,
		CSRFSecret: m.secret("form-csrf"), CookieSecure: cfg.CookieSecure, Logger: m.Logger,
	})
	if err != nil {
		return err
	}
	ih.Register(e)
	records, barriersPage, err := m.openRecords() // retention.go
	if err != nil {
		return err
	}
	barriersPage.Register(e)
	api.New(api.Options{
		Store: waking, Intake: routed, Actions: m.Engine, Assignments: m.Engine,
		Phones: phones, Limiter: m.Limiter, Logger: m.Logger,
		Eraser: records.Retention, Journal: journal,
	}).Register(e.Group("/api/v1"))
	m.Console = console.New(console.Options{
		Store: waking, Actions: m.Engine, Assignments: m.Engine, Bus: m.Bus, Phones: phones,
		Limiter: m.Limiter, SessionTTL: cfg.SessionTTL, CookieSecure: cfg.CookieSecure,
		LoginAttemptsPerMinute: cfg.LoginAttemptsPerMinute, Logger: m.Logger,
		SimulatorMode: cfg.SimulatorMode(),
		Records:       records,
		Signups:       signups,
		Attachments:   m.Store,
		Pages: console.PageOptions{
			Zone: zone, Reports: m.Store, Map: m.Store, Sim: m.Store,
			PublicBaseURL: cfg.PublicBaseURL, WebhookToken: cfg.WebhookAuthToken(), ServiceNumber: cfg.TwilioFromNumber,
			Files: configs.Files,
		},
	})
	m.Console.Register(e)
	return nil
}

// secret derives a key for purpose from what every process of one
// deployment shares (SECRET_KEY, else the webhook token and database URL), so
// that a form rendered by one process is accepted by another.
func (m *Main) secret(purpose string) []byte {
	base := m.Config.SecretKey
	if base == "" {
		base = m.Config.WebhookAuthToken() + "|" + m.Config.DatabaseURL
	}
	mac := hmac.New(sha256.New, []byte(base))
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}

// Run listens on HTTP_ADDR (":0" picks a free port; see Addr) and starts the
// engine, the outbox senders and the waker. It returns at once; Close stops
// everything.
func (m *Main) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", m.Config.HTTPAddr, err)
	}
	m.ln = ln
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.goRun("waker", func() error { return m.Waker.Run(bg) })
	m.goRun("engine", func() error { return m.Engine.Run(bg) })
	m.goRun("outbox", func() error { return m.Outbox.Run(bg) })
	m.goRun("retention", func() error { return m.runRetention(bg) })
	if m.Replayer != nil {
		m.goRun("journal", func() error { return m.Replayer.Run(bg) })
	}
	m.goRun("http", func() error {
		if err := m.HTTP.Start(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	m.Logger.Info("serving", "addr", ln.Addr().String(), "public_base_url", m.Config.PublicBaseURL,
		"simulator", m.Config.SimulatorMode())
	return nil
}

// Errors reports a part that stopped with an error while running.
func (m *Main) Errors() <-chan error { return m.errs }

func (m *Main) goRun(name string, fn func() error) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := fn(); err != nil && !errors.Is(err, context.Canceled) {
			select {
			case m.errs <- fmt.Errorf("%s: %w", name, err):
			default:
			}
		}
	}()
}

// Addr is the address the server listens on.
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

// Close stops accepting requests, lets in-flight ones and background work
// finish (within SHUTDOWN_TIMEOUT), and closes the connections.
func (m *Main) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	if m.Console != nil {
		m.Console.Close() // ends the event streams, which would hold Shutdown
	}
	if m.HTTP != nil && m.ln != nil {
		if err := m.HTTP.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	if m.cancel != nil {
		m.cancel()
	}
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, errors.New("background work did not stop within SHUTDOWN_TIMEOUT"))
	}
	m.closeConns()
	return errors.Join(errs...)
}

func (m *Main) closeConns() {
	if m.Redis != nil {
		m.Redis.Close()
	}
	if m.DB != nil {
		m.DB.Close()
	}
}
