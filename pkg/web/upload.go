package web

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/media"
)

// uploadLimit is the body limit of the forms that take a logo: the
// ordinary limit and the largest logo accepted. A larger body gets 413.
func (a *App) uploadLimit() int64 { return a.d.Config.Server.MaxBodyBytes + media.MaxBytes }

// takesUpload reports whether c is a multipart post to a route that takes
// a logo, so that uploadLimit applies to it instead of the ordinary body
// limit; the same route's URL-encoded posts keep the ordinary limit.
func takesUpload(c echo.Context) bool {
	r := c.Request()
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if r.Method != http.MethodPost || mediaType != echo.MIMEMultipartForm {
		return false
	}
	switch c.Path() {
	case "/letters/:slug/sign", "/manage/:token":
		return true
	}
	return false
}

// bindUploadForm decodes a form that may carry a file, field, into form:
// multipart/form-data (where the page offers a file input) or URL-encoded,
// as bindForm. It returns the file's bytes, nil when none was chosen, read
// to one byte past media.MaxBytes at most, so that a larger file is refused
// as such. The whole body is held in memory (it is within uploadLimit), so
// no upload is written to disk.
func (a *App) bindUploadForm(c echo.Context, form any, field string) ([]byte, error) {
	r := c.Request()
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); mediaType != echo.MIMEMultipartForm {
		return nil, bindForm(c, form)
	}
	if err := r.ParseMultipartForm(a.uploadLimit()); err != nil {
		return nil, bodyError(err)
	}
	if err := (&echo.DefaultBinder{}).BindBody(c, form); err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
	files := r.MultipartForm.File[field]
	if len(files) == 0 || files[0].Size == 0 { // a file input left empty sends an empty part
		return nil, nil
	}
	f, err := files[0].Open()
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, media.MaxBytes+1))
}

// bodyError is the answer to a form body that could not be read: 413 when
// it was over the limit, 400 otherwise.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) || errors.As(err, &tooLarge) {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
}
