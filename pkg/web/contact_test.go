package web_test

import (
	"net/mail"
	"strings"
	"testing"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/mail/mailtest"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// replyTo is the address in m's Reply-To header, or "" when it has none.
func replyTo(t *testing.T, m mailtest.Message) string {
	t.Helper()
	header := m.Header.Get("Reply-To")
	if header == "" {
		return ""
	}
	a, err := mail.ParseAddress(header)
	if err != nil {
		t.Fatalf("Reply-To %q: %v", header, err)
	}
	return a.Address
}

func TestEveryMailRepliesToTheCampaignContact(t *testing.T) {
	tests := []struct {
		name         string
		site         config.Site
		wantReplyTo  string
		wantSentence string
	}{
		{"contact set", config.Site{ContactEmail: "team@campaign.example", PrivacyEmail: "dpo@campaign.example"},
			"team@campaign.example", "reply to this email or write to the campaign at team@campaign.example."},
		{"privacy address only", config.Site{PrivacyEmail: "dpo@campaign.example"},
			"dpo@campaign.example", "write to the campaign at dpo@campaign.example."},
		{"no address", config.Site{},
			"", "please contact the campaign team behind the letter."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := webtest.New(t, func(c *config.Config) {
				c.Site.ContactEmail, c.Site.PrivacyEmail = tt.site.ContactEmail, tt.site.PrivacyEmail
			})
			signAndConfirm(t, h, orgForm("Spam Corp", "https://spam.example", "x@spam.example", "DE"))
			b := h.LoginAs("mod@campaign.example", store.RoleModerator)
			decide(t, b, "reject", []uint64{signatureByName(t, h, "Spam Corp").ID}, "reason", "out_of_scope")
			h.DrainOutbox()

			mails := h.SMTP.Messages()
			if len(mails) != 2 || !strings.HasPrefix(mails[1].Subject, "Your signature was not published") {
				t.Fatalf("want the confirmation and the rejection mail, got %d mails", len(mails))
			}
			for _, m := range mails {
				if got := replyTo(t, m); got != tt.wantReplyTo {
					t.Errorf("%q: Reply-To %q, want %q", m.Subject, got, tt.wantReplyTo)
				}
			}
			rejection := mails[1]
			for part, body := range map[string]string{"text": rejection.Text, "HTML": rejection.HTML} {
				flat := strings.Join(strings.Fields(body), " ")
				if !strings.Contains(flat, tt.wantSentence) || strings.Contains(flat, "privacy notice page") {
					t.Errorf("rejection mail's %s part should say %q:\n%s", part, tt.wantSentence, body)
				}
			}
		})
	}
}

func TestPrivacyNoticeNamesTheCampaignContact(t *testing.T) {
	tests := []struct {
		name string
		site config.Site
		want string // the address of the campaign contact line, "" for none
	}{
		{"contact set", config.Site{Name: "Undersigned", Operator: "Campaign Ltd", ContactEmail: "team@campaign.example", PrivacyEmail: "dpo@campaign.example"}, "team@campaign.example"},
		{"privacy address beside the operator", config.Site{Name: "Undersigned", Operator: "Campaign Ltd", PrivacyEmail: "dpo@campaign.example"}, ""},
		{"privacy address without an operator", config.Site{Name: "Undersigned", PrivacyEmail: "dpo@campaign.example"}, "dpo@campaign.example"},
		{"no address", config.Site{Name: "Undersigned"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := webtest.New(t, func(c *config.Config) { c.Site = tt.site })
			doc := h.Get("/privacy").Doc()
			line := doc.Find("p.campaign-contact")
			if tt.want == "" {
				if line.Length() != 0 {
					t.Errorf("a campaign contact line where none is due: %q", line.Text())
				}
				return
			}
			href, _ := line.Find("a").Attr("href")
			if href != "mailto:"+tt.want || !strings.Contains(line.Text(), "write to the campaign team at "+tt.want) {
				t.Errorf("campaign contact line %q links to %q, want %s", line.Text(), href, tt.want)
			}
		})
	}
}
