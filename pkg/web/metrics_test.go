package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

func TestMetrics(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	h.Sign(webtest.SignForm("bob@example.org"))
	h.Get("/letters/" + webtest.LetterSlug)
	res := h.Get("/metrics")
	if res.Status != http.StatusOK {
		t.Fatalf("metrics: %d", res.Status)
	}
	for _, want := range []string{
		`undersigned_signatures{kind="individual",status="published"} 1`,
		`undersigned_signatures{kind="individual",status="unconfirmed"} 1`,
		`undersigned_mail_queue_depth 1`,
		`undersigned_mail_sent_total 1`,
		`undersigned_sse_clients 0`,
		`undersigned_http_request_duration_seconds_count{method="GET",route="/letters/:slug",status="2xx"}`,
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestMetricsAreNotPublic(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Metrics.Allow = []string{"10.0.0.0/8"} })
	if res := h.Get("/metrics"); res.Status != http.StatusNotFound {
		t.Errorf("metrics from outside the allowed networks: %d", res.Status)
	}
}
