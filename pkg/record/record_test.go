package record_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/record"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// otherSlug is a second letter, whose pack's root no proof of the first
// letter's signers may match.
const otherSlug = "second-letter"

func newHarness(t *testing.T) *webtest.Harness {
	return webtest.New(t, func(c *config.Config) {
		c.Letters = append(c.Letters, config.Letter{Slug: otherSlug, Title: "A second letter", Body: "Second.", Lang: "en"})
	})
}

// seedPublished stores published signatures on the letter straight in the
// database: an organisation and a named individual per name, and one
// individual who chose not to be named. It returns their ids.
func seedPublished(t *testing.T, h *webtest.Harness, slug string, names ...string) []uint64 {
	t.Helper()
	letter, _ := h.App.Letters.BySlug(slug)
	now := h.Clock.Now()
	var rows []store.Signature
	add := func(kind store.Kind, name string, show bool) {
		i := len(rows)
		rows = append(rows, store.Signature{LetterID: letter.ID, Kind: kind, Name: name, Affiliation: "Somewhere " + name,
			OrgType: "ngo", Country: "DE", ShowName: show, EmailHash: fmt.Sprintf("%s-%d", slug, i), Status: store.StatusPublished,
			TokenHash: fmt.Sprintf("%s-token-%d", slug, i), TokenExpiresAt: now, ConfirmedAt: &now, PublishedAt: &now,
			Locale: "en", LetterVersion: "en/1", ConsentVersion: "test"})
		rows[i].SetDerived(h.App.Store.SortKeys)
	}
	for _, name := range names {
		add(store.KindOrganisation, name+" Org", true)
		add(store.KindIndividual, name, true)
	}
	add(store.KindIndividual, "Hidden Person", false)
	err := h.App.Store.Write(context.Background(), func(tx *gorm.DB) error { return tx.Create(&rows).Error })
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	ids := make([]uint64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// makePack makes the letter's pack with a stand-in PDF maker.
func makePack(t *testing.T, h *webtest.Harness, svc *record.Service, slug string) ([]byte, *store.Delivery) {
	t.Helper()
	letter, _ := h.App.Letters.BySlug(slug)
	var buf bytes.Buffer
	d, err := svc.Pack(context.Background(), record.PackRequest{Letter: letter, By: store.CommandLineActor("test")}, &buf)
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	return buf.Bytes(), d
}

// service is the app's record service with a PDF maker that returns a
// fixed document.
func service(h *webtest.Harness) *record.Service {
	key, err := record.LoadKey(context.Background(), h.App.Store, "", filepath.Join(h.App.Config.DataDir, "campaign.key"), nil, h.Clock.Now())
	if err != nil {
		panic(err)
	}
	return record.New(record.Deps{Store: h.App.Store, Letters: h.App.Letters, Key: key, BaseURL: h.URL, Now: h.Clock.Now,
		Random: bytes.NewReader(bytes.Repeat([]byte{7, 1, 9}, 100000)),
		PDF: func(_ context.Context, l *letters.Letter, lang string) ([]byte, error) {
			return []byte("%PDF-1.7 " + l.Slug + " " + lang), nil
		}})
}

func verify(pack []byte, expect record.Expect) record.Report {
	return record.Verify(bytes.NewReader(pack), int64(len(pack)), expect)
}

// rezip copies pack, with change applied to its files by name.
func rezip(t *testing.T, pack []byte, change func(files map[string][]byte)) []byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var names []string
	for _, f := range z.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = b
		names = append(names, f.Name)
	}
	change(files)
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	for _, name := range names {
		if b, ok := files[name]; ok {
			f, _ := w.Create(name)
			f.Write(b)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestVerifyAcceptsAFreshPack(t *testing.T) {
	h := newHarness(t)
	svc := service(h)
	seedPublished(t, h, webtest.LetterSlug, "Ada Lovelace", "Grace Hopper")
	pack, d := makePack(t, h, svc, webtest.LetterSlug)
	r := verify(pack, record.Expect{Keys: []record.PublicKey{svc.Key()}})
	if !r.OK() {
		t.Fatalf("a fresh pack failed: %v", r.Problems)
	}
	m := r.Manifest
	want := record.Counts{Signatures: 5, Organisations: 2, Individuals: 3, NamedIndividuals: 2}
	if m.Counts != want || m.Merkle.Leaves != 5 || m.Merkle.Root != d.Root || m.DeliveryID != d.ID {
		t.Errorf("manifest counts %+v, tree %+v, delivery %d; want %+v, root %s, delivery %d", m.Counts, m.Merkle, m.DeliveryID, want, d.Root, d.ID)
	}
	for _, name := range []string{record.PDFFile, record.ListFile, record.SignaturesFile, "texts/en.md"} {
		if _, ok := fileOf(m, name); !ok {
			t.Errorf("the manifest lists no %s: %+v", name, m.Files)
		}
	}
	if len(m.Texts) != 1 || m.Texts[0].Version != "en/1" {
		t.Errorf("texts = %+v, want en/1", m.Texts)
	}
	list := unzipped(t, pack)[record.SignaturesFile]
	if strings.Contains(string(list), "Hidden Person") || strings.Contains(string(list), "Somewhere Hidden") {
		t.Errorf("signatures.json reveals the individual who chose not to be named:\n%s", list)
	}
}

func fileOf(m *record.Manifest, name string) (record.File, bool) {
	for _, f := range m.Files {
		if f.Name == name {
			return f, true
		}
	}
	return record.File{}, false
}

func unzipped(t *testing.T, pack []byte) map[string][]byte {
	var files map[string][]byte
	rezip(t, pack, func(f map[string][]byte) { files = f })
	return files
}

func TestVerifyRejectsAChangedPack(t *testing.T) {
	h := newHarness(t)
	svc := service(h)
	seedPublished(t, h, webtest.LetterSlug, "Ada Lovelace", "Grace Hopper")
	pack, _ := makePack(t, h, svc, webtest.LetterSlug)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	tests := []struct {
		name   string
		pack   []byte
		expect record.Expect
		want   string
	}{
		{"one byte of the CSV", rezip(t, pack, func(f map[string][]byte) { f[record.ListFile][40] ^= 1 }), record.Expect{},
			"signatories.csv has SHA-256"},
		{"a name removed from the JSON", rezip(t, pack, func(f map[string][]byte) {
			var entries []record.Entry
			json.Unmarshal(f[record.SignaturesFile], &entries)
			f[record.SignaturesFile], _ = json.Marshal(entries[1:])
		}), record.Expect{}, "the Merkle root of signatures.json is"},
		{"a different expected key", pack, record.Expect{Keys: []record.PublicKey{publicOf(other)}}, "not with the expected key"},
		{"signed again by another key", rezip(t, pack, func(f map[string][]byte) {
			f[record.SignatureFile] = ed25519.Sign(other, f[record.ManifestFile])
		}), record.Expect{}, "does not match manifest.json and the key it names"},
		{"a truncated manifest", rezip(t, pack, func(f map[string][]byte) {
			f[record.ManifestFile] = f[record.ManifestFile][:len(f[record.ManifestFile])/2]
		}), record.Expect{}, "manifest.json is not complete JSON"},
		{"no manifest", rezip(t, pack, func(f map[string][]byte) { delete(f, record.ManifestFile) }), record.Expect{},
			"manifest.json is missing"},
		{"not a zip", []byte("hello"), record.Expect{}, "not a zip file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := verify(tt.pack, tt.expect)
			if r.OK() {
				t.Fatal("verify accepted the pack")
			}
			if got := strings.Join(r.Problems, "\n"); !strings.Contains(got, tt.want) {
				t.Errorf("problems:\n%s\nwant one saying %q", got, tt.want)
			}
		})
	}
}

func publicOf(k ed25519.PrivateKey) record.PublicKey {
	var list record.KeyList
	pub := k.Public().(ed25519.PublicKey)
	b, _ := json.Marshal(map[string]any{"keys": []map[string]any{{"id": record.KeyID(pub), "algorithm": "Ed25519", "public_key": pub}}})
	json.Unmarshal(b, &list)
	return list.Keys[0]
}

func TestInclusionProof(t *testing.T) {
	h := newHarness(t)
	svc := service(h)
	ids := seedPublished(t, h, webtest.LetterSlug, "Ada Lovelace", "Grace Hopper", "Hedy Lamarr")
	seedPublished(t, h, otherSlug, "Emmy Noether")
	pack, d := makePack(t, h, svc, webtest.LetterSlug)
	otherPack, _ := makePack(t, h, svc, otherSlug)
	ctx := context.Background()
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	if _, err := svc.Proof(ctx, ids[1], d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a proof before the delivery is recorded: %v, want ErrNotFound", err)
	}
	err := svc.Record(ctx, record.Delivered{Letter: letter, DeliveryID: d.ID, Recipients: "The G7 leaders",
		On: h.Clock.Now().Add(-time.Hour), By: store.CommandLineActor("test")})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	for _, id := range []uint64{ids[1], ids[len(ids)-1]} { // a named individual, and one not named
		proof, err := svc.Proof(ctx, id, d.ID)
		if err != nil {
			t.Fatalf("Proof of %d: %v", id, err)
		}
		raw, _ := json.Marshal(proof)
		if r := verify(pack, record.Expect{Proof: raw}); !r.OK() {
			t.Errorf("the proof of signature %d failed against its pack: %v", id, r.Problems)
		}
		r := verify(otherPack, record.Expect{Proof: raw})
		if r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), "the proof is for the root") {
			t.Errorf("the proof of signature %d against another letter's pack: %v, want a root mismatch", id, r.Problems)
		}
	}
	proof, _ := svc.Proof(ctx, ids[1], d.ID)
	if raw, _ := json.Marshal(proof); strings.Contains(string(raw), "Grace") || strings.Contains(string(raw), "Hedy") {
		t.Errorf("Ada's proof names other signers: %s", raw)
	}
	proof.Leaf.Name = "Someone Else"
	raw, _ := json.Marshal(proof)
	if r := verify(pack, record.Expect{Proof: raw}); r.OK() {
		t.Error("a proof with a changed name verified")
	}
}

func TestCampaignKeyFile(t *testing.T) {
	h := newHarness(t)
	file := filepath.Join(h.App.Config.DataDir, "campaign.key")
	info, err := os.Stat(file)
	if err != nil {
		t.Fatalf("no key file made on first use: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	again, err := record.LoadKey(context.Background(), h.App.Store, "", file, nil, h.Clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := record.Keys(context.Background(), h.App.Store)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.Keys) != 1 || keys.Keys[0].ID != again.ID || !keys.Keys[0].Created.Equal(h.Clock.Now()) {
		t.Errorf("keys %+v, want the one key %s created at start", keys.Keys, again.ID)
	}
	configured, err := record.LoadKey(context.Background(), h.App.Store, strings.Repeat("cd", 32), file, nil, h.Clock.Now())
	if err != nil || configured.ID == again.ID {
		t.Errorf("a configured key %v (%v) did not win over the file's %s", configured, err, again.ID)
	}
}
