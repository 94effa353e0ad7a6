package webtest

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
)

// Upload posts a multipart form with the browser's cookies and its CSRF
// token: the values, and content as the file field fileField named fileName.
func (b *Browser) Upload(path string, values url.Values, fileField, fileName string, content []byte) *Response {
	b.h.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if !values.Has("csrf") {
		_ = w.WriteField("csrf", b.CSRF())
	}
	for k, vs := range values {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	part, err := w.CreateFormFile(fileField, fileName)
	if err != nil {
		b.h.t.Fatal(err)
	}
	_, _ = part.Write(content)
	if err := w.Close(); err != nil {
		b.h.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.h.URL+path, &body)
	if err != nil {
		b.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}
