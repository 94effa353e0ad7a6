package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sampleConfig = "../../config.yaml"

// minimalLetters is the smallest YAML that passes validation on top of the defaults.
const minimalLetters = `
letters:
  - slug: "a-letter"
    title: "A letter"
    body: "Text"
`

// writeConfig writes yaml to a config file in a fresh temporary folder.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func loadSample(t *testing.T) Config {
	t.Helper()
	cfg, err := Load(sampleConfig, nil)
	if err != nil {
		t.Fatalf("Load(%s): %v", sampleConfig, err)
	}
	return cfg
}

func TestLoadSampleConfig(t *testing.T) {
	cfg := loadSample(t)
	if len(cfg.Letters) != 1 || cfg.Letters[0].Slug != "protect-strong-encryption" {
		t.Fatalf("letters = %+v, want the one sample letter protect-strong-encryption", cfg.Letters)
	}
	tests := []struct {
		key, got, want string
	}{
		{"server.addr", cfg.Server.Addr, "127.0.0.1:8080"},
		{"data_dir", cfg.DataDir, "./data"},
		{"mail.transport", cfg.Mail.Transport, "file"},
		{"database.driver", cfg.Database.Driver, "sqlite"},
		{"runtime.gc_percent", fmt.Sprint(cfg.Runtime.GCPercent), "100"},
		{"runtime.memory_limit_mib", fmt.Sprint(cfg.Runtime.MemoryLimitMiB), "0"},
		{"abuse.max_form_age", cfg.Abuse.MaxFormAge.String(), "24h0m0s"},
		{"live.max_streams_per_network", fmt.Sprint(cfg.Live.MaxStreamsPerNetwork), "20"},
		{"imports.max_rows", fmt.Sprint(cfg.Imports.MaxRows), "50000"},
		{"webhooks.allow_private", fmt.Sprint(cfg.Webhooks.AllowPrivate), "[]"},
		{"imports.max_bytes", fmt.Sprint(cfg.Imports.MaxBytes), "16777216"},
		{"base_url", cfg.BaseURL, "http://127.0.0.1:8080"},
		{"letters[0].lang", cfg.Letters[0].Lang, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, tt.got, tt.want)
			}
		})
	}
}

func TestEnvironmentOverridesEveryKey(t *testing.T) {
	tests := []struct {
		env  []string
		got  func(Config) any
		want any
	}{
		{[]string{"UNDERSIGNED_SERVER_ADDR=0.0.0.0:9000"}, func(c Config) any { return c.Server.Addr }, "0.0.0.0:9000"},
		{[]string{"UNDERSIGNED_BASE_URL=https://sign.example.org"}, func(c Config) any { return c.BaseURL }, "https://sign.example.org"},
		{[]string{"UNDERSIGNED_DATA_DIR=/var/lib/undersigned"}, func(c Config) any { return c.DataDir }, "/var/lib/undersigned"},
		{[]string{"UNDERSIGNED_SITE_CONTACT_EMAIL=team@example.net"}, func(c Config) any { return c.Site.ContactEmail }, "team@example.net"},
		{[]string{"UNDERSIGNED_SITE_PRIVACY_EMAIL=dpo@example.net"}, func(c Config) any { return c.Site.PrivacyEmail }, "dpo@example.net"},
		{
			[]string{"UNDERSIGNED_DATABASE_DRIVER=postgres", "UNDERSIGNED_DATABASE_DSN=host=db dbname=u"},
			func(c Config) any { return c.Database.Driver }, "postgres",
		},
		{[]string{"UNDERSIGNED_DATABASE_DSN=/tmp/u.db"}, func(c Config) any { return c.Database.DSN }, "/tmp/u.db"},
		{[]string{"UNDERSIGNED_MAIL_TRANSPORT=smtp"}, func(c Config) any { return c.Mail.Transport }, "smtp"},
		{[]string{"UNDERSIGNED_MAIL_FROM=Campaign <c@example.net>"}, func(c Config) any { return c.Mail.From }, "Campaign <c@example.net>"},
		{[]string{"UNDERSIGNED_MAIL_SMTP_HOST=smtp.example.net"}, func(c Config) any { return c.Mail.SMTP.Host }, "smtp.example.net"},
		{[]string{"UNDERSIGNED_MAIL_SMTP_PORT=2525"}, func(c Config) any { return c.Mail.SMTP.Port }, 2525},
		{[]string{"UNDERSIGNED_MAIL_SMTP_TLS=tls"}, func(c Config) any { return c.Mail.SMTP.TLS }, "tls"},
		{[]string{"UNDERSIGNED_MAIL_SMTP_USERNAME=relay-user"}, func(c Config) any { return c.Mail.SMTP.Username }, "relay-user"},
		{[]string{"UNDERSIGNED_MAIL_SMTP_PASSWORD=s3cret"}, func(c Config) any { return c.Mail.SMTP.Password }, "s3cret"},
		{[]string{"UNDERSIGNED_SECRET_KEY=abc123"}, func(c Config) any { return c.SecretKey }, "abc123"},
		{[]string{"UNDERSIGNED_CAMPAIGN_KEY=" + strings.Repeat("cd", 32)}, func(c Config) any { return c.CampaignKey }, strings.Repeat("cd", 32)},
		{[]string{"UNDERSIGNED_SIGNING_CONFIRM_TTL=48h"}, func(c Config) any { return c.Signing.ConfirmTTL }, 48 * time.Hour},
		{[]string{"UNDERSIGNED_SIGNING_UPDATES_CONSENT_VERSION=2027-01"}, func(c Config) any { return c.Signing.UpdatesConsentVersion }, "2027-01"},
		{[]string{"UNDERSIGNED_SIGNING_PARTNER_CONSENT_VERSION=2027-02"}, func(c Config) any { return c.Signing.PartnerConsentVersion }, "2027-02"},
		{[]string{"UNDERSIGNED_MAIL_OUTBOX_KEEP_SENT=72h"}, func(c Config) any { return c.Mail.Outbox.KeepSent }, 72 * time.Hour},
		{[]string{"UNDERSIGNED_MAIL_BULK_PER_MINUTE=120"}, func(c Config) any { return c.Mail.BulkPerMinute }, 120},
		{[]string{"UNDERSIGNED_MAIL_OUTBOX_YIELD_TO_SIGNING=0s"}, func(c Config) any { return c.Mail.Outbox.YieldToSigning }, time.Duration(0)},
		{[]string{"UNDERSIGNED_STAFF_HASH_CONCURRENCY=3"}, func(c Config) any { return c.Staff.HashSlots() }, 3},
		{[]string{"UNDERSIGNED_ABUSE_MAX_FORM_AGE=2h"}, func(c Config) any { return c.Abuse.MaxFormAge }, 2 * time.Hour},
		{[]string{"UNDERSIGNED_LIVE_MAX_STREAMS_PER_NETWORK=5"}, func(c Config) any { return c.Live.MaxStreamsPerNetwork }, 5},
		{[]string{"UNDERSIGNED_IMPORTS_MAX_ROWS=1000"}, func(c Config) any { return c.Imports.MaxRows }, 1000},
		{[]string{"UNDERSIGNED_WEBHOOKS_CA_FILE=/etc/ca.pem"}, func(c Config) any { return c.Webhooks.CAFile }, "/etc/ca.pem"},
		{[]string{"UNDERSIGNED_IMPORTS_MAX_BYTES=2048"}, func(c Config) any { return c.Imports.MaxBytes }, int64(2048)},
	}
	sample := loadSample(t)
	for _, tt := range tests {
		name := strings.SplitN(tt.env[0], "=", 2)[0]
		t.Run(name, func(t *testing.T) {
			if tt.got(sample) == tt.want {
				t.Fatalf("the sample config already has %v; the test proves nothing", tt.want)
			}
			cfg, err := Load(sampleConfig, tt.env)
			if err != nil {
				t.Fatalf("Load with %v: %v", tt.env, err)
			}
			if got := tt.got(cfg); got != tt.want {
				t.Errorf("with %v got %v, want %v", tt.env, got, tt.want)
			}
		})
	}
}

func TestEnvironmentIgnoresUnknownVariables(t *testing.T) {
	cfg, err := Load(sampleConfig, []string{"HOME=/root", "UNDERSIGNED_NO_SUCH_KEY=1", "SERVER_ADDR=x"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Server.Addr != "127.0.0.1:8080" {
		t.Errorf("server.addr = %q, want the file's value", cfg.Server.Addr)
	}
}

func TestValidateNamesTheBadKey(t *testing.T) {
	tests := []struct {
		key    string
		mutate func(*Config)
	}{
		{"mail.transport", func(c *Config) { c.Mail.Transport = "pigeon" }},
		{"mail.smtp.tls", func(c *Config) { c.Mail.SMTP.TLS = "ssl" }},
		{"database.driver", func(c *Config) { c.Database.Driver = "mysql" }},
		{"database.dsn", func(c *Config) { c.Database.Driver = "postgres"; c.Database.DSN = "" }},
		{"server.addr", func(c *Config) { c.Server.Addr = "localhost" }},
		{"site.contact_email", func(c *Config) { c.Site.ContactEmail = "campaign" }},
		{"site.contact_email", func(c *Config) { c.Site.ContactEmail = "Campaign <team@example.org>" }},
		{"site.contact_email", func(c *Config) { c.Site.ContactEmail = "team@example.org, other@example.org" }},
		{"site.privacy_email", func(c *Config) { c.Site.PrivacyEmail = "<dpo@example.org>" }},
		{"runtime.gc_percent", func(c *Config) { c.Runtime.GCPercent = 0 }},
		{"runtime.gc_percent", func(c *Config) { c.Runtime.GCPercent, c.Runtime.MemoryLimitMiB = -1, 0 }},
		{"runtime.memory_limit_mib", func(c *Config) { c.Runtime.MemoryLimitMiB = 8 }},
		{"base_url", func(c *Config) { c.BaseURL = "ftp://example.org" }},
		{"campaign_key", func(c *Config) { c.CampaignKey = "abc123" }},
		{"base_url", func(c *Config) { c.BaseURL = "example.org" }},
		{"log.level", func(c *Config) { c.Log.Level = "verbose" }},
		{"mail.outbox.keep_sent", func(c *Config) { c.Mail.Outbox.KeepSent = time.Hour }},
		{"mail.outbox.yield_to_signing", func(c *Config) { c.Mail.Outbox.YieldToSigning = -time.Second }},
		{"mail.outbox.yield_to_signing", func(c *Config) { c.Mail.Outbox.YieldToSigning = time.Minute }},
		{"mail.bulk_per_minute", func(c *Config) { c.Mail.BulkPerMinute = -1 }},
		{"signing.updates_consent_version", func(c *Config) { c.Signing.UpdatesConsentVersion = "" }},
		{"signing.partner_consent_version", func(c *Config) { c.Signing.PartnerConsentVersion = strings.Repeat("v", 41) }},
		{"staff.hash_concurrency", func(c *Config) { c.Staff.HashConcurrency = -1 }},
		{"abuse.max_form_age", func(c *Config) { c.Abuse.MaxFormAge = 0 }},
		{"abuse.max_form_age", func(c *Config) { c.Abuse.MinFormTime, c.Abuse.MaxFormAge = 2*time.Minute, time.Minute }},
		{"live.max_streams_per_network", func(c *Config) { c.Live.MaxStreamsPerNetwork = 0 }},
		{"webhooks.allow_private", func(c *Config) { c.Webhooks.AllowPrivate = []string{"localhost"} }},
		{"imports.max_rows", func(c *Config) { c.Imports.MaxRows = 0 }},
		{"imports.max_rows", func(c *Config) { c.Imports.MaxRows = 1_000_001 }},
		{"imports.max_bytes", func(c *Config) { c.Imports.MaxBytes = 100 }},
		{"letters[0].slug", func(c *Config) { c.Letters[0].Slug = "Protect-Encryption" }},
		{"letters[1].slug", func(c *Config) { c.Letters = append(c.Letters, c.Letters[0]) }},
		{"letters[0].review", func(c *Config) { c.Letters[0].Review = []string{"robots"} }},
		{"letters[0].goals", func(c *Config) { c.Letters[0].Goals = []int64{500, 500} }},
		{"letters[0].goals", func(c *Config) { c.Letters[0].Goals = []int64{0} }},
		{"letters[0].closes_at", func(c *Config) {
			c.Letters[0].OpensAt = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
			c.Letters[0].ClosesAt = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			cfg := loadSample(t)
			tt.mutate(&cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatalf("Validate accepted a bad %s", tt.key)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q does not name %q", err, tt.key)
			}
			// Keys inside lists (letters[0]) are set in the file only; the
			// others also name their environment variable.
			hasEnv := strings.Contains(err.Error(), "UNDERSIGNED_")
			if wantEnv := !strings.Contains(tt.key, "["); hasEnv != wantEnv {
				t.Errorf("error %q: names an environment variable = %v, want %v", err, hasEnv, wantEnv)
			} else if wantEnv && !strings.Contains(err.Error(), EnvName(tt.key)) {
				t.Errorf("error %q does not name %s", err, EnvName(tt.key))
			}
		})
	}
}

func TestSiteContact(t *testing.T) {
	tests := []struct {
		name string
		site Site
		want string
	}{
		{"contact set", Site{ContactEmail: "team@example.org", PrivacyEmail: "dpo@example.org"}, "team@example.org"},
		{"privacy address only", Site{PrivacyEmail: "dpo@example.org"}, "dpo@example.org"},
		{"neither", Site{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.site.Contact(); got != tt.want {
				t.Errorf("Contact() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadReportsValidationErrorFromEnvironment(t *testing.T) {
	_, err := Load(sampleConfig, []string{"UNDERSIGNED_MAIL_TRANSPORT=pigeon"})
	if err == nil || !strings.Contains(err.Error(), "UNDERSIGNED_MAIL_TRANSPORT") {
		t.Fatalf("Load error = %v, want one naming UNDERSIGNED_MAIL_TRANSPORT", err)
	}
}

func TestLoadRejectsMisspeltKey(t *testing.T) {
	sample, err := os.ReadFile(sampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(writeConfig(t, string(sample)), nil); err != nil {
		t.Fatalf("an unchanged copy of the sample fails: %v", err)
	}
	_, err = Load(writeConfig(t, string(sample)+"\nservr:\n  addr: x\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "servr") {
		t.Fatalf("Load error = %v, want one naming the misspelt key servr", err)
	}
}

func TestLetterTimes(t *testing.T) {
	cfg, err := Load(writeConfig(t, `
letters:
  - slug: "a-letter"
    title: "A letter"
    body: "Text"
    opens_at: ""
    closes_at: "2026-12-01T09:00:00Z"
    publish_at: ""
  - slug: "unquoted"
    title: "Unquoted times"
    body: "Text"
    opens_at: 2026-11-01T09:00:00+01:00
`), nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tests := []struct {
		name string
		got  time.Time
		want time.Time
	}{
		{"empty opens_at is zero", cfg.Letters[0].OpensAt, time.Time{}},
		{"RFC 3339 closes_at parses", cfg.Letters[0].ClosesAt, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		{"empty publish_at is zero", cfg.Letters[0].PublishAt, time.Time{}},
		{"unquoted RFC 3339 parses", cfg.Letters[1].OpensAt, time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)},
		{"missing closes_at is zero", cfg.Letters[1].ClosesAt, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.got.Equal(tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestLoadRejectsBadTime(t *testing.T) {
	_, err := Load(writeConfig(t, minimalLetters+`    opens_at: "next tuesday"`+"\n"), nil)
	if err == nil {
		t.Fatal("Load accepted opens_at: next tuesday")
	}
}

func TestEnvName(t *testing.T) {
	tests := map[string]string{
		"mail.smtp.host":      "UNDERSIGNED_MAIL_SMTP_HOST",
		"base_url":            "UNDERSIGNED_BASE_URL",
		"signing.confirm_ttl": "UNDERSIGNED_SIGNING_CONFIRM_TTL",
	}
	for path, want := range tests {
		t.Run(path, func(t *testing.T) {
			if got := EnvName(path); got != want {
				t.Errorf("EnvName(%q) = %q, want %q", path, got, want)
			}
		})
	}
}

func TestBaseURLDerivation(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  []string
		want string
	}{
		{"defaults to server.addr", "server:\n  addr: \"0.0.0.0:9000\"\n", nil, "http://0.0.0.0:9000"},
		{"trailing slash trimmed", "base_url: \"https://sign.example.org/\"\n", nil, "https://sign.example.org"},
		{"trailing slash trimmed from env", "", []string{"UNDERSIGNED_BASE_URL=https://env.example.org/"}, "https://env.example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(writeConfig(t, tt.yaml+minimalLetters), tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.BaseURL != tt.want {
				t.Errorf("base_url = %q, want %q", cfg.BaseURL, tt.want)
			}
		})
	}
}

func TestSecureCookies(t *testing.T) {
	tests := map[string]bool{"https://example.org": true, "http://example.org": false}
	for baseURL, want := range tests {
		t.Run(baseURL, func(t *testing.T) {
			if got := (Config{BaseURL: baseURL}).SecureCookies(); got != want {
				t.Errorf("SecureCookies() = %v, want %v", got, want)
			}
		})
	}
}
