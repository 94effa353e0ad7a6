package web

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
)

// publicDownloadCache lets shared caches keep the open-data files a minute.
const publicDownloadCache = "public, max-age=60"

// downloadBatch is how many rows a download reads from the database at a time.
const downloadBatch = 1000

// downloadCSV is the open-data download of a letter's public list as CSV:
// public fields only, one row per named signatory.
func (a *App) downloadCSV(c echo.Context) error {
	letter, err := a.publicLetter(c)
	if err != nil {
		return err
	}
	startDownload(c, letter.Slug+"-signatories.csv", "text/csv; charset=utf-8", publicDownloadCache)
	w := csv.NewWriter(c.Response())
	if err := w.Write(moderation.PublicListHeader()); err != nil {
		return err
	}
	err = store.EachPublished(a.d.Store.Read(c.Request().Context()), letter.ID, downloadBatch, func(batch []store.PublicSignatory) error {
		for _, s := range batch {
			if err := w.Write(moderation.PublicListRow(s)); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	})
	return err
}

// downloadJSON is the same list as a JSON array, streamed.
func (a *App) downloadJSON(c echo.Context) error {
	letter, err := a.publicLetter(c)
	if err != nil {
		return err
	}
	startDownload(c, letter.Slug+"-signatories.json", "application/json", publicDownloadCache)
	out := c.Response()
	if _, err := out.Write([]byte("[")); err != nil {
		return err
	}
	first := true
	tag := a.localizer(c).Tag
	err = store.EachPublished(a.d.Store.Read(c.Request().Context()), letter.ID, downloadBatch, func(batch []store.PublicSignatory) error {
		for _, s := range batch {
			b, err := json.Marshal(apiSignatory{Kind: s.Kind, Name: s.Name, Affiliation: s.Affiliation, Website: s.Website,
				OrganisationType: s.OrgType, Country: s.Country, CountryName: a.d.Countries.Name(s.Country, tag)})
			if err != nil {
				return err
			}
			if !first {
				b = append([]byte(",\n"), b...)
			}
			first = false
			if _, err := out.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = out.Write([]byte("]\n"))
	return err
}

// startDownload answers with a file to save, streamed after this call.
func startDownload(c echo.Context, name, contentType, cacheControl string) {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, contentType)
	h.Set(echo.HeaderContentDisposition, "attachment; filename="+strconv.Quote(name))
	h.Set("Cache-Control", cacheControl)
	c.Response().WriteHeader(http.StatusOK)
}
