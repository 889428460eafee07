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
  worker                     run background jobs (River on PostgreSQL); HTTP_ADDR serves only /healthz, /readyz, /metrics
  dev                        serve + worker in one process, for a laptop
  migrate up|down|status     apply, roll back one, or list schema migrations
  seed demo                  create the demo tenant, its WhatsApp number and staff (idempotent)
  tenant create              --slug S --name-en N --name-ar N [--locale ar|en] [--currency SAR] [--timezone Asia/Riyadh] [--json]
  tenant list                [--json]
  tenant show                --tenant SLUG [--json]
  tenant add-domain          --tenant SLUG --host HOST [--primary] [--json]
  tenant add-whatsapp-number --tenant SLUG --phone-number-id ID --display-phone +9665... --access-token T --app-secret S [--waba-id ID] [--json]
  tenant suspend|activate    --tenant SLUG [--json]
  user create                --email E --password-stdin [--platform-admin] [--tenant SLUG --role owner|manager|agent|viewer] [--json]
  audit verify               recompute every audit chain; exits 1 when any entry was tampered with
  help                       this text

Environment (name, meaning, default):
`

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
	switch cmd {
	case "serve":
		return serve(ctx, cfg, stdout, modeServe)
	case "worker":
		return serve(ctx, cfg, stdout, modeWorker)
	case "dev":
		return serve(ctx, cfg, stdout, modeDev)
	case "migrate":
		return migrateCmd(ctx, cfg, rest, stdout)
	case "seed":
		return seedCmd(ctx, cfg, rest, stdout)
	case "tenant":
		return tenantCmd(ctx, cfg, rest, stdout)
	case "user":
		return userCmd(ctx, cfg, rest, stdin, stdout)
	case "catalog":
		return catalogCmd(ctx, cfg, args[1:], stdout)
	case "audit":
		return auditCmd(ctx, cfg, rest, stdout)
	}
	return usageError{fmt.Sprintf("unknown command %q; run `concierge help`", cmd)}
}
