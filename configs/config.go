// Package configs holds the service's defaults, prompts, message templates and
// data files, embedded in the binary, and the loader of its settings.
package configs

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Files are the embedded defaults, prompts, templates and data.
//
//go:embed defaults.env gazetteer.json prompts/*.json web/*.json web/*.html messages/*.json web/*.css web/*.js
var Files embed.FS

// Config is every setting of the service. The env tag names the setting;
// defaults come from defaults.env.
type Config struct {
	HTTPAddr        string        `env:"HTTP_ADDR"`
	PublicBaseURL   string        `env:"PUBLIC_BASE_URL"`
	LogLevel        string        `env:"LOG_LEVEL"`
	LogFormat       string        `env:"LOG_FORMAT"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT"`
	MigrateOnStart  bool          `env:"MIGRATE_ON_START"`
	Timezone        string        `env:"TIMEZONE"`

	DatabaseURL string `env:"DATABASE_URL"`
	DBMaxConns  int    `env:"DB_MAX_CONNS"`
	RedisURL    string `env:"REDIS_URL"`
	RedisPrefix string `env:"REDIS_PREFIX"`

	TwilioAccountSID   string `env:"TWILIO_ACCOUNT_SID"`
	TwilioAuthToken    string `env:"TWILIO_AUTH_TOKEN"`
	TwilioFromNumber   string `env:"TWILIO_FROM_NUMBER"`
	TwilioAPIBaseURL   string `env:"TWILIO_API_BASE_URL"`
	TwilioDevAuthToken string `env:"TWILIO_DEV_AUTH_TOKEN"`
	DispatcherNumber   string `env:"DISPATCHER_NUMBER"`
	DispatcherHours    string `env:"DISPATCHER_HOURS"`

	SMSJoinWindow     time.Duration `env:"SMS_JOIN_WINDOW"`
	RecordingMax      time.Duration `env:"RECORDING_MAX"`
	BodyLimitBytes    int           `env:"BODY_LIMIT_BYTES"`
	FormRatePerMinute int           `env:"FORM_RATE_PER_MINUTE"`
	GeocoderURL       string        `env:"GEOCODER_URL"`
	AudioDir          string        `env:"AUDIO_DIR"`
	JournalEnabled    bool          `env:"JOURNAL_ENABLED"`
	JournalLease      time.Duration `env:"JOURNAL_LEASE"`

	MatchRadiiKM       []float64     `env:"MATCH_RADII_KM"`
	OfferBatch         int           `env:"OFFER_BATCH"`
	OfferTTL           time.Duration `env:"OFFER_TTL"`
	MaxWaves           int           `env:"MAX_WAVES"`
	MaxWait            time.Duration `env:"MAX_WAIT"`
	ConfirmWindow      time.Duration `env:"CONFIRM_WINDOW"`
	ReconcileInterval  time.Duration `env:"RECONCILE_INTERVAL"`
	EngineWorkers      int           `env:"ENGINE_WORKERS"`
	SenderWorkers      int           `env:"SENDER_WORKERS"`
	MatchAcrossCentres bool          `env:"MATCH_ACROSS_CENTRES"`

	SecretKey              string        `env:"SECRET_KEY"`
	SessionTTL             time.Duration `env:"SESSION_TTL"`
	CookieSecure           bool          `env:"COOKIE_SECURE"`
	LoginAttemptsPerMinute int           `env:"LOGIN_ATTEMPTS_PER_MINUTE"`
	TrustedProxies         string        `env:"TRUSTED_PROXIES"`
	MetricsToken           string        `env:"METRICS_TOKEN"`

	// Retention and the hours statement (issue 8).
	RetentionPeriod   time.Duration `env:"RETENTION_PERIOD"`
	RetentionInterval time.Duration `env:"RETENTION_INTERVAL"`
	CentreName        string        `env:"CENTRE_NAME"`
}

// SimulatorMode reports whether no Twilio credentials are set, so messages
// go to the simulator driver.
func (c *Config) SimulatorMode() bool {
	return c.TwilioAccountSID == "" || c.TwilioAuthToken == ""
}

// WebhookAuthToken is the token webhook signatures are checked with: the
// real one, or the development token when there is none.
func (c *Config) WebhookAuthToken() string {
	if c.TwilioAuthToken != "" {
		return c.TwilioAuthToken
	}
	return c.TwilioDevAuthToken
}

// Location is the service's time zone.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC // Validate has rejected a bad zone already
	}
	return loc
}

// Setting is one line of the settings table: name, default and comment.
type Setting struct {
	Name, Default, Doc string
}

// Settings lists every setting with its default and comment, in file order:
// the one documented place.
func Settings() ([]Setting, error) {
	b, err := fs.ReadFile(Files, "defaults.env")
	if err != nil {
		return nil, err
	}
	var out []Setting
	var doc []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			doc = nil
		case strings.HasPrefix(line, "#"):
			if !strings.HasPrefix(line, "# ---") {
				doc = append(doc, strings.TrimSpace(strings.TrimPrefix(line, "#")))
			} else {
				doc = nil
			}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("defaults.env: line %q has no '='", line)
			}
			out = append(out, Setting{Name: k, Default: v, Doc: strings.Join(doc, " ")})
			doc = nil
		}
	}
	return out, sc.Err()
}

// Load reads the defaults and overlays lookup (os.LookupEnv in main, a map in
// tests). An invalid value is an error that names the setting.
func Load(lookup func(string) (string, bool)) (*Config, error) {
	settings, err := Settings()
	if err != nil {
		return nil, err
	}
	values := map[string]string{}
	for _, s := range settings {
		values[s.Name] = s.Default
		if v, ok := lookup(s.Name); ok {
			values[s.Name] = v
		}
	}
	cfg := &Config{}
	rv := reflect.ValueOf(cfg).Elem()
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		name := rt.Field(i).Tag.Get("env")
		raw, ok := values[name]
		if !ok {
			return nil, fmt.Errorf("setting %s has no default in configs/defaults.env", name)
		}
		if err := set(rv.Field(i), strings.TrimSpace(raw)); err != nil {
			return nil, fmt.Errorf("setting %s=%q: %v", name, raw, err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func set(f reflect.Value, raw string) error {
	switch f.Interface().(type) {
	case string:
		f.SetString(raw)
	case int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("not a whole number")
		}
		f.SetInt(int64(n))
	case bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("not true or false")
		}
		f.SetBool(b)
	case time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("not a duration such as 90s or 10m")
		}
		f.SetInt(int64(d))
	case []float64:
		var out []float64
		for _, p := range strings.Split(raw, ",") {
			x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return fmt.Errorf("%q is not a number", p)
			}
			out = append(out, x)
		}
		f.Set(reflect.ValueOf(out))
	default:
		return fmt.Errorf("unsupported type %s", f.Type())
	}
	return nil
}

// Validate checks values that parse but make no sense, naming the setting.
func (c *Config) Validate() error {
	var errs []string
	bad := func(name, format string, a ...any) { errs = append(errs, name+": "+fmt.Sprintf(format, a...)) }
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" && u.Query().Get("host") == "" {
		bad("DATABASE_URL", "must be a postgres:// URL with a host, got %q", redactURL(c.DatabaseURL))
	}
	if u, err := url.Parse(c.RedisURL); err != nil || !strings.HasPrefix(u.Scheme, "redis") {
		bad("REDIS_URL", "must be a redis:// or rediss:// URL, got %q", redactURL(c.RedisURL))
	}
	if u, err := url.Parse(c.PublicBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("PUBLIC_BASE_URL", "must be an http(s) URL, got %q", c.PublicBaseURL)
	}
	if c.TwilioAPIBaseURL != "" {
		if u, err := url.Parse(c.TwilioAPIBaseURL); err != nil || u.Host == "" {
			bad("TWILIO_API_BASE_URL", "must be an http(s) URL, got %q", c.TwilioAPIBaseURL)
		}
	}
	if (c.TwilioAccountSID == "") != (c.TwilioAuthToken == "") {
		bad("TWILIO_ACCOUNT_SID", "and TWILIO_AUTH_TOKEN must be set together (or neither, for the simulator)")
	}
	if c.WebhookAuthToken() == "" {
		bad("TWILIO_DEV_AUTH_TOKEN", "must not be empty when TWILIO_AUTH_TOKEN is")
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		bad("TIMEZONE", "unknown zone %q", c.Timezone)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("LOG_FORMAT", "must be text or json")
	}
	if _, _, err := ParseHours(c.DispatcherHours); err != nil {
		bad("DISPATCHER_HOURS", "%v", err)
	}
	positive := map[string]int{"DB_MAX_CONNS": c.DBMaxConns, "OFFER_BATCH": c.OfferBatch, "MAX_WAVES": c.MaxWaves,
		"ENGINE_WORKERS": c.EngineWorkers, "SENDER_WORKERS": c.SenderWorkers, "BODY_LIMIT_BYTES": c.BodyLimitBytes,
		"FORM_RATE_PER_MINUTE": c.FormRatePerMinute, "LOGIN_ATTEMPTS_PER_MINUTE": c.LoginAttemptsPerMinute}
	for k, v := range positive {
		if v <= 0 {
			bad(k, "must be above zero, got %d", v)
		}
	}
	durations := map[string]time.Duration{"OFFER_TTL": c.OfferTTL, "MAX_WAIT": c.MaxWait, "SMS_JOIN_WINDOW": c.SMSJoinWindow,
		"CONFIRM_WINDOW": c.ConfirmWindow, "RECONCILE_INTERVAL": c.ReconcileInterval, "SESSION_TTL": c.SessionTTL,
		"SHUTDOWN_TIMEOUT": c.ShutdownTimeout, "RECORDING_MAX": c.RecordingMax}
	for k, v := range durations {
		if v <= 0 {
			bad(k, "must be above zero, got %s", v)
		}
	}
	durations["RETENTION_PERIOD"], durations["RETENTION_INTERVAL"] = c.RetentionPeriod, c.RetentionInterval
	for _, k := range []string{"RETENTION_PERIOD", "RETENTION_INTERVAL"} {
		if durations[k] <= 0 {
			bad(k, "must be above zero, got %s", durations[k])
		}
	}
	if _, err := c.Proxies(); err != nil {
		bad("TRUSTED_PROXIES", "%v", err)
	}
	if c.JournalEnabled && (c.JournalLease < time.Second || c.JournalLease > time.Hour) {
		// Shorter than a replay can take, two processes would replay one
		// entry at once; longer, a crashed process's entries wait too long.
		bad("JOURNAL_LEASE", "must be between 1s and 1h, got %s", c.JournalLease)
	}
	if len(c.MatchRadiiKM) == 0 {
		bad("MATCH_RADII_KM", "needs at least one radius")
	}
	for i, r := range c.MatchRadiiKM {
		if r <= 0 || (i > 0 && r <= c.MatchRadiiKM[i-1]) {
			bad("MATCH_RADII_KM", "radii must be positive and increasing, got %v", c.MatchRadiiKM)
			break
		}
	}
	if len(errs) > 0 {
		sortStrings(errs)
		return fmt.Errorf("invalid settings:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// Proxies parses TRUSTED_PROXIES: comma-separated CIDRs or single
// addresses. The error names the entry that is wrong.
func (c *Config) Proxies() ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip := net.ParseIP(f)
			if ip == nil {
				return nil, fmt.Errorf("%q is neither an address nor a CIDR", f)
			}
			bits := 8 * len(ip.To16())
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// ParseHours parses "HH:MM-HH:MM" into minutes after midnight.
func ParseHours(s string) (start, end int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("want HH:MM-HH:MM, got %q", s)
	}
	pa, err1 := time.Parse("15:04", strings.TrimSpace(a))
	pb, err2 := time.Parse("15:04", strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("want HH:MM-HH:MM, got %q", s)
	}
	return pa.Hour()*60 + pa.Minute(), pb.Hour()*60 + pb.Minute(), nil
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxx")
	}
	return u.String()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
