package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/undersigned/undersigned/pkg/app"
	"github.com/undersigned/undersigned/pkg/deliver"
)

const deliverUsage = "usage: undersigned deliver SLUG [--lang TAG] --out FILE.pdf"

// deliverCommand runs `undersigned deliver SLUG --lang en --out letter.pdf`:
// the letter and every public name as a PDF, the document the console's
// letter page offers, for staff to hand to the recipients.
func deliverCommand(ctx context.Context, a *app.App, args []string, con console) error {
	flags := flag.NewFlagSet("deliver", flag.ContinueOnError)
	flags.SetOutput(con.err)
	lang := flags.String("lang", "", "the language of the text (default: the letter's own)")
	out := flags.String("out", "", "the PDF file to write")
	slug, err := oneArgument(flags, args)
	if err != nil {
		return err
	}
	if slug == "" || *out == "" {
		return errors.New(deliverUsage)
	}
	letter, ok := a.Letters.BySlug(slug)
	if !ok {
		return fmt.Errorf("deliver: no letter %q", slug)
	}
	if *lang == "" {
		*lang = letter.Lang
	}
	doc, err := deliver.Build(ctx, a.Deliver, letter, *lang)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := deliver.PDF(ctx, &buf, doc); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	if doc.Note != "" {
		fmt.Fprintln(con.out, doc.Note)
	}
	fmt.Fprintf(con.out, "wrote %s: %q in %s, %d names from %d countries (%d bytes)\n",
		*out, doc.Title, doc.Lang, doc.Names(), len(doc.Countries), buf.Len())
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
