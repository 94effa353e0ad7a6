package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad proves that no config.yaml and no UNDERSIGNED_* environment make
// Load panic, and that a configuration Load accepts is one Validate accepts,
// with a base URL without a trailing slash and a language for every letter.
// The YAML goes to a file; env is split into variables at newlines.
func FuzzLoad(f *testing.F) {
	sample, err := os.ReadFile("../../config.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample, "")
	f.Add(sample, "UNDERSIGNED_BASE_URL=https://letters.example.org///\nUNDERSIGNED_SERVER_ADDR=:9090\nPATH=/bin")
	f.Add(sample, "UNDERSIGNED_SERVER_READ_TIMEOUT=forever\nUNDERSIGNED_MAIL_SMTP_PORT=0x10\nUNDERSIGNED_NOPE=1")
	f.Add(sample, "UNDERSIGNED_ABUSE_IP_ALLOWLIST=10.0.0.0/8,::1/128\nUNDERSIGNED_LOG_LEVEL")
	f.Add(sample[:len(sample)/2], "")                                        // cut off in the middle
	f.Add([]byte(strings.ReplaceAll(string(sample), "  ", "\t")), "")        // tabs are not YAML indentation
	f.Add([]byte(strings.Replace(string(sample), "slug:", "slugg:", 1)), "") // a misspelt key
	f.Add([]byte("letters:\n  - slug: a\n    title: A\n    body: B\n    opens_at: yesterday\n"), "")
	f.Add([]byte("base_url: http://x/\nletters: &l [{slug: a, title: A, body: B}]\nmoderation: {reasons: *l}\n"), "")
	f.Add([]byte("server: {max_body_bytes: 1e99, read_timeout: -1s}\nletters: []\n"), "UNDERSIGNED_LETTERS=x")
	f.Add([]byte("\xff\xfe: [\n"), "UNDERSIGNED_=\x00")
	path := filepath.Join(f.TempDir(), "config.yaml") // one file, rewritten for each input
	f.Fuzz(func(t *testing.T, yaml []byte, env string) {
		if len(yaml) > 64<<10 {
			t.Skip("larger than any config file")
		}
		if err := os.WriteFile(path, yaml, 0o600); err != nil {
			t.Fatal(err)
		}
		var environ []string
		for _, v := range strings.Split(env, "\n") {
			if strings.HasPrefix(v, EnvPrefix) {
				environ = append(environ, v)
			}
		}
		cfg, err := Load(path, environ)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("Load accepted a configuration that Validate refuses: %v", err)
		}
		if strings.HasSuffix(cfg.BaseURL, "/") {
			t.Errorf("base_url %q ends in a slash", cfg.BaseURL)
		}
		for i, l := range cfg.Letters {
			if l.Lang == "" {
				t.Errorf("letters[%d] has no language", i)
			}
		}
	})
}
