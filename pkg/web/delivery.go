package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/record"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// showCampaignKeys is /.well-known/undersigned-keys.json: every key the
// campaign signs delivery packs with, for anyone verifying one.
func (a *App) showCampaignKeys(c echo.Context) error {
	keys, err := record.Keys(c.Request().Context(), a.d.Store)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", publicDownloadCache)
	return c.JSON(http.StatusOK, keys)
}

// inclusionLine is a delivery that included the signer, on the manage page.
type inclusionLine struct {
	Text     string
	ProofURL string
}

// inclusionLines lists the deliveries that included the signature.
func (a *App) inclusionLines(c echo.Context, signatureID uint64, token string) ([]inclusionLine, error) {
	in, err := a.d.Record.Inclusions(c.Request().Context(), signatureID)
	if err != nil {
		return nil, err
	}
	l := a.localizer(c)
	lines := make([]inclusionLine, len(in))
	for i, d := range in {
		lines[i] = inclusionLine{Text: l.T("manage.delivery.included", "Date", l.Date(*d.DeliveredAt), "Recipients", d.Recipients),
			ProofURL: "/manage/" + token + "/proofs/" + strconv.FormatUint(d.ID, 10)}
	}
	return lines, nil
}

// downloadProof is a signer's inclusion proof for one delivery, as JSON to
// save and check with `undersigned verify PACK --proof FILE`.
func (a *App) downloadProof(c echo.Context) error {
	m, err := a.d.Signing.Manage(c.Request().Context(), c.Param("token"))
	if err != nil {
		return a.manageError(c, err)
	}
	id, err := strconv.ParseUint(c.Param("delivery"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	proof, err := a.d.Record.Proof(c.Request().Context(), m.SignatureID, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, record.ErrNoProof) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	startDownload(c, m.Letter.Slug+"-delivery-"+c.Param("delivery")+"-proof.json", echo.MIMEApplicationJSON, "private, no-store")
	enc := json.NewEncoder(c.Response())
	enc.SetIndent("", "  ")
	return enc.Encode(proof)
}

// fillDeliveries adds the campaign key and the delivery timeline to the
// letter page. Recording a delivery moves the letter's change counter, so
// cached pages are drawn again.
func (a *App) fillDeliveries(c echo.Context, v *letterView) error {
	v.CampaignKey = a.d.Record.Key()
	deliveries, err := a.d.Record.Timeline(c.Request().Context(), v.Letter.ID)
	if err != nil {
		return err
	}
	l := a.localizer(c)
	for _, d := range deliveries {
		v.Deliveries = append(v.Deliveries, deliveryLine{
			Text: l.T("letter.delivery.item", "Recipients", d.Recipients, "Date", l.Date(*d.DeliveredAt)), Root: d.Root})
	}
	return nil
}

// deliveryLine is a recorded delivery on the letter's public page.
type deliveryLine struct {
	Text string
	Root string
}

// packRow is a delivery pack on the console's letter page.
type packRow struct {
	ID         uint64
	PackedAt   string
	Signatures string
	Root       string
	Delivered  string // to whom and when, or "not yet"
}

// deliveryForm is the form that records a delivery, as posted.
type deliveryForm struct {
	Pack       string `form:"pack"`
	Recipients string `form:"recipients"`
	Date       string `form:"date"`
}

// createPack makes the letter's delivery pack and sends it as a download;
// it is recorded as a pack to be delivered.
func (a *App) createPack(c echo.Context) error {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return err
	}
	var zip bytes.Buffer
	d, err := a.d.Record.Pack(c.Request().Context(), record.PackRequest{Letter: letter, Lang: letter.Lang, By: store.StaffActor(currentStaff(c))}, &zip)
	if err != nil {
		return err
	}
	startDownload(c, fmt.Sprintf("%s-delivery-%d.zip", letter.Slug, d.ID), "application/zip", "private, no-store")
	_, err = c.Response().Write(zip.Bytes())
	return err
}

// createDelivery records that a pack was delivered, to whom and on which
// day; mistakes are shown beside their fields.
func (a *App) createDelivery(c echo.Context) error {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return err
	}
	var f deliveryForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	errs := signing.FieldErrors{}
	id, perr := strconv.ParseUint(f.Pack, 10, 64)
	if perr != nil {
		errs["pack"] = "error.delivery.pack_unknown"
	}
	on, derr := time.Parse(time.DateOnly, strings.TrimSpace(f.Date))
	if derr != nil {
		errs["date"] = "error.delivery.date_invalid"
	}
	if len(errs) == 0 {
		err = a.d.Record.Record(c.Request().Context(), record.Delivered{Letter: letter, DeliveryID: id, Recipients: f.Recipients, On: on, By: store.StaffActor(currentStaff(c))})
		errs = deliveryErrors(err)
		if errs == nil && err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return a.renderConsoleLetter(c, http.StatusUnprocessableEntity, letter, letterPageInput{delivery: &f, errs: errs})
	}
	return redirect(c, consoleLetterURL(letter.ID)+"?delivered=1")
}

// deliveryErrors maps what Record refused to the field it is about; nil
// for any other error.
func deliveryErrors(err error) signing.FieldErrors {
	switch {
	case err == nil:
		return signing.FieldErrors{}
	case errors.Is(err, record.ErrRecipientsMissing), errors.Is(err, record.ErrRecipientsTooLong):
		return signing.FieldErrors{"recipients": err.Error()}
	case errors.Is(err, record.ErrDateInFuture):
		return signing.FieldErrors{"date": err.Error()}
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAlreadyDelivered):
		return signing.FieldErrors{"pack": "error.delivery.pack_unknown"}
	}
	return nil
}

// deliveryFields are the console's packs and its form to record one.
func (a *App) deliveryFields(c echo.Context, letterID uint, f *deliveryForm, errs signing.FieldErrors) ([]packRow, []formField, error) {
	packs, err := a.d.Record.Packs(c.Request().Context(), letterID)
	if err != nil {
		return nil, nil, err
	}
	if f == nil {
		f = &deliveryForm{}
	}
	l := a.localizer(c)
	rows := make([]packRow, len(packs))
	options := []fieldOption{{Value: "", Label: l.T("admin.letter.delivery.choose")}}
	for i, p := range packs {
		rows[i] = packRow{ID: p.ID, PackedAt: l.DateTime(p.PackedAt), Signatures: l.Number(p.Signatures), Root: p.Root,
			Delivered: l.T("admin.letter.delivery.pending")}
		if p.Delivered() {
			rows[i].Delivered = l.T("letter.delivery.item", "Recipients", p.Recipients, "Date", l.Date(*p.DeliveredAt))
			continue
		}
		value := strconv.FormatUint(p.ID, 10)
		options = append(options, fieldOption{Value: value, Label: "#" + value + " · " + rows[i].PackedAt, Selected: value == f.Pack})
	}
	fields := []formField{
		{Name: "pack", Type: "select", Label: l.T("admin.letter.delivery.pack_field"), Required: true, Options: options},
		{Name: "recipients", Type: "text", Label: l.T("admin.letter.delivery.recipients"), Value: f.Recipients, Required: true, MaxLength: 1000},
		{Name: "date", Type: "date", Label: l.T("admin.letter.delivery.date"), Value: f.Date, Required: true},
	}
	return rows, prepareFields(fields, errs, l), nil
}
