// Package record makes a letter's delivery pack, a record of its public list
// that anyone can verify: the files, a Merkle tree over the published
// signatures and a manifest signed with the campaign's Ed25519 key. It also
// checks packs and inclusion proofs, and keeps the deliveries staff record.
// docs/delivery.md describes the formats.
package record

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
)

// PDFMaker makes the letter's printable document in lang; the pack holds
// what it returns as letter.pdf.
type PDFMaker func(ctx context.Context, letter *letters.Letter, lang string) ([]byte, error)

// Deps are what the record service works with.
type Deps struct {
	Store   *store.Store
	Letters *letters.Registry
	Key     *Key
	// PDF makes the pack's letter.pdf; nil leaves it out.
	PDF     PDFMaker
	BaseURL string
	Now     func() time.Time
	Random  io.Reader
}

// Service makes delivery packs and proofs and records deliveries.
type Service struct{ d Deps }

// New returns the record service.
func New(d Deps) *Service { return &Service{d: d} }

// Key is the campaign key that signs the packs.
func (s *Service) Key() PublicKey { return s.d.Key.PublicKey }

// PackRequest is a pack to make: the letter, the language of its PDF and
// who asks (audited).
type PackRequest struct {
	Letter *letters.Letter
	Lang   string
	By     store.Actor
}

// saltSize is the size in bytes of each signature's salt.
const saltSize = 16

// packBatch is how many signatures a pack reads or salts at a time.
const packBatch = 1000

// Pack writes the letter's delivery pack to w as a zip and records it as a
// delivery not yet delivered, with its leaves, so that signers can have
// their inclusion proofs once staff record the delivery.
func (s *Service) Pack(ctx context.Context, r PackRequest, w io.Writer) (*store.Delivery, error) {
	if err := s.saltPublished(ctx, r.Letter.ID); err != nil {
		return nil, err
	}
	p := &packWriter{zip: zip.NewWriter(w), manifest: Manifest{Format: PackFormat, CreatedAt: s.d.Now().UTC().Truncate(time.Second),
		Key: s.d.Key.PublicKey, Letter: ManifestLetter{Slug: r.Letter.Slug, Title: r.Letter.Title(), URL: s.d.BaseURL + "/letters/" + r.Letter.Slug}}}
	p.manifest.Key.Created = nil
	if err := s.addPDF(ctx, p, r); err != nil {
		return nil, err
	}
	if err := s.addTexts(ctx, p, r.Letter); err != nil {
		return nil, err
	}
	list, err := s.readList(ctx, r.Letter.ID)
	if err != nil {
		return nil, err
	}
	if err := list.addTo(p); err != nil {
		return nil, err
	}
	d, err := s.recordPack(ctx, r, list, p.manifest)
	if err != nil {
		return nil, err
	}
	p.manifest.DeliveryID = d.ID
	return d, p.finish(s.d.Key.private)
}

// saltPublished gives every published signature of the letter that has no
// salt a random one.
func (s *Service) saltPublished(ctx context.Context, letterID uint) error {
	var after uint64
	for {
		ids, err := store.PublishedWithoutSalt(s.d.Store.Read(ctx), letterID, after, packBatch)
		if err != nil || len(ids) == 0 {
			return err
		}
		salts := make([]store.SignatureSalt, len(ids))
		for i, id := range ids {
			if salts[i], err = s.newSalt(id); err != nil {
				return err
			}
		}
		if err := s.d.Store.Write(ctx, func(tx *gorm.DB) error { return store.InsertSignatureSalts(tx, salts) }); err != nil {
			return err
		}
		after = ids[len(ids)-1]
	}
}

// newSalt draws a salt for the signature.
func (s *Service) newSalt(signatureID uint64) (store.SignatureSalt, error) {
	salt := make([]byte, saltSize)
	if _, err := io.ReadFull(s.d.Random, salt); err != nil {
		return store.SignatureSalt{}, fmt.Errorf("record: draw a salt: %w", err)
	}
	return store.SignatureSalt{SignatureID: signatureID, Salt: salt}, nil
}

// addPDF adds the letter's document, when the service has a maker.
func (s *Service) addPDF(ctx context.Context, p *packWriter, r PackRequest) error {
	if s.d.PDF == nil {
		return nil
	}
	lang := r.Lang
	if lang == "" {
		lang = r.Letter.Lang
	}
	pdf, err := s.d.PDF(ctx, r.Letter, lang)
	if err != nil {
		return fmt.Errorf("record: the PDF of letter %q: %w", r.Letter.Slug, err)
	}
	return p.add(PDFFile, pdf)
}

// addTexts adds the Markdown of the letter's current text in each language.
func (s *Service) addTexts(ctx context.Context, p *packWriter, letter *letters.Letter) error {
	for _, lang := range letter.Languages() {
		t, err := store.CurrentText(s.d.Store.Read(ctx), letter.ID, lang)
		if err != nil {
			return err
		}
		name := textsFolder + lang + ".md"
		if err := p.add(name, textMarkdown(t)); err != nil {
			return err
		}
		p.manifest.Texts = append(p.manifest.Texts, TextFile{Lang: lang, Version: t.VersionKey(), File: name})
	}
	return nil
}

// textMarkdown is a text's file: its title as a heading, its recipients,
// summary and body, and its version key.
func textMarkdown(t *store.LetterText) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", t.Title)
	if t.Recipients != "" {
		fmt.Fprintf(&b, "To: %s\n\n", t.Recipients)
	}
	if t.Summary != "" {
		fmt.Fprintf(&b, "%s\n\n", t.Summary)
	}
	fmt.Fprintf(&b, "%s\n\n<!-- version %s -->\n", t.Body, t.VersionKey())
	return b.Bytes()
}

// packList is the public list as a pack holds it, read in one snapshot.
type packList struct {
	csv, json    bytes.Buffer
	signatureIDs []uint64
	leafHashes   [][]byte
	newSalts     []store.SignatureSalt // for signatures published while the pack was made
	counts       Counts
}

// readList reads every published signature of the letter, in id order, in
// one read transaction, into the pack's CSV, JSON and leaves.
func (s *Service) readList(ctx context.Context, letterID uint) (*packList, error) {
	list := &packList{}
	sheet := csv.NewWriter(&list.csv)
	if err := sheet.Write(moderation.PublicListHeader()); err != nil {
		return nil, err
	}
	list.json.WriteString("[")
	err := s.d.Store.Read(ctx).Transaction(func(tx *gorm.DB) error {
		return store.EachPublishedRecord(tx, letterID, packBatch, func(batch []store.RecordedSignatory) error {
			for _, sig := range batch {
				if err := s.addSignatory(list, sheet, sig); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	list.json.WriteString("\n]\n")
	sheet.Flush()
	return list, sheet.Error()
}

// addSignatory adds one signature to the list's files and leaves.
func (s *Service) addSignatory(list *packList, sheet *csv.Writer, sig store.RecordedSignatory) error {
	if sig.Salt == nil {
		salt, err := s.newSalt(sig.ID)
		if err != nil {
			return err
		}
		list.newSalts = append(list.newSalts, salt)
		sig.Salt = salt.Salt
	}
	entry := entryOf(sig.PublicSignatory, sig.Salt)
	if sig.Named {
		if err := sheet.Write(moderation.PublicListRow(sig.PublicSignatory)); err != nil {
			return err
		}
	}
	b, err := json.Marshal(entry)
	if err != nil {
		return err
	}
	if len(list.signatureIDs) > 0 {
		list.json.WriteString(",")
	}
	list.json.WriteString("\n")
	list.json.Write(b)
	list.signatureIDs = append(list.signatureIDs, sig.ID)
	list.leafHashes = append(list.leafHashes, entry.LeafHash())
	list.counts.add(sig)
	return nil
}

// add counts one signature.
func (c *Counts) add(sig store.RecordedSignatory) {
	c.Signatures++
	if sig.Kind == store.KindOrganisation {
		c.Organisations++
		return
	}
	c.Individuals++
	if sig.Named {
		c.NamedIndividuals++
	}
}

// entryOf is a signature's entry in signatures.json.
func entryOf(sig store.PublicSignatory, salt []byte) Entry {
	published := ""
	if sig.PublishedAt != nil {
		published = sig.PublishedAt.UTC().Format(time.DateOnly)
	}
	return Entry{Salt: hex.EncodeToString(salt), Kind: string(sig.Kind), Name: sig.Name, Affiliation: sig.Affiliation,
		Website: sig.Website, OrganisationType: sig.OrgType, Country: sig.Country, PublishedOn: published}
}

// addTo adds the list's files to the pack and its tree to the manifest.
func (l *packList) addTo(p *packWriter) error {
	if err := p.add(ListFile, l.csv.Bytes()); err != nil {
		return err
	}
	if err := p.add(SignaturesFile, l.json.Bytes()); err != nil {
		return err
	}
	p.manifest.Counts = l.counts
	p.manifest.Merkle = Tree{Hash: treeHash, LeafFile: SignaturesFile, Leaves: int64(len(l.leafHashes)),
		Root: hex.EncodeToString(TreeRoot(l.leafHashes))}
	return nil
}

// recordPack stores the pack as a delivery with its leaves, the salts drawn
// while reading, and the audit entry, in one transaction.
func (s *Service) recordPack(ctx context.Context, r PackRequest, list *packList, m Manifest) (*store.Delivery, error) {
	d := &store.Delivery{LetterID: r.Letter.ID, KeyID: m.Key.ID, Root: m.Merkle.Root, Signatures: m.Counts.Signatures,
		Organisations: m.Counts.Organisations, Individuals: m.Counts.Individuals, NamedIndividuals: m.Counts.NamedIndividuals,
		PackedAt: m.CreatedAt, PackedBy: r.By.Name}
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		if err := store.InsertSignatureSalts(tx, list.newSalts); err != nil {
			return err
		}
		if err := store.InsertDelivery(tx, d, list.signatureIDs, list.leafHashes); err != nil {
			return err
		}
		return store.AuditLetter(tx, r.By, "delivery.pack", &store.Letter{ID: r.Letter.ID, Slug: r.Letter.Slug},
			fmt.Sprintf("pack %d, %d signatures, root %s", d.ID, d.Signatures, d.Root), s.d.Now())
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// packWriter writes a pack's files and gathers its manifest.
type packWriter struct {
	zip      *zip.Writer
	manifest Manifest
}

// add writes a file to the pack and lists it with its hash in the manifest.
func (p *packWriter) add(name string, content []byte) error {
	if err := p.write(name, content); err != nil {
		return err
	}
	sum := sha256.Sum256(content)
	p.manifest.Files = append(p.manifest.Files, File{Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))})
	return nil
}

// write writes a file to the zip.
func (p *packWriter) write(name string, content []byte) error {
	f, err := p.zip.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: p.manifest.CreatedAt})
	if err != nil {
		return fmt.Errorf("record: add %s to the pack: %w", name, err)
	}
	if _, err := f.Write(content); err != nil {
		return fmt.Errorf("record: write %s to the pack: %w", name, err)
	}
	return nil
}

// finish writes the manifest, its signature by key, and closes the zip.
func (p *packWriter) finish(key ed25519.PrivateKey) error {
	manifest, err := json.MarshalIndent(p.manifest, "", "  ")
	if err != nil {
		return err
	}
	manifest = append(manifest, '\n')
	if err := p.write(ManifestFile, manifest); err != nil {
		return err
	}
	if err := p.write(SignatureFile, ed25519.Sign(key, manifest)); err != nil {
		return err
	}
	return p.zip.Close()
}
