package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/undersigned/undersigned/pkg/app"
	"github.com/undersigned/undersigned/pkg/record"
)

const deliverUsage = "usage: undersigned deliver SLUG --pack FILE [--lang LANG]"

// deliverCommand runs `undersigned deliver SLUG --pack FILE`: the letter's
// delivery pack, recorded as a delivery staff can then mark delivered.
func deliverCommand(ctx context.Context, a *app.App, args []string, con console) (err error) {
	flags := flag.NewFlagSet("deliver", flag.ContinueOnError)
	flags.SetOutput(con.err)
	pack := flags.String("pack", "", "the zip file to write")
	lang := flags.String("lang", "", "the language of the pack's PDF (default: the letter's own)")
	slug, err := parseWithOneArgument(flags, args)
	if err != nil || slug == "" || *pack == "" {
		return errors.Join(err, errors.New(deliverUsage))
	}
	letter, ok := a.Letters.BySlug(slug)
	if !ok {
		return fmt.Errorf("deliver: no letter %q", slug)
	}
	f, err := os.OpenFile(*pack, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("deliver: %w (the pack is never written over)", err)
	}
	d, err := a.Record.Pack(ctx, record.PackRequest{Letter: letter, Lang: *lang, By: commandLine()}, f)
	if err = errors.Join(err, f.Close()); err != nil {
		return errors.Join(err, os.Remove(*pack))
	}
	fmt.Fprintf(con.out, "wrote %s: delivery %d of %q, %d signatures, Merkle root %s, signed with key %s\n",
		*pack, d.ID, slug, d.Signatures, d.Root, d.KeyID)
	return nil
}

// parseWithOneArgument parses flags placed before or after one argument,
// and returns the argument.
func parseWithOneArgument(flags *flag.FlagSet, args []string) (string, error) {
	var arg string
	for len(args) > 0 {
		if err := flags.Parse(args); err != nil {
			return "", err
		}
		args = flags.Args()
		if len(args) > 0 {
			if arg != "" {
				return "", fmt.Errorf("unexpected %q", args[0])
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
	path, err := parseWithOneArgument(flags, args)
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
