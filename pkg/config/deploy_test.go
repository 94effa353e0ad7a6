package config

import (
	"fmt"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

const (
	productionConfig = "../../deploy/config.production.yaml"
	composeFile      = "../../deploy/compose.yaml"
)

// TestLoadProductionConfig loads the configuration docs/deploy.md installs,
// alone as under systemd and with compose.yaml's environment as in the
// container, and checks that each setting the deployment relies on reached
// its key (an environment variable with a wrong name would be ignored).
func TestLoadProductionConfig(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    map[string]string
	}{
		{"systemd", nil, map[string]string{
			"base_url": "https://letters.example.org", "data_dir": "/var/lib/undersigned",
			"server.addr": "127.0.0.1:8080", "abuse.trusted_proxies": "[127.0.0.1/32 ::1/128]",
			"database.driver": "sqlite", "mail.transport": "smtp", "mail.smtp.tls": "starttls",
			"log.format": "json", "secure cookies": "true",
		}},
		{"compose", composeEnvironment(t, "app", "UNDERSIGNED_SERVER_ADDR=0.0.0.0:8080"), map[string]string{
			"base_url": "http://localhost:8080", "server.addr": "0.0.0.0:8080", "abuse.trusted_proxies": "[]",
			"database.driver": "postgres", "database.dsn": "host=db user=undersigned password=undersigned dbname=undersigned sslmode=disable",
			"mail.smtp.host": "mailpit", "mail.smtp.port": "1025", "mail.smtp.tls": "none", "mail.smtp.username": "",
			"secure cookies": "false",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(productionConfig, tt.environ)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{
				"base_url": cfg.BaseURL, "data_dir": cfg.DataDir, "server.addr": cfg.Server.Addr,
				"abuse.trusted_proxies": fmt.Sprint(cfg.Abuse.TrustedProxies), "database.driver": cfg.Database.Driver,
				"database.dsn": cfg.Database.DSN, "mail.transport": cfg.Mail.Transport, "mail.smtp.host": cfg.Mail.SMTP.Host,
				"mail.smtp.port": fmt.Sprint(cfg.Mail.SMTP.Port), "mail.smtp.tls": cfg.Mail.SMTP.TLS,
				"mail.smtp.username": cfg.Mail.SMTP.Username, "log.format": cfg.Log.Format,
				"secure cookies": fmt.Sprint(cfg.SecureCookies()),
			}
			for key, want := range tt.want {
				if got[key] != want {
					t.Errorf("%s = %q, want %q", key, got[key], want)
				}
			}
		})
	}
}

// composeEnvironment is the environment compose.yaml gives a service, plus
// what the image sets (deploy/Dockerfile's ENV).
func composeEnvironment(t *testing.T, service string, image ...string) []string {
	t.Helper()
	b, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatalf("%s: %v", composeFile, err)
	}
	env := image
	for name, value := range compose.Services[service].Environment {
		env = append(env, name+"="+value)
	}
	if len(env) == len(image) {
		t.Fatalf("%s: service %q sets no environment", composeFile, service)
	}
	return env
}
