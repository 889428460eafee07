// Command concierge is the one binary of the product and its composition
// root: it reads the configuration, builds every dependency and wires routes
// and jobs. Run `concierge help` for the subcommands and environment.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/google/uuid"

	"concierge/internal/config"
	"concierge/internal/errs"
	"concierge/internal/i18n"
)

// command runs one top-level command with the rest of the arguments.
type command func(ctx context.Context, cfg config.Config, args []string, stdin io.Reader, stdout io.Writer) error

// commands is every top-level command; `concierge help` lists each (a test
// holds the two together).
var commands = map[string]command{
	"serve": func(ctx context.Context, cfg config.Config, _ []string, _ io.Reader, out io.Writer) error {
		return serve(ctx, cfg, out, modeServe)
	},
	"worker": func(ctx context.Context, cfg config.Config, _ []string, _ io.Reader, out io.Writer) error {
		return serve(ctx, cfg, out, modeWorker)
	},
	"dev": func(ctx context.Context, cfg config.Config, _ []string, _ io.Reader, out io.Writer) error {
		return serve(ctx, cfg, out, modeDev)
	},
	"migrate": func(ctx context.Context, cfg config.Config, args []string, _ io.Reader, out io.Writer) error {
		return migrateCmd(ctx, cfg, args, out)
	},
	"seed": func(ctx context.Context, cfg config.Config, args []string, _ io.Reader, out io.Writer) error {
		return seedCmd(ctx, cfg, args, out)
	},
	"tenant": func(ctx context.Context, cfg config.Config, args []string, _ io.Reader, out io.Writer) error {
		return tenantCmd(ctx, cfg, args, out)
	},
	"user": userCmd,
	"catalog": func(ctx context.Context, cfg config.Config, args []string, _ io.Reader, out io.Writer) error {
		return catalogCmd(ctx, cfg, args, out)
	},
	"audit": func(ctx context.Context, cfg config.Config, args []string, _ io.Reader, out io.Writer) error {
		return auditCmd(ctx, cfg, args, out)
	},
}

func main() {
	// Request ids and row keys are UUIDv7: draw their randomness from a
	// pooled buffer instead of one crypto/rand read each. Must precede any
	// goroutine that makes UUIDs.
	uuid.EnableRandPool()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "concierge:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "concierge:", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, say(errs.M("cli.usage"))+config.Help(i18n.MustLoad(), cliLang()))
		return usage(errs.M("cli.no_command"))
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, say(errs.M("cli.usage"))+config.Help(i18n.MustLoad(), cliLang()))
		return nil
	}
	cfg, err := config.Load(nil)
	if err != nil {
		return err
	}
	if c, ok := commands[cmd]; ok {
		return c(ctx, cfg, rest, stdin, stdout)
	}
	return usage(errs.M("cli.unknown_command", "cmd", cmd))
}
