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
)

const usage = `concierge — WhatsApp and web commerce for Gulf merchants

Usage: concierge <command> [flags]

Commands:
  serve                      run the HTTP gateway (API, storefront, webhooks); GOGC defaults to 400
  worker                     run background jobs (River on PostgreSQL); HTTP_ADDR serves only /healthz and /readyz
  dev                        serve + worker in one process, for a laptop
  migrate up|down|status     apply, roll back one, or list schema migrations
  seed demo                  create the demo tenant, its WhatsApp number, catalog and staff (idempotent)
  tenant create              --slug S --name-en N --name-ar N [--locale ar|en] [--currency SAR] [--timezone Asia/Riyadh] [--json]
  tenant list                [--json]
  tenant show                --tenant SLUG [--json]
  tenant add-domain          --tenant SLUG --host HOST [--primary] [--json]
  tenant add-whatsapp-number --tenant SLUG --phone-number-id ID --display-phone +9665... --access-token T --app-secret S [--waba-id ID] [--json]
  tenant suspend|activate    --tenant SLUG [--json]
  user create                --email E --password-stdin [--platform-admin] [--tenant SLUG --role owner|manager|agent|viewer] [--json]
  catalog import             --tenant SLUG [--format auto|csv|tsv|json|google-tsv|google-xml] [--full] [--json] FILE|-|URL
                             import a feed and print the run's report (exits non-zero only when the run fails)
  catalog generate           [--variants N] [--seed S] FILE: write a synthetic catalog (default 100000 variants) for benchmarks
  catalog reindex            --tenant SLUG | --all: rebuild search rows and price/stock aggregates
  audit verify               recompute every audit chain; exits 1 when any entry was tampered with
  help                       this text

--json prints the same field names as the API (id, slug, name_en, ...).
Every process also serves Prometheus metrics on METRICS_ADDR (private; see below).

Environment (name, meaning, default):
`

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
		fmt.Fprint(stdout, usage+config.Help())
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage+config.Help())
		return nil
	}
	cfg, err := config.Load(nil)
	if err != nil {
		return err
	}
	if c, ok := commands[cmd]; ok {
		return c(ctx, cfg, rest, stdin, stdout)
	}
	return usageError{fmt.Sprintf("unknown command %q; run `concierge help`", cmd)}
}
