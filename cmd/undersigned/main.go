// Command undersigned runs the Undersigned open-letter platform. With no
// subcommand it serves; "migrate" only brings the database schema up to date.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/undersigned/undersigned"
	"github.com/undersigned/undersigned/pkg/app"
	"github.com/undersigned/undersigned/pkg/config"
)

const usage = `Usage: undersigned [--config FILE] [COMMAND]

Commands:
  serve                                       serve the letters over HTTP (the default)
  migrate                                     bring the database schema up to date and exit
  staff add EMAIL --role admin|moderator      add a staff account; the password is read from
                                              standard input, or prompted for on a terminal
  staff list                                  list staff accounts
  staff disable EMAIL                         disable an account and end its sessions
  backup FILE                                 copy the SQLite database to FILE, also while serving
  deliver SLUG [--lang TAG] [--out FILE.pdf] [--pack FILE.zip]
                                              write the letter and every public name as a PDF, and/or
                                              its signed delivery pack (a zip), recorded as a delivery
  verify PACK [--key KEY] [--proof PROOF]     check a delivery pack, and an inclusion proof; needs no
                                              configuration; KEY is a base64 public key or a saved
                                              /.well-known/undersigned-keys.json
  version                                     print the version, commit and Go version (also --version)

Every configuration key can also be set by environment, e.g. UNDERSIGNED_SERVER_ADDR.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), console{in: os.Stdin, out: os.Stdout, err: os.Stderr}); err != nil {
		fmt.Fprintln(os.Stderr, "undersigned:", err)
		os.Exit(1)
	}
}

// console is the process's standard streams.
type console struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// run is main without the process: tests call it with their own arguments,
// environment, streams and context.
func run(ctx context.Context, args, environ []string, con console) error {
	stderr := con.err
	flags := flag.NewFlagSet("undersigned", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprint(stderr, usage); flags.PrintDefaults() }
	configPath := flags.String("config", "config.yaml", "the configuration file")
	printVersion := flags.Bool("version", false, "print the version and exit")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *printVersion || flags.Arg(0) == "version" { // needs no configuration
		_, err := fmt.Fprintln(con.out, currentVersion())
		return err
	}
	if flags.Arg(0) == "verify" { // anyone may verify a pack, without an instance
		return verifyCommand(flags.Args()[1:], con)
	}
	cfg, err := config.Load(*configPath, environ)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	command := flags.Arg(0)
	if command == "" {
		command = "serve"
	}
	switch command {
	case "serve":
		log.Info("starting", "build", currentVersion())
		app.TuneCollector(cfg.Runtime, environ, log)
		return serve(ctx, cfg, log)
	case "migrate":
		a, err := build(ctx, cfg, log)
		if err != nil {
			return err
		}
		log.Info("database is up to date")
		return a.Close()
	case "staff":
		a, err := build(ctx, cfg, log)
		if err != nil {
			return err
		}
		return errors.Join(staffCommand(ctx, a.Staff, flags.Args()[1:], con), a.Close())
	case "backup":
		return backupCommand(ctx, cfg, log, flags.Args()[1:], con)
	case "deliver":
		a, err := build(ctx, cfg, log)
		if err != nil {
			return err
		}
		return errors.Join(deliverCommand(ctx, a, flags.Args()[1:], con), a.Close())
	default:
		flags.Usage()
		return fmt.Errorf("unknown command %q", command)
	}
}

func build(ctx context.Context, cfg config.Config, log *slog.Logger) (*app.App, error) {
	return app.Build(ctx, cfg, app.Options{Files: undersigned.Files(), Log: log, Now: utcNow, Random: rand.Reader})
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) (err error) {
	a, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (server.addr): %w", cfg.Server.Addr, err)
	}
	return a.Serve(ctx, ln)
}

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level)) // Validate has checked it
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// utcNow is the clock: UTC, so that times stored as text compare correctly
// whatever the machine's time zone.
func utcNow() time.Time { return time.Now().UTC() }
