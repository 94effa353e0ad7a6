package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/signing"
)

// unsubscribeView is the page behind the unsubscribe link in every update:
// a button that stops the updates, or once pressed, the word that they
// stopped.
type unsubscribeView struct {
	*Page
	LetterTitle  string
	Action       string
	Unsubscribed bool
}

// showUnsubscribe is the page a signer reaches from the unsubscribe link
// in an update: it asks them to press the button, so a mail scanner that
// follows every link unsubscribes no one.
func (a *App) showUnsubscribe(c echo.Context) error {
	letter, err := a.d.Signing.UnsubscribeLetter(c.Request().Context(), c.Param("token"))
	if err != nil {
		return a.unsubscribeError(c, err)
	}
	return a.renderUnsubscribe(c, letter, false)
}

// createUnsubscription stops the updates at once: the button on the page,
// or a mail client's one-click unsubscribe (RFC 8058), whose body is not
// needed.
func (a *App) createUnsubscription(c echo.Context) error {
	letter, err := a.d.Signing.Unsubscribe(c.Request().Context(), c.Param("token"))
	if err != nil {
		return a.unsubscribeError(c, err)
	}
	return a.renderUnsubscribe(c, letter, true)
}

func (a *App) renderUnsubscribe(c echo.Context, letter *letters.Letter, done bool) error {
	l := a.localizer(c)
	v := &unsubscribeView{Page: a.page(c, l.T("unsubscribe.title")), LetterTitle: letter.In(l.Lang()).Title,
		Action: "/unsubscribe/" + c.Param("token"), Unsubscribed: done}
	return a.render(c, http.StatusOK, "unsubscribe", v)
}

func (a *App) unsubscribeError(c echo.Context, err error) error {
	if errors.Is(err, signing.ErrUnsubscribeNotFound) {
		return a.render(c, http.StatusNotFound, "link_unknown", a.page(c, a.localizer(c).T("link_unknown.title")))
	}
	return err
}
