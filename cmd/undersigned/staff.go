package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/undersigned/undersigned/pkg/staff"
	"github.com/undersigned/undersigned/pkg/store"
)

// staffCommand runs `undersigned staff add|list|disable`.
func staffCommand(ctx context.Context, svc *staff.Service, args []string, con console) error {
	if len(args) == 0 {
		return errors.New("staff: say add, list or disable")
	}
	switch args[0] {
	case "add":
		return staffAdd(ctx, svc, args[1:], con)
	case "list":
		return staffList(ctx, svc, con)
	case "disable":
		if len(args) != 2 {
			return errors.New("usage: undersigned staff disable EMAIL")
		}
		member, err := svc.Disable(ctx, commandLine(), args[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(con.out, "disabled %s; their sessions have ended\n", member.Email)
		return nil
	default:
		return fmt.Errorf("staff: unknown command %q; say add, list or disable", args[0])
	}
}

func staffAdd(ctx context.Context, svc *staff.Service, args []string, con console) error {
	flags := flag.NewFlagSet("staff add", flag.ContinueOnError)
	flags.SetOutput(con.err)
	role := flags.String("role", "", "admin or moderator")
	email, err := oneArgument(flags, args) // the flag before or after the address
	if err != nil {
		return err
	}
	if email == "" || *role == "" {
		return errors.New("usage: undersigned staff add EMAIL --role admin|moderator")
	}
	password, err := readPassword(con)
	if err != nil {
		return err
	}
	member, err := svc.Add(ctx, commandLine(), email, store.Role(*role), password)
	if err != nil {
		return err
	}
	fmt.Fprintf(con.out, "added %s as %s\n", member.Email, member.Role)
	return nil
}

// commandLine is who the audit log names for what the command line does:
// the machine user running it.
func commandLine() store.Actor {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = "unknown user"
	}
	return store.CommandLineActor(name)
}

// readPassword prompts twice, without echo, on a terminal; otherwise it reads
// the first line of standard input, so scripts can pipe it in.
func readPassword(con console) (string, error) {
	if f, ok := con.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(con.err, "Password (at least 12 characters): ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(con.err)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(con.err, "Again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(con.err)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(con.in).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func staffList(ctx context.Context, svc *staff.Service, con console) error {
	members, err := svc.List(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(con.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "EMAIL\tROLE\tSTATE\tLAST LOGIN")
	for _, m := range members {
		state, last := "active", "never"
		if m.Disabled {
			state = "disabled"
		}
		if m.LastLoginAt != nil {
			last = m.LastLoginAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", m.Email, m.Role, state, last)
	}
	return w.Flush()
}
