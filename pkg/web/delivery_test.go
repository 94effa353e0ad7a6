package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/undersigned/undersigned/pkg/record"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

func TestCampaignKeysAreWellKnown(t *testing.T) {
	h := webtest.New(t)
	res := h.Get("/.well-known/undersigned-keys.json")
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("well-known keys: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	list, err := record.ParseKeyList([]byte(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	want := h.App.Record.Key()
	if len(list.Keys) != 1 || list.Keys[0].ID != want.ID || list.Keys[0].Public != want.Public ||
		list.Keys[0].Algorithm != "Ed25519" || list.Keys[0].Created == nil {
		t.Errorf("keys %+v, want the campaign key %+v with its creation time", list.Keys, want)
	}
	if _, err := list.Keys[0].Raw(); err != nil {
		t.Errorf("the served key does not decode: %v", err)
	}
	letter := h.Get("/letters/" + webtest.LetterSlug).Doc()
	if got := letter.Find("#delivery code").Text(); !strings.Contains(got, want.Public) {
		t.Errorf("the letter page's delivery section shows %q, want the public key %s", got, want.Public)
	}
}

// TestDeliveryFromTheConsole makes a pack in the console, records its
// delivery, and follows it to the letter page's timeline and the signer's
// manage page, whose proof verifies against the pack.
func TestDeliveryFromTheConsole(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	manage := manageLink(t, h, h.SMTP.Messages()[0])
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	console := "/admin/letters/" + strconv.FormatUint(uint64(letter.ID), 10)

	res := admin.Post(console+"/packs", url.Values{})
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("make a pack: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	pack := []byte(res.Body)
	report := record.Verify(bytes.NewReader(pack), int64(len(pack)), record.Expect{})
	if !report.OK() || report.Manifest.Counts.Signatures != 1 {
		t.Fatalf("the console's pack: %v, %+v", report.Problems, report.Manifest)
	}
	id := report.Manifest.DeliveryID

	bad := admin.Post(console+"/deliveries", url.Values{"pack": {strconv.FormatUint(id, 10)}, "recipients": {" "}, "date": {"2026-11-20"}})
	if bad.Status != http.StatusUnprocessableEntity || bad.Doc().Find("#f-recipients-error").Text() == "" {
		t.Fatalf("no recipients: %d, want 422 with the error beside the field", bad.Status)
	}
	if v, _ := bad.Doc().Find("#f-date").Attr("value"); v != "2026-11-20" {
		t.Errorf("the date typed was lost: %q", v)
	}
	ok := admin.Post(console+"/deliveries", url.Values{"pack": {strconv.FormatUint(id, 10)}, "recipients": {"The G7 leaders"}, "date": {"2026-11-20"}})
	if ok.Status != http.StatusSeeOther {
		t.Fatalf("record the delivery: %d", ok.Status)
	}
	timeline := h.Get("/letters/" + webtest.LetterSlug).Doc().Find("#delivery .timeline li").Text()
	if !strings.Contains(timeline, "Delivered to The G7 leaders on 20 November 2026") || !strings.Contains(timeline, report.Manifest.Merkle.Root) {
		t.Errorf("the letter page's timeline reads %q, want the delivery and its root %s", timeline, report.Manifest.Merkle.Root)
	}

	page := h.Get(manage).Doc()
	line := page.Find(".deliveries li")
	if !strings.Contains(line.Text(), "Included in the list delivered to The G7 leaders on 20 November 2026") {
		t.Fatalf("the manage page's deliveries read %q", line.Text())
	}
	href, _ := line.Find("a").Attr("href")
	proof := h.Get(href)
	if proof.Status != http.StatusOK {
		t.Fatalf("proof download %s: %d", href, proof.Status)
	}
	if r := record.Verify(bytes.NewReader(pack), int64(len(pack)), record.Expect{Proof: []byte(proof.Body)}); !r.OK() {
		t.Errorf("the downloaded proof does not verify against the pack: %v", r.Problems)
	}
	var p record.Proof
	if err := json.Unmarshal([]byte(proof.Body), &p); err != nil || p.Leaf.Name != "Ada Lovelace" {
		t.Errorf("proof leaf %+v (%v)", p.Leaf, err)
	}
	events := admin.Get("/admin/audit?letter=" + webtest.LetterSlug).Body
	if !strings.Contains(events, "delivery.record") || !strings.Contains(events, "delivery.pack") {
		t.Error("the pack and the delivery are not in the audit log")
	}
}
