package web

import (
	"bytes"
	"compress/gzip"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// pageCache keeps rendered responses of one generation, dropping them all
// when a newer generation comes. Letter pages use the form stamp's second as
// the generation: a page depends only on the letter's snapshot, the reader's
// language, the kind of sign form and the stamp, so a launch-day crowd is
// served one rendering per second and language instead of one per request,
// and nothing stale outlives its second. The JSON totals use the snapshot's
// version.
type pageCache struct {
	mu     sync.Mutex
	second string // the stamp's second the entries belong to
	pages  map[string]cachedBody
}

func newPageCache() *pageCache { return &pageCache{pages: map[string]cachedBody{}} }

// get returns the page for key, made in the same second as stamp.
func (p *pageCache) get(stamp, key string) (cachedBody, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.second != secondOf(stamp) {
		return cachedBody{}, false
	}
	b, ok := p.pages[key]
	return b, ok
}

// put keeps a page, dropping every page of an older second.
func (p *pageCache) put(stamp, key string, page []byte) cachedBody {
	if !p.hasRoom(stamp) { // a flood of distinct referral codes must not fill memory, nor be compressed
		return cachedBody{plain: page}
	}
	body := newCachedBody(page) // outside the lock: compressing takes a while
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.second == secondOf(stamp) && len(p.pages) < maxCachedPages {
		p.pages[key] = body
	}
	return body
}

// hasRoom starts a new generation when stamp's second is newer, and tells
// whether the generation can keep one more page.
func (p *pageCache) hasRoom(stamp string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := secondOf(stamp); s != p.second {
		p.second, p.pages = s, map[string]cachedBody{}
	}
	return len(p.pages) < maxCachedPages
}

// maxCachedPages bounds a generation's entries: with every language, both form
// kinds and a few referral codes a letter needs a few dozen.
const maxCachedPages = 256

func secondOf(stamp string) string {
	s, _, _ := strings.Cut(stamp, ".")
	return s
}

// cachedBody is a kept response, with its gzip encoding made once when the
// body is large enough to gain from it: a letter page of 30 kB goes out as
// about 6 kB, and no request pays for compressing it.
type cachedBody struct{ plain, gzipped []byte }

// gzipFrom is the size from which a kept body is also kept compressed.
const gzipFrom = 1024

func newCachedBody(b []byte) cachedBody {
	body := cachedBody{plain: b}
	if len(b) < gzipFrom {
		return body
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil || zw.Close() != nil {
		return body // send it plain
	}
	body.gzipped = buf.Bytes()
	return body
}

// send writes the body with its length, compressed when the client takes gzip.
func (b cachedBody) send(c echo.Context, status int, contentType string) error {
	h := c.Response().Header()
	data := b.plain
	if b.gzipped != nil {
		h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
		if acceptsGzip(c.Request().Header.Get(echo.HeaderAcceptEncoding)) {
			h.Set(echo.HeaderContentEncoding, "gzip")
			data = b.gzipped
		}
	}
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(data)))
	return c.Blob(status, contentType, data)
}

// acceptsGzip reads an Accept-Encoding header: whether it lists gzip (or *)
// without refusing it by q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if coding = strings.TrimSpace(coding); coding != "gzip" && coding != "*" {
			continue
		}
		weight, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		q, err := strconv.ParseFloat(weight, 64)
		return !found || err != nil || q > 0
	}
	return false
}

// sendHTML writes a page with its length, so that it goes out in one piece
// rather than in chunks.
func sendHTML(c echo.Context, status int, page []byte) error {
	return cachedBody{plain: page}.send(c, status, echo.MIMETextHTMLCharsetUTF8)
}
