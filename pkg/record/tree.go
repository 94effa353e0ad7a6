package record

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// Entry is one published signature in a pack's signatures.json, in the
// order of the Merkle tree's leaves. An individual who chose not to be named
// has an empty name, affiliation and website.
type Entry struct {
	Salt             string `json:"salt"` // 32 hex digits
	Kind             string `json:"kind"`
	Name             string `json:"name"`
	Affiliation      string `json:"affiliation"`
	Website          string `json:"website"`
	OrganisationType string `json:"organisation_type"`
	Country          string `json:"country"`
	PublishedOn      string `json:"published_on"` // YYYY-MM-DD
}

// leafPrefix starts every leaf, naming its format.
const leafPrefix = "undersigned-leaf/1"

// Leaf is the entry's bytes as the Merkle tree hashes them: the line
// "undersigned-leaf/1", then salt, kind, name, affiliation, website,
// organisation_type, country and published_on, each on a line of its own,
// every line ended by "\n". No field can hold a line break (signing refuses
// control characters).
func (e Entry) Leaf() []byte {
	var b strings.Builder
	for _, field := range []string{leafPrefix, e.Salt, e.Kind, e.Name, e.Affiliation, e.Website, e.OrganisationType, e.Country, e.PublishedOn} {
		b.WriteString(field)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// LeafHash is the entry's leaf hash: SHA-256 of a zero byte then Leaf
// (RFC 6962's leaf hash; a node hashes a one byte then its two children).
func (e Entry) LeafHash() []byte { return rfc6962.DefaultHasher.HashLeaf(e.Leaf()) }

// TreeRoot is the RFC 6962 Merkle tree hash over the leaf hashes, in order;
// the SHA-256 of nothing for no leaves.
func TreeRoot(leafHashes [][]byte) []byte {
	if len(leafHashes) == 0 {
		return rfc6962.DefaultHasher.EmptyRoot()
	}
	r := rangeOf(0, leafHashes)
	root, err := r.GetRootHash(nil)
	if err != nil { // unreachable: the range starts at 0
		panic(err)
	}
	return root
}

// rangeOf is the compact range over leafHashes, which start at begin.
func rangeOf(begin uint64, leafHashes [][]byte) *compact.Range {
	factory := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := factory.NewEmptyRange(begin)
	for _, h := range leafHashes {
		if err := r.Append(h, nil); err != nil { // unreachable: appends in order
			panic(err)
		}
	}
	return r
}

// AuditPath is the inclusion proof of the leaf at index among leafHashes:
// the hashes of the sibling subtrees from the leaf up, as RFC 6962's PATH.
func AuditPath(index uint64, leafHashes [][]byte) ([][]byte, error) {
	size := uint64(len(leafHashes))
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("record: audit path: %w", err)
	}
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		// Every node the proof names roots a perfect subtree.
		begin, end := id.Coverage()
		hashes[i] = rangeOf(begin, leafHashes[begin:end]).Hashes()[0]
	}
	return nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
}

// VerifyPath checks that leafHash sits at index in a tree of size leaves
// with the given root, by its audit path.
func VerifyPath(index, size uint64, leafHash []byte, path [][]byte, root []byte) error {
	return proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leafHash, path, root)
}

// hexes encodes hashes in hex.
func hexes(hashes [][]byte) []string {
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = hex.EncodeToString(h)
	}
	return out
}
