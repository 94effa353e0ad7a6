package web_test

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// fileTransport has the harness write mail as .eml files under the data
// folder, as a development install does, so that an erasure must remove them.
func fileTransport(c *config.Config) { c.Mail.Transport = "file" }

// mailedLink finds the newest link of kind ("confirm", "manage") in the mail
// files written to address.
func mailedLink(t *testing.T, h *webtest.Harness, address, kind string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(h.App.Config.DataDir, "mail", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(h.URL) + "/" + kind + `/[A-Za-z0-9_-]+`)
	found := ""
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(strings.ReplaceAll(string(raw), "=\r\n", ""), "=3D", "=") // quoted-printable
		if strings.Contains(text, "To: <"+address+">") {
			if m := link.FindString(text); m != "" {
				found = strings.TrimPrefix(m, h.URL)
			}
		}
	}
	if found == "" {
		t.Fatalf("no %s link mailed to %s among %d files", kind, address, len(files))
	}
	return found
}

// traces lists the files under dir that hold any of needles, and where.
func traces(t *testing.T, dir string, needles ...string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lower := bytes.ToLower(data)
		for _, n := range needles {
			if bytes.Contains(lower, bytes.ToLower([]byte(n))) {
				hits = append(hits, filepath.Base(path)+" holds "+n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// publicResponses fetches everything the public can read about the letter,
// and the event stream's replay for a client that saw update lastSeen.
func publicResponses(t *testing.T, h *webtest.Harness, lastSeen string) map[string]string {
	t.Helper()
	letter := "/letters/" + webtest.LetterSlug
	out := map[string]string{}
	for _, path := range []string{letter, letter + "?kind=organisation", letter + "/countries/DE", letter + "/embed",
		letter + "/signatories.csv", letter + "/signatories.json", "/api/v1/letters/" + webtest.LetterSlug,
		"/api/v1/letters/" + webtest.LetterSlug + "/signatories", "/api/v1/letters/" + webtest.LetterSlug + "/signatories?q=erasure",
		"/api/v1/letters/" + webtest.LetterSlug + "/signatories?country=DE"} {
		res := h.Get(path)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.Status)
		}
		out[path] = res.Body + res.Header.Get("ETag")
	}
	stream := h.Events(letter+"/events", lastSeen)
	out["events since "+lastSeen] = stream.Next(2 * time.Second).Data
	stream.Close()
	return out
}

// mentions lists the responses that carry s.
func mentions(responses map[string]string, s string) []string {
	var where []string
	for path, body := range responses {
		if strings.Contains(strings.ToLower(body), strings.ToLower(s)) {
			where = append(where, path)
		}
	}
	return where
}

// TestWithdrawalLeavesNothingBehind signs with a unique name and address,
// confirms, is approved and withdraws; then neither the name nor the address
// is in any file of the data folder (the database, its WAL, the mail files)
// nor in any public response, the event stream's replay included.
func TestWithdrawalLeavesNothingBehind(t *testing.T) {
	h := webtest.New(t, fileTransport)
	const name, address = "Qwyxz Erasure Trust", "qwyxz-erasure@erasure-probe.example"
	h.Sign(orgForm(name, "https://erasure-probe.example", address, "DE"))
	h.DrainOutbox()
	confirm := mailedLink(t, h, address, "confirm")
	if res := h.PostForm(confirm, nil); res.Status != http.StatusOK {
		t.Fatalf("confirm: %d", res.Status)
	}
	stream := h.Events("/letters/"+webtest.LetterSlug+"/events", "")
	before := stream.Next(2 * time.Second).ID
	stream.Close()
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	decide(t, mod, "approve", []uint64{signatureByName(t, h, name).ID})
	h.DrainOutbox() // the "you are published" mail, a second file

	// The probe can see what it looks for before the withdrawal.
	if where := mentions(publicResponses(t, h, before), name); len(where) < 8 {
		t.Fatalf("before withdrawal the name is public in only %v", where)
	}
	if hits := traces(t, h.App.Config.DataDir, name, address); len(hits) < 2 {
		t.Fatalf("before withdrawal the data folder holds only %v", hits)
	}

	manage := mailedLink(t, h, address, "manage")
	if res := h.PostForm(manage+"/withdraw", url.Values{"sure": {"yes"}}); res.Status != http.StatusOK {
		t.Fatalf("withdraw: %d", res.Status)
	}
	if hits := traces(t, h.App.Config.DataDir, name, address); len(hits) > 0 {
		t.Errorf("after withdrawal the data folder still holds: %v", hits)
	}
	if where := mentions(publicResponses(t, h, before), name); len(where) > 0 {
		t.Errorf("after withdrawal the name is still in: %v", where)
	}
	var audit []store.AuditEvent
	if err := h.App.Store.Read(t.Context()).Where("signature_id IS NOT NULL").Order("id").Find(&audit).Error; err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action+" by "+e.StaffEmail)
		if strings.Contains(e.Subject+e.Before+e.After, "Qwyxz") {
			t.Errorf("audit entry %d keeps the name: %+v", e.ID, e)
		}
	}
	if got := strings.Join(actions, ", "); got != "confirm by signer, approve by mod@campaign.example, withdraw by signer" {
		t.Errorf("audit log: %s", got)
	}
	var mail int64
	if err := h.App.Store.Read(t.Context()).Model(&store.MailJob{}).Count(&mail).Error; err != nil || mail != 0 {
		t.Errorf("%d mail jobs left (%v)", mail, err)
	}
}

// TestHiddenNamesLeaveEveryPublicResponse: a name staff hide may stay in
// the database, but no public response carries it, nor the event stream's
// replay to a client that saw it published.
func TestHiddenNamesLeaveEveryPublicResponse(t *testing.T) {
	h := webtest.New(t)
	const name = "Vexqor Hidden Forum"
	signAndConfirm(t, h, orgForm(name, "https://hidden-probe.example", "press@hidden-probe.example", "DE"))
	stream := h.Events("/letters/"+webtest.LetterSlug+"/events", "")
	before := stream.Next(2 * time.Second).ID
	stream.Close()
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	id := signatureByName(t, h, name).ID
	decide(t, mod, "approve", []uint64{id})
	if where := mentions(publicResponses(t, h, before), name); len(where) < 8 {
		t.Fatalf("published, the name is public in only %v", where)
	}
	decide(t, mod, "hide", []uint64{id})
	if where := mentions(publicResponses(t, h, before), name); len(where) > 0 {
		t.Errorf("hidden, the name is still in: %v", where)
	}
}
