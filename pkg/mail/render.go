package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	texttemplate "text/template"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/store"
)

// Content is what a mail template can show. Everything in it is read at send
// time from the signature, so the outbox holds no copy of personal data.
type Content struct {
	Kind        store.MailKind
	Name        string
	LetterTitle string
	LetterURL   string
	ConfirmURL  string // empty when the mail carries no confirmation link
	ManageURL   string // the signer's link to correct or withdraw the signature
	ExpiresAt   string
	Status      store.Status
	SiteName    string
	Contact     string // the campaign's address, or "" when none is configured
	ReasonText  string // rejections: why, in the campaign's words
	// A notice of a material change to the letter's text: when it was
	// made, and staff's note on it in the language they wrote it in.
	ChangedOn string
	Note      string
	NoteLang  string
	// An update to signers who asked to be kept informed: its subject,
	// its Markdown (the text part) and its HTML, the language they are in,
	// and the signer's one-click unsubscribe link.
	UpdateSubject  string
	UpdateText     string
	UpdateHTML     htmltemplate.HTML
	UpdateLang     string
	UnsubscribeURL string
	// A staff member's digest: the letters with signatures awaiting review,
	// how many in all, the whole queue and the page where the member
	// chooses how often.
	Digest      []DigestLine
	Waiting     int64
	QueueURL    string
	SettingsURL string
	l           *i18n.Localizer
}

// T translates a message id in the signer's language; templates call it.
func (c Content) T(id string, kv ...any) string { return c.l.T(id, kv...) }

// Lang and Dir set the HTML part's language and direction.
func (c Content) Lang() string { return c.l.Lang() }

// Dir is the writing direction of the mail's language.
func (c Content) Dir() string { return c.l.Dir() }

// UpdateDir is the writing direction of the update's language.
func (c Content) UpdateDir() string { return i18n.DirOf(c.UpdateLang) }

// NoteDir is the writing direction of the note's language.
func (c Content) NoteDir() string { return i18n.DirOf(c.NoteLang) }

// Renderer turns Content into a subject, a text part and an HTML part, from
// templates/email/<kind>.txt and <kind>.html (with layout.html around the latter).
type Renderer struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// NewRenderer parses the mail templates in files (the root of the embedded tree).
func NewRenderer(files fs.FS) (*Renderer, error) {
	text, err := texttemplate.ParseFS(files, "templates/email/*.txt")
	if err != nil {
		return nil, fmt.Errorf("mail: parse text templates: %w", err)
	}
	html, err := htmltemplate.ParseFS(files, "templates/email/*.html")
	if err != nil {
		return nil, fmt.Errorf("mail: parse html templates: %w", err)
	}
	return &Renderer{text: text, html: html}, nil
}

// Render fills a Message (all but From, To and ReplyTo) for c in l's language.
func (r *Renderer) Render(c Content, l *i18n.Localizer) (*Message, error) {
	c.l = l
	var text, html bytes.Buffer
	name := string(c.Kind)
	if err := r.text.ExecuteTemplate(&text, name+".txt", c); err != nil {
		return nil, fmt.Errorf("mail: render %s text: %w", name, err)
	}
	if err := r.html.ExecuteTemplate(&html, name+".html", c); err != nil {
		return nil, fmt.Errorf("mail: render %s html: %w", name, err)
	}
	m := &Message{
		Subject: c.subject(),
		Text:    text.String(),
		HTML:    html.String(),
	}
	if c.ConfirmURL != "" {
		m.Links = append(m.Links, c.ConfirmURL)
	}
	if c.UnsubscribeURL != "" {
		m.Links, m.Unsubscribe = append(m.Links, c.UnsubscribeURL), c.UnsubscribeURL
	}
	return m, nil
}

// subject is the mail's subject line: a digest counts what awaits review, a
// signer's mail names the letter.
func (c Content) subject() string {
	if c.Kind == store.MailDigest {
		return c.T("mail.digest.subject", "Count", c.Waiting, "Site", c.SiteName)
	}
	if c.Kind == store.MailLetterUpdate {
		return c.T("mail.letter_update.subject", "Title", c.LetterTitle, "Subject", c.UpdateSubject)
	}
	return c.T("mail."+string(c.Kind)+".subject", "Title", c.LetterTitle)
}

// Footer is the mail's last line, saying why the recipient gets it; the
// layout's mail_bottom shows it.
func (c Content) Footer() string {
	if c.Kind == store.MailDigest {
		return c.T("mail.digest.footer", "Site", c.SiteName)
	}
	if c.Kind == store.MailLetterUpdate {
		return c.T("mail.letter_update.footer", "Site", c.SiteName)
	}
	return c.T("mail.footer", "Site", c.SiteName)
}

// Button is what the mail_button template draws: a link styled as a button,
// with the bare URL under it for clients that show no HTML.
type Button struct{ URL, Label, Fallback string }

// Button builds a Button; templates call it.
func (c Content) Button(url, label string) Button {
	return Button{URL: url, Label: label, Fallback: c.T("mail.button_fallback")}
}
