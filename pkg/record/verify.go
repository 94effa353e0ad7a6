package record

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// maxPackFile is the most a pack's file may hold once unzipped; a larger one
// is refused rather than read.
const maxPackFile = 1 << 30

// Expect is what a pack is checked against besides itself.
type Expect struct {
	// Keys are the keys the campaign is known to sign with (from --key or
	// a saved /.well-known/undersigned-keys.json); empty trusts the key
	// the pack names.
	Keys []PublicKey
	// Proof is an inclusion proof to check against the pack, if any.
	Proof []byte
}

// Report is what Verify found: the manifest, when it could be read, and
// every difference, empty when the pack is intact.
type Report struct {
	Manifest *Manifest
	Problems []string
}

// OK reports whether the pack (and the proof, if any) verified.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Verify checks a pack read from pack (size bytes): the manifest's
// signature by the key it names (and that the key is expected), every
// file's SHA-256 and size, that no file is missing or unlisted, the
// Merkle root and the counts recomputed from signatures.json, and the
// proof, if any. It never panics on a damaged pack: it reports why.
func Verify(pack io.ReaderAt, size int64, expect Expect) Report {
	var r Report
	files, err := unzip(pack, size)
	if err != nil {
		r.problem("%v", err)
		return r
	}
	raw, ok := files[ManifestFile]
	if !ok {
		r.problem("%s is missing: this is not a delivery pack", ManifestFile)
		return r
	}
	m, err := ParseManifest(raw)
	if err != nil {
		r.problem("%v", err)
		return r
	}
	r.Manifest = m
	r.checkSignature(m, raw, files[SignatureFile])
	r.checkKey(m.Key, expect.Keys)
	r.checkFiles(m, files)
	r.checkTree(m, files[SignaturesFile])
	if expect.Proof != nil {
		r.checkProof(m, expect.Proof)
	}
	return r
}

// unzip reads every file of the pack.
func unzip(pack io.ReaderAt, size int64) (map[string][]byte, error) {
	z, err := zip.NewReader(pack, size)
	if err != nil {
		return nil, fmt.Errorf("not a zip file: %w", err)
	}
	files := map[string][]byte{}
	for _, f := range z.File {
		if _, dup := files[f.Name]; dup {
			return nil, fmt.Errorf("the pack holds %s twice", f.Name)
		}
		b, err := readZipped(f)
		if err != nil {
			return nil, err
		}
		files[f.Name] = b
	}
	return files, nil
}

// readZipped reads one file of the pack, up to maxPackFile.
func readZipped(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("cannot open %s in the pack: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxPackFile+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s in the pack: %w", f.Name, err)
	}
	if len(b) > maxPackFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", f.Name, maxPackFile)
	}
	return b, nil
}

// checkSignature checks manifest.sig against manifest.json's bytes.
func (r *Report) checkSignature(m *Manifest, manifest, sig []byte) {
	public, _ := m.Key.Raw() // ParseManifest checked it
	switch {
	case sig == nil:
		r.problem("%s is missing: the manifest is not signed", SignatureFile)
	case len(sig) != ed25519.SignatureSize:
		r.problem("%s is %d bytes, not an Ed25519 signature of %d", SignatureFile, len(sig), ed25519.SignatureSize)
	case !ed25519.Verify(public, manifest, sig):
		r.problem("the signature in %s does not match %s and the key it names (%s): one of them was changed", SignatureFile, ManifestFile, m.Key.ID)
	}
}

// checkKey checks that the pack's key is one of those expected.
func (r *Report) checkKey(key PublicKey, expected []PublicKey) {
	if len(expected) == 0 {
		return
	}
	ids := make([]string, len(expected))
	for i, k := range expected {
		if k.ID == key.ID && k.Public == key.Public {
			return
		}
		ids[i] = k.ID
	}
	r.problem("the pack is signed with key %s, not with the expected key %v", key.ID, ids)
}

// checkFiles checks each listed file's hash and size, and that the pack
// holds no file the manifest does not list.
func (r *Report) checkFiles(m *Manifest, files map[string][]byte) {
	for _, f := range m.Files {
		content, ok := files[f.Name]
		if !ok {
			r.problem("%s is listed in the manifest but missing from the pack", f.Name)
			continue
		}
		sum := sha256.Sum256(content)
		if got := hex.EncodeToString(sum[:]); got != f.SHA256 {
			r.problem("%s has SHA-256 %s, the manifest says %s", f.Name, got, f.SHA256)
		}
		if int64(len(content)) != f.Size {
			r.problem("%s is %d bytes, the manifest says %d", f.Name, len(content), f.Size)
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, listed := m.file(name); !listed && name != ManifestFile && name != SignatureFile {
			r.problem("%s is in the pack but not in the manifest", name)
		}
	}
	for _, t := range m.Texts {
		if _, listed := m.file(t.File); !listed {
			r.problem("the text %s (%s) names %s, which the manifest does not list", t.Lang, t.Version, t.File)
		}
	}
}

// checkTree recomputes the Merkle root and the counts from signatures.json.
func (r *Report) checkTree(m *Manifest, list []byte) {
	if m.Merkle.LeafFile != SignaturesFile {
		r.problem("the Merkle tree's leaves are in %q, not %s", m.Merkle.LeafFile, SignaturesFile)
		return
	}
	entries, err := parseEntries(list)
	if err != nil {
		r.problem("%s: %v", SignaturesFile, err)
		return
	}
	hashes := make([][]byte, len(entries))
	var counts Counts
	for i, e := range entries {
		hashes[i] = e.LeafHash()
		counts.addEntry(e)
	}
	if got := hex.EncodeToString(TreeRoot(hashes)); got != m.Merkle.Root {
		r.problem("the Merkle root of %s is %s, the manifest says %s", SignaturesFile, got, m.Merkle.Root)
	}
	if int64(len(entries)) != m.Merkle.Leaves {
		r.problem("%s holds %d signatures, the manifest says %d", SignaturesFile, len(entries), m.Merkle.Leaves)
	}
	if counts != m.Counts {
		r.problem("%s counts %+v, the manifest says %+v", SignaturesFile, counts, m.Counts)
	}
}

// parseEntries reads signatures.json.
func parseEntries(b []byte) ([]Entry, error) {
	if b == nil {
		return nil, errors.New("missing")
	}
	var entries []Entry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("not a JSON list of signatures: %w", err)
	}
	return entries, nil
}

// addEntry counts one entry of signatures.json: an individual is named when
// the entry has a name.
func (c *Counts) addEntry(e Entry) {
	c.Signatures++
	if e.Kind == "organisation" {
		c.Organisations++
		return
	}
	c.Individuals++
	if e.Name != "" {
		c.NamedIndividuals++
	}
}
