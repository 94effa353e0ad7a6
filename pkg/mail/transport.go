// Package mail renders the messages Undersigned sends (templates/email), hands
// them to a Transport (SMTP through go-mail, or .eml files for development) and
// runs the outbox worker that drains the mail_jobs table.
package mail

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/undersigned/undersigned/pkg/config"
)

// Message is one rendered mail, ready for a Transport.
type Message struct {
	From string
	To   string
	// ReplyTo is the campaign's contact, where a signer's answer goes
	// instead of From (often an address nobody reads); empty sets none.
	ReplyTo string
	Subject string
	Text    string
	HTML    string
	// Links are the actionable links in the message; the file transport logs
	// them so a developer can follow a confirmation link without a mail client.
	Links []string
	// Unsubscribe is the recipient's one-click unsubscribe link (RFC 8058),
	// which mail clients offer from the List-Unsubscribe headers; empty for
	// mail that is not bulk.
	Unsubscribe string
}

// Transport delivers messages. Signing and the worker see only this, so tests
// and development can swap SMTP for files.
type Transport interface {
	Send(ctx context.Context, m *Message) error
}

// Forgetter is a Transport that keeps copies of what it sent, and can
// remove those sent to one address.
type Forgetter interface {
	Forget(address string) error
}

// NewTransport builds the transport named by cfg.Transport; tag names a
// recipient in the file transport's file names (see FileTransport.Tag).
func NewTransport(cfg config.Mail, dataDir string, log *slog.Logger, now func() time.Time, tag func(address string) string) (Transport, error) {
	switch cfg.Transport {
	case "file":
		return &FileTransport{Dir: filepath.Join(dataDir, "mail"), Log: log, Now: now, Tag: tag}, nil
	case "smtp":
		return NewSMTPTransport(cfg.SMTP, now), nil
	default:
		return nil, fmt.Errorf("mail: unknown transport %q", cfg.Transport)
	}
}

// build turns a Message into a go-mail message with a text part and an HTML alternative.
func build(m *Message, now time.Time) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("mail: from %q: %w", m.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail: recipient: %w", err)
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, fmt.Errorf("mail: reply-to %q: %w", m.ReplyTo, err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageID()
	msg.SetDateWithValue(now)
	// Tells vacation responders and mailing list software not to answer.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if m.Unsubscribe != "" {
		msg.SetGenHeader("List-Unsubscribe", "<"+m.Unsubscribe+">")
		msg.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// SMTPTransport sends through an SMTP relay with go-mail.
type SMTPTransport struct {
	cfg config.SMTP
	now func() time.Time

	mu   sync.Mutex
	open *gomail.Client // the connection kept between messages, or nil
}

// NewSMTPTransport returns a transport for the relay in cfg; now dates the mail.
func NewSMTPTransport(cfg config.SMTP, now func() time.Time) *SMTPTransport {
	return &SMTPTransport{cfg: cfg, now: now}
}

// client builds a go-mail client for the relay. The port is set last, so
// that no TLS option can move it (go-mail turns 25 into 587 for STARTTLS).
func (t *SMTPTransport) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithTimeout(t.cfg.Timeout)}
	switch t.cfg.TLS {
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "tls":
		opts = append(opts, gomail.WithSSL())
	}
	if t.cfg.Username != "" {
		// Over TLS, pick the strongest mechanism the relay offers. Without TLS,
		// PLAIN, which go-mail only sends to a relay on this machine, so a
		// password never crosses a network in the clear.
		auth := gomail.SMTPAuthAutoDiscover
		if t.cfg.TLS == "none" {
			auth = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(t.cfg.Username), gomail.WithPassword(t.cfg.Password))
	}
	opts = append(opts, gomail.WithPort(t.cfg.Port))
	client, err := gomail.NewClient(t.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp client for %s: %w", t.cfg.Host, err)
	}
	return client, nil
}

// Send delivers m, over the connection the last message used when it is
// still open: a burst of mail costs one TLS handshake and one login, not one
// per message. After a failure the connection is dropped and the next message
// dials afresh.
func (t *SMTPTransport) Send(ctx context.Context, m *Message) error {
	msg, err := build(m, t.now())
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open == nil {
		client, err := t.client()
		if err != nil {
			return err
		}
		if err := client.DialWithContext(ctx); err != nil {
			return fmt.Errorf("mail: connect to %s:%d: %w", t.cfg.Host, t.cfg.Port, err)
		}
		t.open = client
	}
	if err := t.open.Send(msg); err != nil {
		_ = t.open.Close()
		t.open = nil
		return fmt.Errorf("mail: send via %s:%d: %w", t.cfg.Host, t.cfg.Port, err)
	}
	return nil
}

// Close ends the open connection, if any; the outbox worker calls it when the
// queue is empty, so no connection idles until the relay drops it.
func (t *SMTPTransport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open == nil {
		return nil
	}
	err := t.open.Close()
	t.open = nil
	return err
}

// FileTransport writes each message as an .eml file, for development: open the
// files in a mail client, or follow the links it logs.
type FileTransport struct {
	Dir string
	Log *slog.Logger
	Now func() time.Time
	// Tag names a recipient in the names of the files written to them, so
	// Forget finds that mail without reading every file: a keyed hash, so a
	// file name does not tell whom it went to. Its first 16 hex digits are
	// used.
	Tag func(address string) string
}

// Send writes m to a new file under Dir.
func (t *FileTransport) Send(_ context.Context, m *Message) error {
	now := t.Now()
	msg, err := build(m, now)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(t.Dir, 0o700); err != nil {
		return fmt.Errorf("mail: create %s: %w", t.Dir, err)
	}
	id := strings.Trim(strings.Join(msg.GetGenHeader(gomail.HeaderMessageID), ""), "<>")
	name := filepath.Join(t.Dir, now.UTC().Format("20060102T150405.000000000")+"-"+t.recipientTag(m.To)+"-"+sanitizeFileName(id)+".eml")
	// Written aside and renamed, so a reader of the folder never sees half a message.
	partial := name + ".part"
	if err := writePrivateFile(partial, msg); err != nil {
		return fmt.Errorf("mail: write %s: %w", partial, err)
	}
	if err := os.Rename(partial, name); err != nil {
		return fmt.Errorf("mail: write %s: %w", name, err)
	}
	t.Log.Info("mail written to file", "file", name, "subject", m.Subject, "links", m.Links)
	return nil
}

// Forget deletes every message written to address, the files whose name
// carries its tag.
func (t *FileTransport) Forget(address string) error {
	names, err := filepath.Glob(filepath.Join(t.Dir, "*-"+t.recipientTag(address)+"-*.eml*"))
	if err != nil {
		return fmt.Errorf("mail: find mail files to forget: %w", err)
	}
	var errs []error
	for _, name := range names {
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("mail: forget %d mail files: %w", len(names), err)
	}
	return nil
}

// recipientTag is the tag of address in file names: Tag of the address as
// every provider reads it, lower-cased.
func (t *FileTransport) recipientTag(address string) string {
	return t.Tag(strings.ToLower(strings.TrimSpace(address)))[:16]
}

// writePrivateFile writes msg to a new file that only the server's user may
// read, as a mail holds a signer's address and links: the mode is given when
// the file is created, not left to the umask.
func writePrivateFile(name string, msg *gomail.Msg) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func sanitizeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, s)
}
