// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) on a
// loopback port for tests, and keeps what it receives, parsed.
package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received mail.
type Message struct {
	From    string
	To      []string
	Subject string
	Text    string // the text/plain part
	HTML    string // the text/html part
	Header  mail.Header
	Raw     []byte
}

// Server is an SMTP server listening on 127.0.0.1.
type Server struct {
	Host string
	Port int

	srv      *smtp.Server
	username string
	password string

	mu          sync.Mutex
	messages    []Message
	connections int
	arrived     chan struct{}   // a wake for WaitFor per message, while it has room
	refuse      int             // refuse this many more DATA commands with a temporary error
	unknown     map[string]bool // recipients refused for good, as a relay does for a mailbox that does not exist
	holdAfter   int             // with hold set, messages after this many wait for hold to close
	hold        chan struct{}
}

// HoldAfter makes every message after the next n wait, before it is taken,
// until the returned function is called: a slow relay, frozen mid-batch.
func (s *Server) HoldAfter(n int) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdAfter, s.hold = len(s.messages)+n, make(chan struct{})
	hold := s.hold
	return sync.OnceFunc(func() { close(hold) })
}

// waitIfHeld blocks while messages are held and the quota before the hold is used up.
func (s *Server) waitIfHeld() {
	s.mu.Lock()
	hold := s.hold
	held := hold != nil && len(s.messages) >= s.holdAfter
	s.mu.Unlock()
	if held {
		<-hold
	}
}

// Options configure a test server.
type Options struct {
	Username, Password string // when set, the server requires PLAIN auth with them
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{username: opts.Username, password: opts.Password, arrived: make(chan struct{}, 1024)}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // clients cut off on purpose are not news
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// RefuseNext makes the server answer the next n messages with a temporary
// failure (451), as a relay under load does.
func (s *Server) RefuseNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = n
}

// RefuseRecipient makes the server refuse mail to addr with 550 5.1.1, naming
// the address in its answer as real relays do.
func (s *Server) RefuseRecipient(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unknown == nil {
		s.unknown = map[string]bool{}
	}
	s.unknown[addr] = true
}

// Messages returns what has arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitFor blocks until n messages have arrived in all, or fails the test after
// timeout. It wakes on each arrival rather than polling.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if msgs := s.Messages(); len(msgs) >= n {
			return msgs
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("mailtest: %d messages arrived within %s, want %d", len(s.Messages()), timeout, n)
		}
	}
}

// NewSession is called by go-smtp for each connection.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.connections++
	s.mu.Unlock()
	return &session{server: s}, nil
}

// Connections counts the SMTP connections made to the server so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connections
}

func (s *Server) add(m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse > 0 {
		s.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.messages = append(s.messages, m)
	select {
	case s.arrived <- struct{}{}:
	default: // full: WaitFor has wakes enough pending, and a long run must not stall the sender
	}
	return nil
}

type session struct {
	server *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.server.username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != ss.server.username || password != ss.server.password {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.server.username != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.server.mu.Lock()
	unknown := ss.server.unknown[to]
	ss.server.mu.Unlock()
	if unknown {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: no such user"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.server.waitIfHeld()
	m, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: err.Error()}
	}
	m.From, m.To = ss.from, ss.to
	return ss.server.add(m)
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// Parse reads a raw message into its headers and its text and HTML parts.
func Parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fmt.Errorf("mailtest: parse message: %w", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Message{}, fmt.Errorf("mailtest: decode subject: %w", err)
	}
	m := Message{Subject: subject, Header: msg.Header, Raw: raw}
	err = collectParts(&m, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m, err
}

func collectParts(m *Message, contentType, encoding string, body io.Reader) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("mailtest: content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart() // decodes quoted-printable itself
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("mailtest: next part: %w", err)
			}
			if err := collectParts(m, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
				return err
			}
		}
	}
	if strings.EqualFold(encoding, "base64") {
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("mailtest: read %s part: %w", mediaType, err)
	}
	switch mediaType {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}
