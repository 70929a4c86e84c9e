// Package intake is how requests for help come in: Twilio's webhooks for the
// phone hotline, text messages and delivery status, and the accessible public
// web form. Every channel builds a dispatch.IntakeRequest and hands it to the
// one dispatch.TicketIntake.
package intake

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/internal/httpstatus"
	"github.com/labstack/echo/v4"
)

// ClientFinder finds a caller among the clients (dispatch.Store is one).
type ClientFinder interface {
	ClientByPhone(ctx context.Context, phone string) (*dispatch.Client, error)
}

// Limiter is dispatch.Limiter's method, declared here so that the form
// depends only on what it calls.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, per time.Duration) (bool, error)
}

// Options are what the intake routes need. Intake, Calls, Clients, SMS,
// Status, Limiter and Files are required.
type Options struct {
	Intake  dispatch.TicketIntake
	Calls   dispatch.CallRepo
	Clients ClientFinder
	SMS     dispatch.SMSHandler
	Status  dispatch.StatusRecorder
	Limiter Limiter
	Phones  dispatch.Phones // Phones{} (region KZ) when nil
	// Signups takes the public volunteer sign-ups; /volunteer is served
	// only when it is set.
	Signups VolunteerSignups
	// Journal, when set, keeps what arrives while PostgreSQL is away
	// (journal.go); nil answers 503 then, for Twilio to retry.
	Journal dispatch.Journal

	// Files holds prompts/{kk,ru,en}.json and web/ (configs.Files).
	Files fs.FS
	// AudioDir holds the recorded prompts, <AudioDir>/kk/<key>.wav (AUDIO_DIR).
	AudioDir string
	// PublicBaseURL is the URL Twilio calls: signatures are checked against
	// it plus the path, and the TwiML's action URLs start with it.
	PublicBaseURL string
	// AuthToken signs Twilio's webhooks (Config.WebhookAuthToken()).
	AuthToken string

	DispatcherNumber string         // DISPATCHER_NUMBER; empty: voicemail
	DispatcherHours  string         // DISPATCHER_HOURS, HH:MM-HH:MM
	Location         *time.Location // the hours' time zone (UTC when nil)
	RecordingMax     time.Duration  // RECORDING_MAX (120 s when zero)

	BodyLimit    int64 // BODY_LIMIT_BYTES (1 MiB when zero)
	FormRate     int   // FORM_RATE_PER_MINUTE per address (10 when zero)
	CSRFSecret   []byte
	CookieSecure bool
	Logger       *slog.Logger
	Now          func() time.Time
}

// Handler serves the intake routes.
type Handler struct {
	opts      Options
	prompts   *prompts
	form      *form
	volunteer *volunteerForm
	log       *slog.Logger
	photos    chan struct{} // one photo decoded at a time (photo.go)
}

// New builds the handler, reading the prompts and the form's templates.
func New(opts Options) (*Handler, error) {
	switch {
	case opts.Intake == nil, opts.Calls == nil, opts.Clients == nil, opts.SMS == nil, opts.Status == nil,
		opts.Limiter == nil, opts.Files == nil:
		return nil, fmt.Errorf("intake: Intake, Calls, Clients, SMS, Status, Limiter and Files are required")
	case opts.AuthToken == "":
		return nil, fmt.Errorf("intake: AuthToken is required: webhooks are always signature-checked")
	case len(opts.CSRFSecret) < 16:
		return nil, fmt.Errorf("intake: CSRFSecret must be at least 16 bytes")
	}
	if opts.Phones == nil {
		opts.Phones = Phones{}
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.RecordingMax <= 0 {
		opts.RecordingMax = 120 * time.Second
	}
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = 1 << 20
	}
	if opts.FormRate <= 0 {
		opts.FormRate = 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p, err := loadPrompts(opts.Files, opts.AudioDir, opts.PublicBaseURL, opts.Logger)
	if err != nil {
		return nil, err
	}
	f, err := loadForm(opts.Files)
	if err != nil {
		return nil, err
	}
	vf, err := loadVolunteerForm(opts.Files)
	if err != nil {
		return nil, err
	}
	return &Handler{opts: opts, prompts: p, form: f, volunteer: vf, log: opts.Logger, photos: make(chan struct{}, 1)}, nil
}

// NewHandler is New for wiring with the embedded configs, whose prompts and
// templates the tests check: it panics on an error, which only a broken
// build can cause.
func NewHandler(opts Options) *Handler {
	h, err := New(opts)
	if err != nil {
		panic(err)
	}
	return h
}

// Register adds the routes to e: the Twilio webhooks, signature-checked and
// size-limited; the prompt audio; the public request form; and the public
// volunteer sign-up form.
func (h *Handler) Register(e *echo.Echo) {
	tw := e.Group("/twilio", h.limitBody, h.checkSignature)
	tw.POST("/voice", h.voiceStart, h.journalCall)
	tw.POST("/voice/lang", h.voiceLang, h.journalCall)
	tw.POST("/voice/category", h.voiceCategory, h.journalCall)
	tw.POST("/voice/recorded", h.voiceRecorded, h.journalCall)
	tw.POST("/voice/done", h.voiceDone, h.journalCall)
	tw.POST("/voice/dial-result", h.voiceDialResult, h.journalCall)
	tw.POST("/voice/voicemail", h.voiceVoicemail, h.journalCall)
	tw.POST("/voice/status", h.voiceStatus, h.journalCall)
	tw.POST("/sms", h.sms)
	tw.POST("/status", h.status)
	e.GET("/twilio/audio/:lang/:file", h.prompts.serveAudio)
	e.GET("/request", h.formGet)
	e.GET("/request/assets/:file", h.formAsset)
	e.POST("/request", h.formPost, h.limitFormBody)
	if h.opts.Signups != nil {
		e.GET("/volunteer", h.volunteerGet)
		e.POST("/volunteer", h.volunteerPost, h.limitBody)
	}
}

// statusOf maps a domain error to its HTTP status.
func statusOf(err error) int {
	return httpstatus.OfError(err)
}
