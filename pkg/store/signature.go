package store

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Status is where a signature stands in its lifecycle (see docs/architecture.md).
type Status string

// The states of a signature.
const (
	StatusUnconfirmed   Status = "unconfirmed"
	StatusPendingReview Status = "pending_review"
	StatusPublished     Status = "published"
	StatusRejected      Status = "rejected"
	StatusHidden        Status = "hidden"
	StatusWithdrawn     Status = "withdrawn"
	// StatusDeleted is no row's state: it names where a move that deletes
	// the row leads (an unconfirmed signature withdrawn or invalidated), in
	// the lifecycle's table and in refusals.
	StatusDeleted Status = "deleted"
)

// ConfirmedStatuses are the states a signature can be in once its email was confirmed.
func ConfirmedStatuses() []Status {
	return []Status{StatusPendingReview, StatusPublished, StatusRejected, StatusHidden, StatusWithdrawn}
}

// StandingStatuses are the states of a confirmed signature that still
// stands: on the letter, awaiting review, or hidden by staff. Its signer is
// told when the letter's text changes materially.
func StandingStatuses() []Status {
	return []Status{StatusPendingReview, StatusPublished, StatusHidden}
}

// Kind is who signs: an organisation or an individual.
type Kind string

// The kinds of signer.
const (
	KindOrganisation Kind = "organisation"
	KindIndividual   Kind = "individual"
)

// Kinds lists every kind of signer, organisations first as the public list shows them.
func Kinds() []Kind { return []Kind{KindOrganisation, KindIndividual} }

// Signature is a row of the signatures table. Personal data is sealed by the
// vault; EmailHash is a keyed hash used to find a signer again without
// storing the address in the clear.
type Signature struct {
	ID          uint64 `gorm:"primaryKey"`
	LetterID    uint   `gorm:"not null;uniqueIndex:idx_signatures_letter_email,priority:1;index:idx_signatures_wall,priority:1,where:status = 'published'"`
	Letter      Letter `gorm:"constraint:OnDelete:CASCADE"`
	Kind        Kind   `gorm:"size:20;not null;index:idx_signatures_wall,priority:4"`
	Name        string `gorm:"size:200;not null"`
	Affiliation string `gorm:"size:200;not null;default:''"`
	Website     string `gorm:"size:300;not null;default:''"`
	OrgType     string `gorm:"size:40;not null;default:''"`
	Country     string `gorm:"size:2;not null;index:idx_signatures_wall,priority:3"`
	// SearchText is name, affiliation and website folded to lower case, for
	// searches that must match "Émile" when asked for "émile" (SQLite's LOWER
	// folds ASCII only). SetDerived keeps it in step.
	SearchText string `gorm:"size:800;not null;default:''"`
	// SortKey is the name's collation key (Unicode's default order), so the
	// database sorts "Émile" with the Es, as people do, not after "Z".
	SortKey       []byte `gorm:"index:idx_signatures_wall,priority:5"`
	ShowName      bool   `gorm:"not null"`
	ContactSealed []byte // organisations: the contact person's name
	EmailSealed   []byte // nil once withdrawn
	EmailHash     string `gorm:"size:64;not null;uniqueIndex:idx_signatures_letter_email,priority:2"`
	// Status is in two indexes. The public list's (idx_signatures_wall)
	// holds published rows only, so a new signature, unconfirmed, adds
	// nothing to it: in an index of every row it went to a random place, a
	// page written with each signature. On PostgreSQL that index has no
	// status column (postgresWallIndex). The moderation queue's
	// (idx_signatures_queue), by status and time of confirmation, takes
	// every new row at one end.
	Status Status `gorm:"size:20;not null;index:idx_signatures_wall,priority:2;index:idx_signatures_queue,priority:1"`
	// TokenHash is the hash of the confirmation link's secret. Links carry
	// the row's id (see vault.Link), so it is compared, never searched, and
	// needs no index.
	TokenHash string `gorm:"size:64;not null"`
	// TokenSealed is the confirmation link's secret, sealed, while it can
	// still be used: every mail until confirmation repeats the same link. It
	// is erased at confirmation.
	TokenSealed []byte
	// ManageHash and ManageSealed are the signer's manage link, in every mail,
	// to correct the public details or withdraw, kept as TokenHash and
	// TokenSealed are. Erased at withdrawal.
	ManageHash     string `gorm:"size:64;not null;default:''"`
	ManageSealed   []byte
	TokenExpiresAt time.Time
	ConfirmedAt    *time.Time `gorm:"index:idx_signatures_queue,priority:2"`
	// PublishedAt is indexed, published rows only, for the names other
	// servers published since a rebuild (PublishedSince). Without the
	// letter: an index led by it would compete with idx_signatures_wall.
	PublishedAt    *time.Time `gorm:"index:idx_signatures_published_at,where:status = 'published'"`
	ReviewedAt     *time.Time
	ReasonCode     string `gorm:"size:40;not null;default:''"`
	ReasonNote     string `gorm:"size:1000;not null;default:''"`
	Locale         string `gorm:"size:16;not null"`
	LetterVersion  string `gorm:"size:64;not null"`
	ConsentVersion string `gorm:"size:40;not null"`
	Ref            string `gorm:"size:64;not null;default:''"`
	// NetworkHash is the keyed hash of the /24 (IPv4) or /48 (IPv6) the
	// signature came from, never the address; erased after
	// abuse.network_retention.
	NetworkHash   string `gorm:"size:64;not null;default:'';index"`
	NetworkSeenAt *time.Time
	// EmailDomainHash is the keyed hash of the email's domain, so staff can
	// find and invalidate every signature from one domain without the
	// addresses being readable.
	EmailDomainHash string `gorm:"size:64;not null;default:'';index"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// NameKey, SiteDomain and ContactKey are what a duplicate check looks
	// other signatures of the letter up by (DuplicatesOf): the name's folded
	// confusable skeleton (NameKey), the website's registrable domain, and
	// the keyed hash of the contact's mailbox (ContactMailbox). Each has an
	// index of confirmed rows only, so a new, unconfirmed signature writes
	// none of them.
	NameKey    string `gorm:"size:800;not null;default:'';index:idx_signatures_name_key,where:status <> 'unconfirmed' AND name_key <> ''"`
	SiteDomain string `gorm:"size:253;not null;default:'';index:idx_signatures_site_domain,where:status <> 'unconfirmed' AND site_domain <> ''"`
	ContactKey string `gorm:"size:64;not null;default:'';index:idx_signatures_contact_key,where:status <> 'unconfirmed' AND contact_key <> ''"`
	// Flags are the reasons for a reviewer to look twice (Flag), a bit set
	// the queue filters by.
	Flags Flag `gorm:"not null;default:0"`
	// Source is where the signature came from: SourceForm, the sign form,
	// or SourceImport, a file an admin imported (ImportID names the import).
	Source   Source  `gorm:"size:10;not null;default:'form'"`
	ImportID *uint64 `gorm:"index"`
	// UTMSource, UTMMedium and UTMCampaign are the campaign tags of the
	// link that brought the signer (utm_source, utm_medium, utm_campaign),
	// kept as Ref is; erased with the personal data.
	UTMSource   string `gorm:"column:utm_source;size:64;not null;default:''"`
	UTMMedium   string `gorm:"column:utm_medium;size:64;not null;default:''"`
	UTMCampaign string `gorm:"column:utm_campaign;size:64;not null;default:''"`
	// KeepInformed is the signer's choice, on the sign form, to hear from
	// the campaign about this letter (updates), KeepInformedVersion the
	// version of the text they agreed to (signing.updates_consent_version)
	// and KeepInformedAt when. UnsubscribedAt is when they withdrew it
	// through the link in an update; no update reaches them after.
	KeepInformed        bool   `gorm:"not null;default:false"`
	KeepInformedVersion string `gorm:"size:40;not null;default:''"`
	KeepInformedAt      *time.Time
	UnsubscribedAt      *time.Time
	// PartnerContactID is the partner (of the letter, whose code is Ref)
	// the signer allowed, on the sign form, to contact them;
	// PartnerContactVersion the version of that text they agreed to
	// (signing.partner_consent_version) and PartnerContactAt when. Nil when
	// they did not, or came through no partner's link.
	PartnerContactID      *uint64 `gorm:"index:idx_signatures_partner_contact,where:partner_contact_id IS NOT NULL"`
	PartnerContactVersion string  `gorm:"size:40;not null;default:''"`
	PartnerContactAt      *time.Time
}

// Source is where a signature came from.
type Source string

// The sources of a signature.
const (
	SourceForm   Source = "form"   // the sign form
	SourceImport Source = "import" // an admin's import of signatures gathered elsewhere
)

// orForm is the source, SourceForm when none is set: the column's default,
// for the inserts written by hand.
func (s Source) orForm() Source {
	if s == "" {
		return SourceForm
	}
	return s
}

// Named reports whether the public list names this signature: every
// organisation, and the individuals who chose to be shown.
func (s *Signature) Named() bool { return s.Kind == KindOrganisation || s.ShowName }

// SetDerived recomputes SearchText, SortKey, the duplicate check's name and
// site keys and the confusable flag from the public fields; call it
// whenever they change.
func (s *Signature) SetDerived(keys *SortKeys) {
	s.SearchText = FoldForSearch(s.Name + " " + s.Affiliation + " " + s.Website)
	s.SortKey = keys.Of(s.Name)
	s.setKeys()
}

// SortKeys makes names' collation keys, in Unicode's default order with case
// and accents a secondary difference. A collator serves one call at a time
// and takes 8 KiB to make, with its buffer: every signature needs a key, so
// SortKeys keeps those it made for the next calls.
type SortKeys struct{ collators sync.Pool }

// sortKeyCollator is a collator with the buffer it writes keys into.
type sortKeyCollator struct {
	collator *collate.Collator
	buf      collate.Buffer
}

// NewSortKeys returns a SortKeys with no collator made yet.
func NewSortKeys() *SortKeys {
	k := &SortKeys{}
	k.collators.New = func() any {
		return &sortKeyCollator{collator: collate.New(language.Und, collate.IgnoreCase)}
	}
	return k
}

// Of is the collation key of name.
func (k *SortKeys) Of(name string) []byte {
	c := k.collators.Get().(*sortKeyCollator)
	defer k.collators.Put(c)
	c.buf.Reset() // the buffer appends each key after the last
	return append([]byte(nil), c.collator.KeyFromString(&c.buf, name)...)
}

// FoldForSearch is how both stored text and queries are folded before a
// search compares them.
func FoldForSearch(s string) string {
	return strings.ToLower(norm.NFC.String(s))
}

// FindSignature loads the signature matched by the given condition, or ErrNotFound.
func FindSignature(tx *gorm.DB, query string, args ...any) (*Signature, error) {
	return findOne[Signature](tx, "signature", query, args...)
}

// SignatureByID loads the signature with id, or ErrNotFound.
func SignatureByID(tx *gorm.DB, id uint64) (*Signature, error) {
	return findOne[Signature](tx, "signature", "id = ?", id)
}

// SignatureBySigner loads the letter's signature by the keyed hash of the
// address that signed it, or ErrNotFound.
func SignatureBySigner(tx *gorm.DB, letterID uint, emailHash string) (*Signature, error) {
	return findOne[Signature](tx, "signature", "letter_id = ? AND email_hash = ?", letterID, emailHash)
}

// SignaturesByID loads the signatures with ids, in one query, keyed by id;
// an id with no signature is absent from the map.
func SignaturesByID(tx *gorm.DB, ids []uint64) (map[uint64]*Signature, error) {
	return rowsByID(tx, "signatures", ids, func(s *Signature) uint64 { return s.ID })
}

// rowsByID loads the rows of T with ids, in one query, by their id.
func rowsByID[T any](tx *gorm.DB, what string, ids []uint64, id func(*T) uint64) (map[uint64]*T, error) {
	var rows []*T
	if err := tx.Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: load %d %s: %w", len(ids), what, err)
	}
	byID := make(map[uint64]*T, len(rows))
	for _, r := range rows {
		byID[id(r)] = r
	}
	return byID, nil
}

// InsertNewSignature inserts sig, with a mail of kind queued for it at now,
// unless its address has already signed its letter, and reports whether it
// did. A conflict is skipped, not raised, so the transaction stays usable on
// PostgreSQL too.
func InsertNewSignature(tx *gorm.DB, sig *Signature, kind MailKind, now time.Time) (bool, error) {
	sig.CreatedAt, sig.UpdatedAt = now, now // the signing clock's, as insertSignatures gives a batch's
	res := tx.Clauses(skipSignedAgain()).Create(sig)
	if res.Error != nil {
		return false, fmt.Errorf("store: insert signature: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return false, nil
	}
	return true, EnqueueMail(tx, kind, sig.ID, now)
}

// skipSignedAgain makes an INSERT of signatures leave out, without an error,
// each whose address has already signed its letter.
func skipSignedAgain() clause.OnConflict {
	var columns []clause.Column
	for _, name := range signerKey() {
		columns = append(columns, clause.Column{Name: name})
	}
	return clause.OnConflict{Columns: columns, DoNothing: true}
}

// signerKey is the unique index that one address signs a letter once by
// (idx_signatures_letter_email), as the conflict target of an INSERT.
func signerKey() []string { return []string{"letter_id", "email_hash"} }

// UpdateSignatureFrom sets fields on the signature with id only while it is still
// in state from, so two requests racing on one signature cannot both move it.
// It reports whether the row was changed.
func UpdateSignatureFrom(tx *gorm.DB, id uint64, from Status, fields map[string]any) (bool, error) {
	res := tx.Model(&Signature{}).Where("id = ? AND status = ?", id, from).Updates(fields)
	if res.Error != nil {
		return false, fmt.Errorf("store: update signature %d from %s: %w", id, from, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// DeleteUnconfirmedExpiredBefore deletes the unconfirmed signatures whose
// link expired before cutoff (their queued mail goes with them) and returns
// how many: the lifecycle's unconfirmed → deleted.
func DeleteUnconfirmedExpiredBefore(tx *gorm.DB, cutoff time.Time) (int64, error) {
	res := tx.Where("status = ? AND token_expires_at < ?", StatusUnconfirmed, cutoff).Delete(&Signature{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete unconfirmed signatures expired before %s: %w", cutoff, res.Error)
	}
	return res.RowsAffected, nil
}

// UnconfirmedAfter lists, by id, up to limit unconfirmed signatures of a
// letter after id, with what their confirmation links are made from: a
// load test's confirmations. It walks the signatures by id from after: the
// unary plus and the concatenation keep the planner off the letter's and
// the status's indexes, which would read and sort every signature of the
// letter, and the newest signatures are the ones a load test confirms.
func UnconfirmedAfter(tx *gorm.DB, letterID uint, after uint64, limit int) ([]Signature, error) {
	var sigs []Signature
	err := tx.Select("id", "token_sealed").Where("+letter_id = ? AND status || '' = ? AND id > ?", letterID, StatusUnconfirmed, after).
		Order("id").Limit(limit).Find(&sigs).Error
	if err != nil {
		return nil, fmt.Errorf("store: unconfirmed signatures of letter %d after %d: %w", letterID, after, err)
	}
	return sigs, nil
}

// ForgetNetworksSeenBefore erases the network hash of signatures that came
// before t.
func ForgetNetworksSeenBefore(tx *gorm.DB, t time.Time) error {
	err := tx.Model(&Signature{}).Where("network_seen_at < ?", t).
		Updates(map[string]any{"network_hash": "", "network_seen_at": nil}).Error
	if err != nil {
		return fmt.Errorf("store: forget networks seen before %s: %w", t, err)
	}
	return nil
}

// kindOrder sorts organisations before individuals.
const kindOrder = "CASE kind WHEN 'organisation' THEN 0 ELSE 1 END"

// Change tells the public view that signatures of a letter were published,
// unpublished or corrected, after the transaction that did so committed.
type Change struct {
	LetterID uint
	// Countries whose published names or counts changed.
	Countries []string
	// Published lists signatures that became public (or were corrected
	// while public), for the live feed.
	Published []uint64
	// Unpublished lists signatures that stopped being public as they were
	// (hidden, rejected, withdrawn, corrected): the live feed must never
	// send them again, and the public view must not wait to drop them.
	Unpublished []uint64
}

// PublicSignatory is what the public list shows of a published signature.
type PublicSignatory struct {
	ID          uint64
	Kind        Kind
	Name        string
	Affiliation string
	Website     string
	OrgType     string
	Country     string
	PublishedAt *time.Time
	// Statement is the signer's statement ("why we sign") once a reviewer
	// approved it; "" otherwise.
	Statement string
}

// published is the public list's condition. idx_signatures_wall holds
// published rows only, and a database uses such a partial index only for a
// query that implies its condition; written into the text rather than
// bound, it does so in every plan, PostgreSQL's generic plans included.
const published = "status = '" + string(StatusPublished) + "'"

// publicSignatories is the query for a letter's published, named
// signatures, in the columns the public list shows.
func publicSignatories(tx *gorm.DB, letterID uint) *gorm.DB {
	return tx.Model(&Signature{}).
		Select("id, kind, name, affiliation, website, org_type, country, published_at, "+
			"COALESCE(signature_media.statement, '') AS statement").
		Joins("LEFT JOIN signature_media ON signature_media.signature_id = signatures.id AND "+
			"signature_media.statement_status = '"+string(MediaApproved)+"'").
		Where("letter_id = ? AND "+published+" AND (kind = ? OR show_name = ?)", letterID, KindOrganisation, true)
}

// SignatoryFilter narrows the public list.
type SignatoryFilter struct {
	Country string
	Kind    Kind
	Query   string
	Limit   int
	Offset  int
}

// PublishedSignatories lists the named, published signatures of a letter in the
// order the public list shows them: organisations first, then by name.
func PublishedSignatories(tx *gorm.DB, letterID uint, f SignatoryFilter) ([]PublicSignatory, error) {
	var out []PublicSignatory
	if err := signatoriesQuery(tx, letterID, f).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list signatories of letter %d: %w", letterID, err)
	}
	return out, nil
}

// signatoriesQuery is PublishedSignatories' query.
func signatoriesQuery(tx *gorm.DB, letterID uint, f SignatoryFilter) *gorm.DB {
	q := publicSignatories(tx, letterID)
	if f.Country != "" {
		q = q.Where("country = ?", f.Country)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	q = whereSearch(q, f.Query)
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	order := kindOrder + ", sort_key, id"
	if f.Kind != "" {
		order = "sort_key, id" // lets the index deliver the rows in order
	}
	return q.Order(order)
}

// whereSearch narrows q to the rows whose search text contains query, folded;
// an empty query matches all.
func whereSearch(q *gorm.DB, query string) *gorm.DB {
	if query == "" {
		return q
	}
	return q.Where("search_text LIKE ? ESCAPE '\\'", "%"+EscapeLike(FoldForSearch(query))+"%")
}

// EscapeLike escapes the LIKE wildcards in s with a backslash, for ESCAPE.
func EscapeLike(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(out)
}

// PublishedByID returns those of the given signatures that are published and
// named, as the public list shows them.
func PublishedByID(tx *gorm.DB, letterID uint, ids []uint64) ([]PublicSignatory, error) {
	var out []PublicSignatory
	err := publicSignatories(tx, letterID).Where("id IN ?", ids).Order("id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: signatories %v of letter %d: %w", ids, letterID, err)
	}
	return out, nil
}

// EachPublished calls fn with the letter's published, named signatories in
// batches of size, in the order they were created, until fn fails or all are
// seen. It walks the id index, so a million rows cost no more per batch than
// the first.
func EachPublished(tx *gorm.DB, letterID uint, size int, fn func([]PublicSignatory) error) error {
	var last uint64
	for {
		var batch []PublicSignatory
		err := publicSignatories(tx, letterID).Where("id > ?", last).Order("id").Limit(size).Scan(&batch).Error
		if err != nil {
			return fmt.Errorf("store: published signatories of letter %d after %d: %w", letterID, last, err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := fn(batch); err != nil {
			return err
		}
		last = batch[len(batch)-1].ID
	}
}

// StatusCount is how many signatures are in one state, of one kind.
type StatusCount struct {
	Status Status
	Kind   Kind
	Count  int64
}

// SignatureCounts counts the signatures of every letter by status and kind,
// for monitoring (not for pages: those read country_counts).
func SignatureCounts(tx *gorm.DB) ([]StatusCount, error) {
	var out []StatusCount
	err := tx.Model(&Signature{}).Select("status, kind, COUNT(*) AS count").Group("status, kind").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: signature counts: %w", err)
	}
	return out, nil
}

// EachPublishedOfCountry calls fn with the published, named signatures of
// one kind from one country of a letter, in the public list's order (by
// sort_key, then id), size at a time, until fn fails or all are seen. Each
// batch starts after the last row of the one before (keyed, no OFFSET), so
// the thousandth batch costs what the first did, on idx_signatures_list.
func EachPublishedOfCountry(tx *gorm.DB, letterID uint, country string, kind Kind, size int, fn func([]PublicSignatory) error) error {
	var last *keyedSignatory
	for {
		q := publicSignatories(tx, letterID).Select("id, kind, name, affiliation, website, org_type, country, published_at, sort_key").
			Where("country = ? AND kind = ?", country, kind)
		if last != nil {
			q = q.Where("(sort_key > ? OR (sort_key = ? AND id > ?))", last.SortKey, last.SortKey, last.ID)
		}
		var batch []keyedSignatory
		if err := q.Order("sort_key, id").Limit(size).Scan(&batch).Error; err != nil {
			return fmt.Errorf("store: published %s signatories of letter %d in %s: %w", kind, letterID, country, err)
		}
		if len(batch) == 0 {
			return nil
		}
		rows := make([]PublicSignatory, len(batch))
		for i, k := range batch {
			rows[i] = k.PublicSignatory
		}
		if err := fn(rows); err != nil {
			return err
		}
		last = &batch[len(batch)-1]
	}
}

// keyedSignatory is a public row with the key EachPublishedOfCountry goes on from.
type keyedSignatory struct {
	PublicSignatory
	SortKey []byte
}

// PublishedSince returns the letter's named signatories published at or after t,
// in the order they were published, the first 1,000.
func PublishedSince(tx *gorm.DB, letterID uint, t time.Time) ([]PublicSignatory, error) {
	var out []PublicSignatory
	err := publicSignatories(tx, letterID).Where("published_at >= ?", t).Order("published_at, id").Limit(1000).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: signatories of letter %d published since %s: %w", letterID, t, err)
	}
	return out, nil
}

// LegacyLink is the hash of a link mailed before links carried the
// signature's id, kept so those links go on working. Links since then find
// their row by id, so signing writes nothing here.
type LegacyLink struct {
	Hash        string `gorm:"size:64;primaryKey"`
	SignatureID uint64 `gorm:"not null"`
}

// LinkColumn is which of a signature's link hashes a link is checked
// against: the confirmation link's or the manage link's.
type LinkColumn int

// The link hashes of a signature.
const (
	TokenLink  LinkColumn = iota // token_hash
	ManageLink                   // manage_hash
)

// String is the name of the signatures column that holds c's hash.
func (c LinkColumn) String() string {
	return [...]string{TokenLink: "token_hash", ManageLink: "manage_hash"}[c]
}

// SignatureByLink loads the signature with id whose link of column still
// has hash, or ErrNotFound: a used or replaced link finds nothing.
func SignatureByLink(tx *gorm.DB, id uint64, column LinkColumn, hash string) (*Signature, error) {
	return findOne[Signature](tx, "signature", "id = ? AND "+column.String()+" = ?", id, hash)
}

// FindSignatureByLegacyLink finds the signature whose link of column holds
// hash, a link of the earlier form, or ErrNotFound.
func FindSignatureByLegacyLink(tx *gorm.DB, column LinkColumn, hash string) (*Signature, error) {
	return findOne[Signature](tx, "signature",
		column.String()+" = ? AND id IN (SELECT signature_id FROM legacy_links WHERE hash = ?)", hash, hash)
}

// InvalidationMatch selects a letter's signatures for a bulk invalidation:
// from one email domain and/or one network (by their keyed hashes; empty
// matches any), created in [From, To) (zero: open).
type InvalidationMatch struct {
	LetterID    uint
	DomainHash  string
	NetworkHash string
	From, To    time.Time
}

// invalidatable is the query for the signatures m matches that an
// invalidation can still reject.
func invalidatable(tx *gorm.DB, m InvalidationMatch) *gorm.DB {
	q := tx.Model(&Signature{}).Where("letter_id = ? AND status NOT IN ?", m.LetterID,
		[]Status{StatusRejected, StatusWithdrawn})
	if m.DomainHash != "" {
		q = q.Where("email_domain_hash = ?", m.DomainHash)
	}
	if m.NetworkHash != "" {
		q = q.Where("network_hash = ?", m.NetworkHash)
	}
	if !m.From.IsZero() {
		q = q.Where("created_at >= ?", m.From)
	}
	if !m.To.IsZero() {
		q = q.Where("created_at < ?", m.To)
	}
	return q
}

// CountInvalidatable counts the signatures an invalidation would reject.
func CountInvalidatable(tx *gorm.DB, m InvalidationMatch) (int64, error) {
	var n int64
	if err := invalidatable(tx, m).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count signatures to invalidate on letter %d: %w", m.LetterID, err)
	}
	return n, nil
}

// Invalidatable loads up to limit of the signatures an invalidation would
// reject, with ids above after, in id order.
func Invalidatable(tx *gorm.DB, m InvalidationMatch, after uint64, limit int) ([]Signature, error) {
	var sigs []Signature
	if err := invalidatable(tx, m).Where("id > ?", after).Order("id").Limit(limit).Find(&sigs).Error; err != nil {
		return nil, fmt.Errorf("store: signatures to invalidate on letter %d after %d: %w", m.LetterID, after, err)
	}
	return sigs, nil
}
