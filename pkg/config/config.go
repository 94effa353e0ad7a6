// Package config loads Undersigned's typed configuration: built-in defaults, then
// config.yaml, then UNDERSIGNED_* environment variables, in that order of strength.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/structs"
	"github.com/knadh/koanf/v2"
	"golang.org/x/text/language"
)

// EnvPrefix starts every environment variable that overrides a configuration key.
const EnvPrefix = "UNDERSIGNED_"

// Config is the whole configuration of one Undersigned instance. Every key can be
// set in config.yaml or by environment (EnvName gives the variable's name).
type Config struct {
	BaseURL   string `koanf:"base_url"`
	DataDir   string `koanf:"data_dir"`
	SecretKey string `koanf:"secret_key"`
	// CampaignKey is the 32-byte Ed25519 seed (hex or base64) that signs
	// delivery packs; empty means <data_dir>/campaign.key, made on first use.
	CampaignKey string     `koanf:"campaign_key"`
	Site        Site       `koanf:"site"`
	Server      Server     `koanf:"server"`
	Runtime     Runtime    `koanf:"runtime"`
	Database    Database   `koanf:"database"`
	Mail        Mail       `koanf:"mail"`
	Signing     Signing    `koanf:"signing"`
	Staff       Staff      `koanf:"staff"`
	Moderation  Moderation `koanf:"moderation"`
	Imports     Imports    `koanf:"imports"`
	Live        Live       `koanf:"live"`
	Abuse       Abuse      `koanf:"abuse"`
	Metrics     Metrics    `koanf:"metrics"`
	Webhooks    Webhooks   `koanf:"webhooks"`
	Log         Log        `koanf:"log"`
	Letters     []Letter   `koanf:"letters"`
}

// Site names who runs this instance; the privacy notice and mails show it.
type Site struct {
	Name         string `koanf:"name"`
	Operator     string `koanf:"operator"`
	PrivacyEmail string `koanf:"privacy_email"`
	// ContactEmail is where people write to the campaign: the Reply-To of
	// every mail, on the privacy notice and in the rejection mail. Empty
	// means PrivacyEmail (see Contact).
	ContactEmail string `koanf:"contact_email"`
}

// Contact is the campaign's address that mails are answered to and that the
// privacy notice and the rejection mail name: ContactEmail, or PrivacyEmail
// when that is empty, or "" when neither is set. The mail worker and the
// privacy notice reach it.
func (s Site) Contact() string {
	if s.ContactEmail != "" {
		return s.ContactEmail
	}
	return s.PrivacyEmail
}

// Server holds the HTTP listener's settings.
type Server struct {
	Addr            string        `koanf:"addr"`
	ReadTimeout     time.Duration `koanf:"read_timeout"`
	WriteTimeout    time.Duration `koanf:"write_timeout"`
	IdleTimeout     time.Duration `koanf:"idle_timeout"`
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
	MaxBodyBytes    int64         `koanf:"max_body_bytes"`
}

// Runtime tunes the Go runtime's garbage collector for the server.
type Runtime struct {
	// GCPercent is GOGC: how far, in percent, the heap may grow past what is
	// live before the next collection; -1 collects only near MemoryLimitMiB.
	GCPercent int `koanf:"gc_percent"`
	// MemoryLimitMiB is GOMEMLIMIT in MiB: a soft limit on the runtime's
	// memory that makes the collector run as often as it must to stay under;
	// 0 sets none.
	MemoryLimitMiB int64 `koanf:"memory_limit_mib"`
}

// Database selects the store: an embedded SQLite file or a PostgreSQL server.
type Database struct {
	Driver string `koanf:"driver"`
	DSN    string `koanf:"dsn"`
}

// Mail configures how the outbox worker delivers mail.
type Mail struct {
	Transport string `koanf:"transport"`
	From      string `koanf:"from"`
	SMTP      SMTP   `koanf:"smtp"`
	Outbox    Outbox `koanf:"outbox"`
	// BulkPerMinute caps the bulk mail staff cause (the notices of a
	// letter's material change) at this many a minute, so that a relay's
	// sending limits hold; 0: no cap. Signers' own mail is never capped
	// and always goes first.
	BulkPerMinute int `koanf:"bulk_per_minute"`
}

// SMTP is the relay used by the smtp transport.
type SMTP struct {
	Host     string        `koanf:"host"`
	Port     int           `koanf:"port"`
	TLS      string        `koanf:"tls"`
	Username string        `koanf:"username"`
	Password string        `koanf:"password"`
	Timeout  time.Duration `koanf:"timeout"`
}

// Outbox tunes the worker that drains the mail_jobs table.
type Outbox struct {
	PollInterval time.Duration `koanf:"poll_interval"`
	BatchSize    int           `koanf:"batch_size"`
	RetryMin     time.Duration `koanf:"retry_min"`
	RetryMax     time.Duration `koanf:"retry_max"`
	MaxAttempts  int           `koanf:"max_attempts"`
	ClaimLease   time.Duration `koanf:"claim_lease"`
	KeepSent     time.Duration `koanf:"keep_sent"`
	// YieldToSigning is how long the mail and webhook workers, and the
	// queueing of an update or a notice, wait before each batch while
	// signers queue for SQLite's one writer (0: they never wait).
	YieldToSigning time.Duration `koanf:"yield_to_signing"`
}

// Signing tunes the signature lifecycle.
type Signing struct {
	ConfirmTTL       time.Duration `koanf:"confirm_ttl"`
	UnconfirmedGrace time.Duration `koanf:"unconfirmed_grace"`
	ResendCooldown   time.Duration `koanf:"resend_cooldown"`
	ConsentVersion   string        `koanf:"consent_version"`
	// UpdatesConsentVersion is the version of the sign form's "keep me
	// informed" text (field.keep_informed.label), recorded with the choice
	// of each signer who ticks it.
	UpdatesConsentVersion string `koanf:"updates_consent_version"`
	// PartnerConsentVersion is the version of the sign form's box letting
	// the partner whose link brought the signer contact them
	// (field.partner_contact.label), recorded with the choice of each
	// signer who ticks it.
	PartnerConsentVersion string `koanf:"partner_consent_version"`
}

// Staff tunes staff sessions and the lock-out after failed logins.
type Staff struct {
	SessionIdle     time.Duration `koanf:"session_idle"`
	SessionMax      time.Duration `koanf:"session_max"`
	LockoutFailures int           `koanf:"lockout_failures"`
	LockoutWindow   time.Duration `koanf:"lockout_window"`
	// HashConcurrency is how many passwords are hashed (argon2id, 19 MiB
	// each) at once; 0 means one per CPU (see HashSlots).
	HashConcurrency int `koanf:"hash_concurrency"`
}

// HashSlots is how many passwords the staff service hashes at once:
// HashConcurrency, or the CPUs the process may use (GOMAXPROCS, which
// follows a container's CPU limit) when that is 0. Hashing is all CPU, so
// more at once would not end sooner, only hold more memory.
func (s Staff) HashSlots() int {
	if s.HashConcurrency > 0 {
		return s.HashConcurrency
	}
	return runtime.GOMAXPROCS(0)
}

// Moderation configures the staff console.
type Moderation struct {
	PageSize int      `koanf:"page_size"`
	Reasons  []Reason `koanf:"reasons"`
}

// Imports bounds the CSV files of signatures gathered elsewhere that admins
// import in the console.
type Imports struct {
	// MaxRows is the most data rows a file may have; a longer one is
	// refused as soon as reading it passes the limit.
	MaxRows int `koanf:"max_rows"`
	// MaxBytes is the largest upload the import form takes, instead of
	// server.max_body_bytes.
	MaxBytes int64 `koanf:"max_bytes"`
}

// Reason is a rejection reason: a stable code and the text the signer is sent.
type Reason struct {
	Code string `koanf:"code"`
	Text string `koanf:"text"`
}

// Live tunes the public view kept in memory and its event stream.
type Live struct {
	Interval             time.Duration `koanf:"interval"`
	MaxStale             time.Duration `koanf:"max_stale"`
	NamesPerCountry      int           `koanf:"names_per_country"`
	MaxStreamsPerNetwork int           `koanf:"max_streams_per_network"`
}

// Abuse tunes the defences of the public forms.
type Abuse struct {
	TrustedProxies   []string      `koanf:"trusted_proxies"`
	IPAllowlist      []string      `koanf:"ip_allowlist"`
	DomainAllowlist  []string      `koanf:"domain_allowlist"`
	IPLimits         RateLimit     `koanf:"ip_limits"`
	DomainLimits     RateLimit     `koanf:"domain_limits"`
	MinFormTime      time.Duration `koanf:"min_form_time"`
	MaxFormAge       time.Duration `koanf:"max_form_age"`
	NetworkRetention time.Duration `koanf:"network_retention"`
}

// Webhooks governs the requests the webhook worker makes to the endpoints
// admins add to letters.
type Webhooks struct {
	// AllowPrivate lists the networks, beyond public addresses, that
	// endpoints may be in (loopback, private, link-local, unique-local);
	// empty refuses them all, the cloud metadata address included.
	AllowPrivate []string `koanf:"allow_private"`
	// CAFile is a PEM file of certificate authorities trusted besides the
	// system's, for receivers with a certificate of their own authority;
	// empty trusts the system's only.
	CAFile string `koanf:"ca_file"`
}

// RateLimit is two sliding windows that must both allow an action.
type RateLimit struct {
	Burst           int           `koanf:"burst"`
	BurstPeriod     time.Duration `koanf:"burst_period"`
	Sustained       int           `koanf:"sustained"`
	SustainedPeriod time.Duration `koanf:"sustained_period"`
}

// Metrics configures GET /metrics (Prometheus).
type Metrics struct {
	Enabled bool     `koanf:"enabled"`
	Allow   []string `koanf:"allow"`
}

// Log sets the level and format of the server's structured log.
type Log struct {
	Level  string `koanf:"level"`
	Format string `koanf:"format"`
}

// Letter is one open letter as campaign staff write it in config.yaml; it is
// synced into the letters table at start-up.
type Letter struct {
	Slug    string `koanf:"slug"`
	Title   string `koanf:"title"`
	Summary string `koanf:"summary"`
	// Recipients says whom the letter addresses, such as "To the leaders
	// of the world's governments".
	Recipients string    `koanf:"recipients"`
	Body       string    `koanf:"body"`
	Lang       string    `koanf:"lang"`
	OpensAt    time.Time `koanf:"opens_at"`
	ClosesAt   time.Time `koanf:"closes_at"`
	PublishAt  time.Time `koanf:"publish_at"`
	Review     []string  `koanf:"review"`
	// Goals are the numbers of signatures the campaign aims for, smallest
	// first: the page shows progress towards the first one not yet reached.
	Goals []int64 `koanf:"goals"`
	// Translations are the letter's text in other languages, by BCP 47 tag.
	// Every version feeds the one list of signatories.
	Translations map[string]LetterText `koanf:"translations"`
}

// LetterText is a letter's text in one language.
type LetterText struct {
	Title      string `koanf:"title"`
	Summary    string `koanf:"summary"`
	Recipients string `koanf:"recipients"`
	Body       string `koanf:"body"`
}

// Default is the configuration before config.yaml and the environment are read.
func Default() Config {
	return Config{
		DataDir: "./data",
		Site:    Site{Name: "Undersigned"},
		Server: Server{
			Addr:            "127.0.0.1:8080",
			ReadTimeout:     10 * time.Second,
			WriteTimeout:    30 * time.Second,
			IdleTimeout:     120 * time.Second,
			ShutdownTimeout: 15 * time.Second,
			MaxBodyBytes:    64 << 10,
		},
		Runtime:  Runtime{GCPercent: 100},
		Database: Database{Driver: "sqlite"},
		Mail: Mail{
			Transport: "file",
			From:      "Undersigned <noreply@localhost>",
			SMTP:      SMTP{Host: "localhost", Port: 587, TLS: "starttls", Timeout: 15 * time.Second},
			Outbox: Outbox{
				PollInterval:   2 * time.Second,
				BatchSize:      50,
				RetryMin:       5 * time.Second,
				RetryMax:       time.Hour,
				MaxAttempts:    20,
				ClaimLease:     time.Minute,
				KeepSent:       30 * 24 * time.Hour,
				YieldToSigning: time.Second,
			},
			BulkPerMinute: 600,
		},
		Signing: Signing{
			ConfirmTTL:            7 * 24 * time.Hour,
			UnconfirmedGrace:      7 * 24 * time.Hour,
			ResendCooldown:        5 * time.Minute,
			ConsentVersion:        "2026-11",
			UpdatesConsentVersion: "2026-12",
			PartnerConsentVersion: "2026-12",
		},
		Staff: Staff{
			SessionIdle:     30 * time.Minute,
			SessionMax:      12 * time.Hour,
			LockoutFailures: 10,
			LockoutWindow:   15 * time.Minute,
		},
		Moderation: Moderation{PageSize: 50, Reasons: DefaultReasons()},
		Imports:    Imports{MaxRows: 50_000, MaxBytes: 16 << 20},
		Live:       Live{Interval: 500 * time.Millisecond, MaxStale: 250 * time.Millisecond, NamesPerCountry: 50, MaxStreamsPerNetwork: 20},
		Abuse: Abuse{
			IPLimits:     RateLimit{Burst: 1, BurstPeriod: time.Minute, Sustained: 5, SustainedPeriod: 5 * time.Minute},
			DomainLimits: RateLimit{Burst: 20, BurstPeriod: time.Minute, Sustained: 100, SustainedPeriod: 5 * time.Minute},
			DomainAllowlist: []string{"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
				"icloud.com", "me.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de", "mail.ru", "yandex.ru",
				"qq.com", "163.com", "aol.com", "orange.fr", "free.fr", "libero.it", "uol.com.br"},
			MinFormTime:      3 * time.Second,
			MaxFormAge:       24 * time.Hour,
			NetworkRetention: 30 * 24 * time.Hour,
		},
		Metrics: Metrics{Enabled: true, Allow: []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}},
		Log:     Log{Level: "info", Format: "text"},
	}
}

// DefaultReasons are the rejection reasons used when config.yaml lists none.
func DefaultReasons() []Reason {
	return []Reason{
		{Code: "unverifiable", Text: "We could not verify that the signature comes from the organisation named."},
		{Code: "duplicate", Text: "The organisation has already signed the letter."},
		{Code: "out_of_scope", Text: "The signatory does not fit the scope of this letter."},
		{Code: "inappropriate", Text: "The name or details are inappropriate for a public list."},
		{Code: "other", Text: "The campaign team decided not to publish this signature."},
	}
}

// Load reads defaults, then the YAML file at path (skipped when path is empty),
// then every UNDERSIGNED_* variable in environ, and validates the result.
func Load(path string, environ []string) (Config, error) {
	k := koanf.New(".")
	if err := k.Load(structs.Provider(Default(), "koanf"), nil); err != nil {
		return Config{}, fmt.Errorf("config: defaults: %w", err)
	}
	if path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("config: read %s: %w", path, err)
		}
	}
	if err := k.Load(envProvider(k.Keys(), environ), nil); err != nil {
		return Config{}, fmt.Errorf("config: environment: %w", err)
	}
	var cfg Config
	decoder := &mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			emptyStringToZeroTime, mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(","),
			mapstructure.TextUnmarshallerHookFunc()),
		ErrorUnused:      true, // a misspelt key in config.yaml fails instead of being ignored
		WeaklyTypedInput: true,
		Result:           &cfg,
		TagName:          "koanf",
	}
	if err := k.UnmarshalWithConf("", &cfg, koanf.UnmarshalConf{DecoderConfig: decoder}); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	cfg.applyDerived()
	return cfg, cfg.Validate()
}

// emptyStringToZeroTime lets a time key be left empty ("") to mean "not set".
func emptyStringToZeroTime(from, to reflect.Type, data any) (any, error) {
	if to == reflect.TypeFor[time.Time]() && from.Kind() == reflect.String && data.(string) == "" {
		return time.Time{}, nil
	}
	return data, nil
}

// EnvName is the environment variable that overrides the key at path,
// for example "mail.smtp.host" → "UNDERSIGNED_MAIL_SMTP_HOST".
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// envProvider maps UNDERSIGNED_* variables onto the known keys. Matching against
// the known keys, rather than splitting on "_", keeps keys such as base_url whole.
func envProvider(keys []string, environ []string) *env.Env {
	byEnvName := make(map[string]string, len(keys))
	for _, key := range keys {
		byEnvName[EnvName(key)] = key
	}
	return env.Provider(".", env.Opt{
		Prefix:      EnvPrefix,
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(name, value string) (string, any) {
			return byEnvName[name], value
		},
	})
}

// applyDerived fills values that default to other values.
func (c *Config) applyDerived() {
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Server.Addr
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err == nil { // HTTPS://Example.org is https://example.org
		u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
		c.BaseURL = u.String()
	}
	for i := range c.Letters {
		if c.Letters[i].Lang == "" {
			c.Letters[i].Lang = "en"
		}
	}
}

// SecureCookies reports whether the site is served over TLS, so cookies and HSTS
// can insist on it.
func (c Config) SecureCookies() bool {
	return strings.HasPrefix(c.BaseURL, "https://")
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// Validate checks every key and names the first one that is wrong.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		name := key
		if !strings.Contains(key, "[") { // list items such as letters[0] are set in the file only
			name += " (" + EnvName(key) + ")"
		}
		errs = append(errs, fmt.Errorf("config: %s: %s", name, fmt.Sprintf(format, args...)))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base_url", "must be an absolute http(s) URL, got %q", c.BaseURL)
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if _, _, err := net.SplitHostPort(c.Server.Addr); err != nil {
		bad("server.addr", "must be host:port, got %q", c.Server.Addr)
	}
	for key, d := range map[string]time.Duration{
		"server.read_timeout": c.Server.ReadTimeout, "server.write_timeout": c.Server.WriteTimeout,
		"server.idle_timeout": c.Server.IdleTimeout, "server.shutdown_timeout": c.Server.ShutdownTimeout,
		"mail.smtp.timeout": c.Mail.SMTP.Timeout,
	} {
		if d <= 0 {
			bad(key, "must be a positive duration such as 10s, got %s", d)
		}
	}
	if c.Server.MaxBodyBytes < 1024 {
		bad("server.max_body_bytes", "must be at least 1024, got %d", c.Server.MaxBodyBytes)
	}
	if c.Runtime.GCPercent < 10 && (c.Runtime.GCPercent != -1 || c.Runtime.MemoryLimitMiB == 0) {
		bad("runtime.gc_percent", "must be at least 10, or -1 with a memory_limit_mib, got %d", c.Runtime.GCPercent)
	}
	if c.Runtime.MemoryLimitMiB != 0 && c.Runtime.MemoryLimitMiB < 64 {
		bad("runtime.memory_limit_mib", "must be 0 (no limit) or at least 64, got %d", c.Runtime.MemoryLimitMiB)
	}
	if !slices.Contains([]string{"sqlite", "postgres"}, c.Database.Driver) {
		bad("database.driver", `must be "sqlite" or "postgres", got %q`, c.Database.Driver)
	}
	if c.Database.Driver == "postgres" && c.Database.DSN == "" {
		bad("database.dsn", "is required when database.driver is postgres")
	}
	if c.CampaignKey != "" && !isKey32(c.CampaignKey) {
		bad("campaign_key", "must be 32 bytes in hex (64 characters) or base64, or empty for <data_dir>/campaign.key")
	}
	c.validateSite(bad)
	c.validateMail(bad)
	if c.Signing.ConfirmTTL < time.Minute {
		bad("signing.confirm_ttl", "must be at least 1m, got %s", c.Signing.ConfirmTTL)
	}
	if c.Signing.ResendCooldown < 0 {
		bad("signing.resend_cooldown", "must not be negative")
	}
	if c.Signing.UnconfirmedGrace < 0 {
		bad("signing.unconfirmed_grace", "must not be negative")
	}
	if v := c.Signing.UpdatesConsentVersion; v == "" || len(v) > 40 {
		bad("signing.updates_consent_version", "must be 1 to 40 characters, got %q", v)
	}
	if v := c.Signing.PartnerConsentVersion; v == "" || len(v) > 40 {
		bad("signing.partner_consent_version", "must be 1 to 40 characters, got %q", v)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if !slices.Contains([]string{"text", "json"}, c.Log.Format) {
		bad("log.format", `must be "text" or "json", got %q`, c.Log.Format)
	}
	c.validateStaff(bad)
	c.validateAbuse(bad)
	if c.Live.Interval < 10*time.Millisecond {
		bad("live.interval", "must be at least 10ms, got %s", c.Live.Interval)
	}
	if c.Live.MaxStale < 0 {
		bad("live.max_stale", "must not be negative")
	}
	if c.Live.NamesPerCountry < 1 || c.Live.NamesPerCountry > 1000 {
		bad("live.names_per_country", "must be 1-1000, got %d", c.Live.NamesPerCountry)
	}
	if c.Live.MaxStreamsPerNetwork < 1 {
		bad("live.max_streams_per_network", "must be at least 1, got %d", c.Live.MaxStreamsPerNetwork)
	}
	c.validateLetters(bad)
	return errors.Join(errs...)
}

// isKey32 reports whether s is 32 bytes in hex or standard base64, as
// key files and key settings hold them.
func isKey32(s string) bool {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return true
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// validateSite checks the site's addresses: each goes into a mail header
// (Reply-To) and a mailto: link, so it must be a bare address.
func (c Config) validateSite(bad func(key, format string, args ...any)) {
	for key, address := range map[string]string{"site.privacy_email": c.Site.PrivacyEmail, "site.contact_email": c.Site.ContactEmail} {
		if address != "" && !isBareAddress(address) {
			bad(key, "must be an email address such as campaign@example.org (no name, no angle brackets), got %q", address)
		}
	}
}

// isBareAddress reports whether s is an email address alone, such as
// "campaign@example.org", without a display name or angle brackets.
func isBareAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

func (c Config) validateMail(bad func(key, format string, args ...any)) {
	if !slices.Contains([]string{"file", "smtp"}, c.Mail.Transport) {
		bad("mail.transport", `must be "file" or "smtp", got %q`, c.Mail.Transport)
	}
	if _, err := mail.ParseAddress(c.Mail.From); err != nil {
		bad("mail.from", "must be an address such as \"Campaign <noreply@example.org>\", got %q", c.Mail.From)
	}
	if c.Mail.Transport == "smtp" {
		if c.Mail.SMTP.Host == "" {
			bad("mail.smtp.host", "is required when mail.transport is smtp")
		}
		if c.Mail.SMTP.Port < 1 || c.Mail.SMTP.Port > 65535 {
			bad("mail.smtp.port", "must be 1-65535, got %d", c.Mail.SMTP.Port)
		}
	}
	if !slices.Contains([]string{"none", "starttls", "tls"}, c.Mail.SMTP.TLS) {
		bad("mail.smtp.tls", `must be "none", "starttls" or "tls", got %q`, c.Mail.SMTP.TLS)
	}
	if c.Mail.Outbox.BatchSize < 1 {
		bad("mail.outbox.batch_size", "must be at least 1, got %d", c.Mail.Outbox.BatchSize)
	}
	if c.Mail.Outbox.PollInterval <= 0 {
		bad("mail.outbox.poll_interval", "must be positive")
	}
	if c.Mail.Outbox.ClaimLease < time.Second {
		bad("mail.outbox.claim_lease", "must be at least 1s, got %s", c.Mail.Outbox.ClaimLease)
	}
	if c.Mail.Outbox.YieldToSigning < 0 || c.Mail.Outbox.YieldToSigning > 5*time.Second {
		bad("mail.outbox.yield_to_signing", "must be between 0 and 5s (mail waits that long per batch of a rush), got %s", c.Mail.Outbox.YieldToSigning)
	}
	if c.Mail.BulkPerMinute < 0 {
		bad("mail.bulk_per_minute", "must be 0 (no cap) or more, got %d", c.Mail.BulkPerMinute)
	}
	if c.Mail.Outbox.MaxAttempts < 1 {
		bad("mail.outbox.max_attempts", "must be at least 1, got %d", c.Mail.Outbox.MaxAttempts)
	}
	if c.Mail.Outbox.RetryMin <= 0 || c.Mail.Outbox.RetryMax < c.Mail.Outbox.RetryMin {
		bad("mail.outbox.retry_max", "must be at least mail.outbox.retry_min, which must be positive")
	}
	if c.Mail.Outbox.KeepSent < 24*time.Hour || c.Mail.Outbox.KeepSent < c.Signing.ResendCooldown {
		bad("mail.outbox.keep_sent", "must be at least 24h (the console counts the last day's mail) and at least signing.resend_cooldown, got %s", c.Mail.Outbox.KeepSent)
	}
}

func (c Config) validateAbuse(bad func(key, format string, args ...any)) {
	for key, list := range map[string][]string{"abuse.trusted_proxies": c.Abuse.TrustedProxies, "abuse.ip_allowlist": c.Abuse.IPAllowlist, "metrics.allow": c.Metrics.Allow, "webhooks.allow_private": c.Webhooks.AllowPrivate} {
		for _, s := range list {
			if _, err := netip.ParsePrefix(s); err != nil {
				bad(key, "%q is not a network such as 192.0.2.0/24", s)
			}
		}
	}
	for key, l := range map[string]RateLimit{"abuse.ip_limits": c.Abuse.IPLimits, "abuse.domain_limits": c.Abuse.DomainLimits} {
		if l.Burst < 1 || l.Sustained < 1 || l.BurstPeriod <= 0 || l.SustainedPeriod <= 0 {
			bad(key, "needs burst, burst_period, sustained and sustained_period all above zero")
		}
	}
	if c.Abuse.MinFormTime < 0 {
		bad("abuse.min_form_time", "must not be negative")
	}
	if c.Abuse.MaxFormAge < time.Minute || c.Abuse.MaxFormAge <= c.Abuse.MinFormTime {
		bad("abuse.max_form_age", "must be at least 1m and longer than abuse.min_form_time, got %s", c.Abuse.MaxFormAge)
	}
	if c.Abuse.NetworkRetention < time.Hour {
		bad("abuse.network_retention", "must be at least 1h, got %s", c.Abuse.NetworkRetention)
	}
}

func (c Config) validateStaff(bad func(key, format string, args ...any)) {
	if c.Staff.SessionIdle < time.Minute {
		bad("staff.session_idle", "must be at least 1m, got %s", c.Staff.SessionIdle)
	}
	if c.Staff.SessionMax < c.Staff.SessionIdle {
		bad("staff.session_max", "must be at least staff.session_idle")
	}
	if c.Staff.LockoutFailures < 1 {
		bad("staff.lockout_failures", "must be at least 1, got %d", c.Staff.LockoutFailures)
	}
	if c.Staff.LockoutWindow < time.Second {
		bad("staff.lockout_window", "must be at least 1s, got %s", c.Staff.LockoutWindow)
	}
	if c.Staff.HashConcurrency < 0 || c.Staff.HashConcurrency > 1024 {
		bad("staff.hash_concurrency", "must be 0 (one per CPU) to 1024, got %d", c.Staff.HashConcurrency)
	}
	if c.Moderation.PageSize < 1 || c.Moderation.PageSize > 1000 {
		bad("moderation.page_size", "must be 1-1000, got %d", c.Moderation.PageSize)
	}
	if c.Imports.MaxRows < 1 || c.Imports.MaxRows > 1_000_000 {
		bad("imports.max_rows", "must be 1-1000000, got %d", c.Imports.MaxRows)
	}
	if c.Imports.MaxBytes < 1024 || c.Imports.MaxBytes > 1<<30 {
		bad("imports.max_bytes", "must be 1024 to 1073741824 (1 GiB), got %d", c.Imports.MaxBytes)
	}
	if len(c.Moderation.Reasons) == 0 {
		bad("moderation.reasons", "at least one rejection reason is required")
	}
	seen := map[string]bool{}
	for i, r := range c.Moderation.Reasons {
		key := fmt.Sprintf("moderation.reasons[%d]", i)
		if !slugPattern.MatchString(strings.ReplaceAll(r.Code, "_", "-")) || seen[r.Code] {
			bad(key+".code", "must be a unique code of lower-case letters, digits and underscores, got %q", r.Code)
		}
		seen[r.Code] = true
		if strings.TrimSpace(r.Text) == "" {
			bad(key+".text", "must not be empty")
		}
	}
}

func (c Config) validateLetters(bad func(key, format string, args ...any)) {
	if len(c.Letters) == 0 {
		bad("letters", "at least one letter is required")
	}
	seen := map[string]bool{}
	for i, l := range c.Letters {
		key := fmt.Sprintf("letters[%d]", i)
		switch {
		case !slugPattern.MatchString(l.Slug) || len(l.Slug) > 80:
			bad(key+".slug", "must be lower-case letters, digits and dashes, got %q", l.Slug)
		case seen[l.Slug]:
			bad(key+".slug", "%q is used by another letter", l.Slug)
		}
		seen[l.Slug] = true
		if strings.TrimSpace(l.Title) == "" {
			bad(key+".title", "must not be empty")
		}
		if strings.TrimSpace(l.Body) == "" {
			bad(key+".body", "must not be empty")
		}
		if !l.ClosesAt.IsZero() && !l.OpensAt.IsZero() && !l.ClosesAt.After(l.OpensAt) {
			bad(key+".closes_at", "must be after opens_at")
		}
		for tag, text := range l.Translations {
			if _, err := language.Parse(tag); err != nil {
				bad(key+".translations", "%q is not a language tag such as fr or pt-BR", tag)
			}
			if strings.TrimSpace(text.Title) == "" || strings.TrimSpace(text.Body) == "" {
				bad(key+".translations."+tag, "needs a title and a body")
			}
		}
		for _, kind := range l.Review {
			if kind != "organisation" && kind != "individual" {
				bad(key+".review", "lists %q; kinds are organisation and individual", kind)
			}
		}
		for j, goal := range l.Goals {
			if goal < 1 || j > 0 && goal <= l.Goals[j-1] {
				bad(key+".goals", "must be positive numbers, each larger than the one before, got %v", l.Goals)
				break
			}
		}
	}
}
