package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/undersigned/undersigned/pkg/app"
	"github.com/undersigned/undersigned/pkg/deliver"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/record"
)

const deliverUsage = "usage: undersigned deliver SLUG [--lang TAG] [--out FILE.pdf] [--pack FILE.zip]"

// deliverCommand runs `undersigned deliver SLUG --lang en --out letter.pdf
// --pack pack.zip`: the letter and every public name as a PDF, the document
// the console's letter page offers, for staff to hand to the recipients;
// and the letter's signed delivery pack, recorded as a delivery. It needs
// at least one of --out and --pack.
func deliverCommand(ctx context.Context, a *app.App, args []string, con console) error {
	flags := flag.NewFlagSet("deliver", flag.ContinueOnError)
	flags.SetOutput(con.err)
	lang := flags.String("lang", "", "the language of the text (default: the letter's own)")
	out := flags.String("out", "", "the PDF file to write")
	pack := flags.String("pack", "", "the delivery pack (a zip) to write; never written over")
	slug, err := oneArgument(flags, args)
	if err != nil {
		return err
	}
	if slug == "" || (*out == "" && *pack == "") {
		return errors.New(deliverUsage)
	}
	letter, ok := a.Letters.BySlug(slug)
	if !ok {
		return fmt.Errorf("deliver: no letter %q", slug)
	}
	if *lang == "" {
		*lang = letter.Lang
	}
	if *out != "" {
		if err := writePDF(ctx, a, letter, *lang, *out, con); err != nil {
			return err
		}
	}
	if *pack != "" {
		return writePack(ctx, a, letter, *lang, *pack, con)
	}
	return nil
}

// writePDF writes the delivered document of letter in lang to path.
func writePDF(ctx context.Context, a *app.App, letter *letters.Letter, lang, path string, con console) error {
	doc, err := deliver.Build(ctx, a.Deliver, letter, lang)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := deliver.PDF(ctx, &buf, doc); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	if doc.Note != "" {
		fmt.Fprintln(con.out, doc.Note)
	}
	fmt.Fprintf(con.out, "wrote %s: %q in %s, %d names from %d countries (%d bytes)\n",
		path, doc.Title, doc.Lang, doc.Names(), len(doc.Countries), buf.Len())
	return nil
}

// writePack writes letter's delivery pack to path, which must not exist
// yet, and records the delivery.
func writePack(ctx context.Context, a *app.App, letter *letters.Letter, lang, path string, con console) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("deliver: %w (the pack is never written over)", err)
	}
	d, err := a.Record.Pack(ctx, record.PackRequest{Letter: letter, Lang: lang, By: commandLine()}, f)
	if err = errors.Join(err, f.Close()); err != nil {
		return errors.Join(err, os.Remove(path))
	}
	fmt.Fprintf(con.out, "wrote %s: delivery %d of %q, %d signatures, Merkle root %s, signed with key %s\n",
		path, d.ID, letter.Slug, d.Signatures, d.Root, d.KeyID)
	return nil
}

// oneArgument parses flags given before or after the command's one
// argument, and returns the argument ("" when there is none).
func oneArgument(flags *flag.FlagSet, args []string) (string, error) {
	var arg string
	for len(args) > 0 {
		if err := flags.Parse(args); err != nil {
			return "", err
		}
		args = flags.Args()
		if len(args) > 0 {
			if arg != "" {
				return "", fmt.Errorf("%s: one argument, not %q and %q", flags.Name(), arg, args[0])
			}
			arg, args = args[0], args[1:]
		}
	}
	return arg, nil
}

const verifyUsage = "usage: undersigned verify PACK.zip [--key KEY|KEYS.json] [--proof PROOF.json]"

// verifyCommand runs `undersigned verify PACK.zip`: it prints OK or every
// difference it finds, and fails when there is one. It needs no
// configuration nor database, so anyone can run it.
func verifyCommand(args []string, con console) error {
	flags := flag.NewFlagSet("verify", flag.ContinueOnError)
	flags.SetOutput(con.err)
	keyArg := flags.String("key", "", "the expected key: its base64 public key, or a saved undersigned-keys.json")
	proofFile := flags.String("proof", "", "an inclusion proof to check against the pack")
	path, err := oneArgument(flags, args)
	if err != nil || path == "" {
		return errors.Join(err, errors.New(verifyUsage))
	}
	expect, err := expectation(*keyArg, *proofFile)
	if err != nil {
		return err
	}
	pack, err := os.Open(path)
	if err != nil {
		return err
	}
	defer pack.Close()
	info, err := pack.Stat()
	if err != nil {
		return err
	}
	report := record.Verify(pack, info.Size(), expect)
	if !report.OK() {
		fmt.Fprintf(con.out, "FAILED: %s\n", path)
		for _, p := range report.Problems {
			fmt.Fprintf(con.out, "  - %s\n", p)
		}
		return errors.New("verify: the pack does not match its manifest")
	}
	m := report.Manifest
	fmt.Fprintf(con.out, "OK: %s is delivery %d of %q, made %s: %d signatures, Merkle root %s, signed with key %s\n",
		path, m.DeliveryID, m.Letter.Slug, m.CreatedAt.Format("2006-01-02 15:04 UTC"), m.Counts.Signatures, m.Merkle.Root, m.Key.ID)
	if expect.Proof != nil {
		fmt.Fprintln(con.out, "OK: the proof shows its signature is included in this pack")
	}
	return nil
}

// expectation reads what --key and --proof name.
func expectation(keyArg, proofFile string) (record.Expect, error) {
	var expect record.Expect
	if proofFile != "" {
		b, err := os.ReadFile(proofFile)
		if err != nil {
			return expect, err
		}
		expect.Proof = b
	}
	if keyArg == "" {
		return expect, nil
	}
	if b, err := os.ReadFile(keyArg); err == nil {
		list, err := record.ParseKeyList(b)
		if err != nil {
			return expect, fmt.Errorf("verify: --key %s: %w", keyArg, err)
		}
		expect.Keys = list.Keys
		return expect, nil
	}
	key, err := record.PublicKeyFromBase64(strings.TrimSpace(keyArg))
	if err != nil {
		return expect, fmt.Errorf("verify: --key is neither a file nor a base64 Ed25519 public key: %w", err)
	}
	expect.Keys = []record.PublicKey{key}
	return expect, nil
}
