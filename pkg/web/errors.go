package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// apiError is the body of every JSON error: {"error":{"code","message"}}.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorCode is the stable API code for each status the app answers with;
// false for any other status, which is then reported as internal.
func errorCode(status int) (string, bool) {
	switch status {
	case http.StatusBadRequest:
		return "bad_request", true
	case http.StatusForbidden:
		return "forbidden", true
	case http.StatusNotFound:
		return "not_found", true
	case http.StatusMethodNotAllowed:
		return "method_not_allowed", true
	case http.StatusRequestEntityTooLarge:
		return "too_large", true
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type", true
	case http.StatusTooManyRequests:
		return "too_many_requests", true
	case http.StatusServiceUnavailable:
		return "unavailable", true
	}
	return "internal", false
}

// codedError is an HTTP error with a stable code of its own, for the API.
type codedError struct {
	status int
	code   string
}

func (e *codedError) Error() string { return e.code }

func errorWithCode(status int, code string) error { return &codedError{status: status, code: code} }

// statusClientClosedRequest is nginx's status for a request whose client
// closed the connection before the answer.
const statusClientClosedRequest = 499

// handleError is the one error handler: it logs server faults with their cause
// and answers with the error page, or JSON for the API, never internal text.
func (a *App) handleError(err error, c echo.Context) {
	if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
		// The client went away (a closed tab, a load generator stopping):
		// nobody reads the answer and nothing failed here. Answer as nginx
		// does, so logs and metrics keep these apart from server faults.
		if !c.Response().Committed {
			_ = c.NoContent(statusClientClosedRequest)
		}
		return
	}
	status, code := http.StatusInternalServerError, ""
	var he *echo.HTTPError
	var ce *codedError
	switch {
	case errors.As(err, &ce):
		status, code = ce.status, ce.code
	case errors.As(err, &he):
		status = he.Code
	}
	if fallback, known := errorCode(status); !known {
		status, code = http.StatusInternalServerError, fallback
	} else if code == "" {
		code = fallback
	}
	if status >= 500 {
		a.d.Log.Error("request failed", "method", c.Request().Method, "route", c.Path(), "err", err)
	}
	if c.Response().Committed {
		return // too late to answer with an error page; the log has it
	}
	l := a.localizer(c)
	message := l.T("error." + code)
	switch errorFormatOf(c) {
	case errorsAsJSON:
		err = c.JSON(status, apiError{Error: apiErrorBody{Code: code, Message: message}})
	case errorsAsText:
		err = c.String(status, message+"\n")
	default:
		err = a.render(c, status, "error", &errorView{Page: a.page(c, l.T("error.title."+code)), Message: message, Status: status})
	}
	if err != nil {
		a.d.Log.Error("writing error response failed", "err", err)
	}
}

type errorView struct {
	*Page
	Message string
	Status  int
}

// errorFormat is what the one error handler answers an error with.
type errorFormat int

const (
	errorsAsPage errorFormat = iota // the error page
	errorsAsJSON                    // the API's {"error":{"code","message"}}
	errorsAsText                    // the message alone, as plain text
)

// errorFormatKey holds the errorFormat a route chose with answerErrorsAs.
const errorFormatKey = "error_format"

// answerErrorsAs makes the route's errors answer in format, whatever the
// client accepts: the downloads answer in their own format, so a script that
// fetched signatories.json reads a JSON error, not an HTML page.
func answerErrorsAs(format errorFormat) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(errorFormatKey, format)
			return next(c)
		}
	}
}

// errorFormatOf is the route's own error format, or else JSON for the API and
// for clients that ask for it, and the error page for everyone else.
func errorFormatOf(c echo.Context) errorFormat {
	if format, ok := c.Get(errorFormatKey).(errorFormat); ok {
		return format
	}
	if wantsJSON(c) {
		return errorsAsJSON
	}
	return errorsAsPage
}

func wantsJSON(c echo.Context) bool {
	return strings.HasPrefix(c.Request().URL.Path, "/api/") ||
		strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}
