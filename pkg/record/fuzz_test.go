package record

import (
	"archive/zip"
	"bytes"
	"testing"
)

// FuzzManifest proves that whatever manifest.json a pack carries, reading
// and verifying it never panics, and that a manifest without a valid
// signature is never accepted.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(`{"format":"undersigned-pack/1","key":{"id":"x","algorithm":"Ed25519","public_key":"AAAA"}}`))
	f.Add([]byte(`{"format":"undersigned-pack/1","delivery_id":1,"letter":{"slug":"l","title":"T","url":"u"},` +
		`"created_at":"2026-11-26T12:00:00Z","key":{"id":"8a88e3dd7409f195","algorithm":"Ed25519",` +
		`"public_key":"O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="},"files":[{"name":"signatures.json",` +
		`"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0}],"texts":[],` +
		`"counts":{"signatures":0,"organisations":0,"individuals":0,"named_individuals":0},"merkle":{"hash":"RFC6962-SHA256",` +
		`"leaf_file":"signatures.json","leaves":0,"root":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}`))
	f.Add([]byte(`{"format":"undersigned-pack/1",`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, manifest []byte) {
		if m, err := ParseManifest(manifest); err == nil && m.Format != PackFormat {
			t.Fatalf("accepted the format %q", m.Format)
		}
		var pack bytes.Buffer
		z := zip.NewWriter(&pack)
		for name, content := range map[string][]byte{ManifestFile: manifest, SignatureFile: make([]byte, 64), SignaturesFile: []byte("[]")} {
			w, _ := z.Create(name)
			w.Write(content)
		}
		z.Close()
		if r := Verify(bytes.NewReader(pack.Bytes()), int64(pack.Len()), Expect{Proof: manifest}); r.OK() {
			t.Fatal("a pack with a zero signature verified")
		}
	})
}
