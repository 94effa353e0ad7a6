package main

import (
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// client sends the load's requests. It is fasthttp's client, not net/http's:
// on two cores the load generator shares the CPU with the server it
// measures, and net/http's client, with two goroutines per connection and a
// request and response allocated per call, took about as much CPU as the
// server's reads; fasthttp's reuses both and leaves that CPU to the server.
type client struct{ hc *fasthttp.Client }

// newClient returns a client that opens as many connections as the calls in
// flight need (the load's clients, and the paced signing beside them), and
// reads a whole letter page in one system call.
func newClient() *client {
	return &client{hc: &fasthttp.Client{MaxConnsPerHost: 4096, MaxConnWaitTimeout: 10 * time.Second, ReadBufferSize: 16 << 10}}
}

// get fetches u, asking for gzip as browsers do, and reports whether it
// answered 200.
func (c *client) get(u string) bool {
	return c.status(func(req *fasthttp.Request) {
		req.SetRequestURI(u)
		req.Header.Set(fasthttp.HeaderAcceptEncoding, "gzip")
	}) == fasthttp.StatusOK
}

// sign posts the sign form for an individual with the address email, and
// the fields of extra, and reports whether it was accepted (a redirect to
// "check your inbox").
func (c *client) sign(base, email string, extra url.Values) bool {
	form := url.Values{"kind": {"individual"}, "name": {"Load " + strings.TrimSuffix(email, "@example.org")}, "country": {"DE"},
		"email": {email}, "show_name": {"yes"}, "consent": {"yes"}}
	for k, v := range extra {
		form[k] = v
	}
	return c.status(func(req *fasthttp.Request) {
		req.SetRequestURI(base + "/letters/" + slug + "/sign")
		req.Header.SetMethod(fasthttp.MethodPost)
		req.Header.SetContentType("application/x-www-form-urlencoded")
		req.SetBodyString(form.Encode())
	}) == fasthttp.StatusSeeOther
}

// post posts an empty form to u and returns the answer's status.
func (c *client) post(u string) int {
	return c.status(func(req *fasthttp.Request) {
		req.SetRequestURI(u)
		req.Header.SetMethod(fasthttp.MethodPost)
		req.Header.SetContentType("application/x-www-form-urlencoded")
	})
}

// status sends the request build makes, on pooled request and response
// objects, and returns the answer's status, or 0 when there was none.
func (c *client) status(build func(*fasthttp.Request)) int {
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	build(req)
	if c.hc.Do(req, res) != nil {
		return 0
	}
	return res.StatusCode()
}
