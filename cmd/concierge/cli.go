package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/uptrace/bun"

	"concierge/internal/config"
	"concierge/internal/db"
	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/modules/audit"
	"concierge/modules/identity"
	"concierge/tenants"
)

// cliActor names the operator in audit entries.
func cliActor() identity.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return identity.CLIActor(name)
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usage(errs.M("cli.bad_flags", "cmd", fs.Name(), "err", err.Error()))
	}
	if fs.NArg() > 0 {
		return usage(errs.M("cli.unexpected_argument", "cmd", fs.Name(), "arg", fs.Arg(0)))
	}
	return nil
}

// describeErr renders field errors readably for a person at a shell.
// The shell speaks the operator's language: Arabic when LANG says so,
// English otherwise (a C or POSIX terminal may not render Arabic).
func describeErr(err error) error {
	var e *errs.Error
	if !errors.As(err, &e) {
		return err
	}
	cat, lang := i18n.MustLoad(), cliLang()
	msg := cat.Message(lang, e.Msg)
	if len(e.Fields) == 0 {
		if msg == "" {
			return err
		}
		return errors.New(msg)
	}
	var parts []string
	for _, f := range e.Fields {
		parts = append(parts, fmt.Sprintf("--%s %s", strings.ReplaceAll(f.Field, "_", "-"), cat.Message(lang, f.Msg)))
	}
	return fmt.Errorf("%s %s", msg, strings.Join(parts, "; "))
}

// say renders a message of the shell in the operator's language.
func say(m errs.Message) string { return i18n.MustLoad().Message(cliLang(), m) }

// usage is a usage error (exit 2) with a message of the shell.
func usage(m errs.Message) error { return usageError{say(m)} }

// cliLang is the shell's language: ar when LANG (or LC_ALL) is Arabic.
func cliLang() string {
	for _, v := range []string{os.Getenv("LC_ALL"), os.Getenv("LANG")} {
		if strings.HasPrefix(strings.ToLower(v), "ar") {
			return i18n.AR
		}
	}
	return i18n.EN
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func migrateCmd(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) != 1 {
		return usage(errs.M("cli.usage_migrate"))
	}
	d, err := db.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer d.Close()
	switch args[0] {
	case "up":
		if err := db.MigrateUp(ctx, d.SQL, out); err != nil {
			return err
		}
		fmt.Fprintln(out, say(errs.M("cli.database_current")))
		return nil
	case "down":
		return db.MigrateDown(ctx, d.SQL, out)
	case "status":
		return db.Status(ctx, d.SQL, out)
	}
	return usage(errs.M("cli.usage_migrate"))
}

func tenantCmd(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return usage(errs.M("cli.usage_tenant"))
	}
	sub, args := args[0], args[1:]
	fs := newFlags("tenant " + sub)
	asJSON := fs.Bool("json", false, "print JSON")
	var (
		slug, nameEN, nameAR, locale, currency, tz string
		tenant, host, pnid, display, token, secret string
		waba                                       string
		primary                                    bool
	)
	switch sub {
	case "create":
		fs.StringVar(&slug, "slug", "", "")
		fs.StringVar(&nameEN, "name-en", "", "")
		fs.StringVar(&nameAR, "name-ar", "", "")
		fs.StringVar(&locale, "locale", "ar", "")
		fs.StringVar(&currency, "currency", "SAR", "")
		fs.StringVar(&tz, "timezone", "Asia/Riyadh", "")
	case "list":
	case "show", "suspend", "activate":
		fs.StringVar(&tenant, "tenant", "", "")
	case "add-domain":
		fs.StringVar(&tenant, "tenant", "", "")
		fs.StringVar(&host, "host", "", "")
		fs.BoolVar(&primary, "primary", false, "")
	case "add-whatsapp-number":
		fs.StringVar(&tenant, "tenant", "", "")
		fs.StringVar(&pnid, "phone-number-id", "", "")
		fs.StringVar(&display, "display-phone", "", "")
		fs.StringVar(&token, "access-token", "", "")
		fs.StringVar(&secret, "app-secret", "", "")
		fs.StringVar(&waba, "waba-id", "", "")
	default:
		return usage(errs.M("cli.unknown_subcommand", "cmd", "tenant", "sub", sub))
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if tenant == "" && sub != "create" && sub != "list" {
		return usage(errs.M("cli.tenant_required", "sub", sub))
	}
	d, err := openDeps(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	v := httpx.NewValidator()
	actor := cliActor().String()
	var result any
	switch sub {
	case "create":
		in := tenants.CreateInput{Slug: slug, NameEN: nameEN, NameAR: nameAR, DefaultLocale: locale, Currency: currency, Timezone: tz}
		if err := v.Clean(&in); err != nil {
			return describeErr(err)
		}
		t, err := d.tenants.Create(ctx, actor, in)
		if err != nil {
			return describeErr(err)
		}
		result = tenants.ToAPITenant(t)
	case "list":
		ts, err := d.tenants.List(ctx)
		if err != nil {
			return err
		}
		if !*asJSON {
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, say(errs.M("cli.tenant_list_header")))
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Status, t.NameEN, t.NameAR, t.DefaultLocale, t.Currency, t.ID)
			}
			return tw.Flush()
		}
		out := make([]tenants.APITenant, len(ts))
		for i := range ts {
			out[i] = tenants.ToAPITenant(&ts[i])
		}
		result = out
	case "show":
		t, err := d.tenants.Get(ctx, tenant)
		if err != nil {
			return err
		}
		doms, err := d.tenants.Domains(ctx, tenant)
		if err != nil {
			return err
		}
		nums, err := d.tenants.Numbers(ctx, tenant)
		if err != nil {
			return err
		}
		apiDoms := make([]tenants.APIDomain, len(doms))
		for i, dom := range doms {
			apiDoms[i] = tenants.ToAPIDomain(dom)
		}
		apiNums := make([]tenants.APINumber, len(nums))
		for i, n := range nums {
			apiNums[i] = tenants.ToAPINumber(n)
		}
		result = map[string]any{"tenant": tenants.ToAPITenant(t), "domains": apiDoms, "whatsapp_numbers": apiNums}
	case "add-domain":
		in := tenants.DomainInput{Host: host, IsPrimary: primary}
		if err := v.Clean(&in); err != nil {
			return describeErr(err)
		}
		dom, err := d.tenants.AddDomain(ctx, actor, tenant, in)
		if err != nil {
			return describeErr(err)
		}
		result = tenants.ToAPIDomain(*dom)
	case "add-whatsapp-number":
		in := tenants.NumberInput{PhoneNumberID: pnid, DisplayPhone: display, WABAID: waba, AccessToken: token, AppSecret: secret}
		if err := v.Clean(&in); err != nil {
			return describeErr(err)
		}
		n, err := d.tenants.AddNumber(ctx, actor, tenant, in)
		if err != nil {
			return describeErr(err)
		}
		result = tenants.ToAPINumber(*n)
	case "suspend":
		t, err := d.tenants.Suspend(ctx, actor, tenant)
		if err != nil {
			return err
		}
		result = tenants.ToAPITenant(t)
	case "activate":
		st := tenants.StatusActive
		t, err := d.tenants.Update(ctx, actor, tenant, tenants.UpdateInput{Status: &st})
		if err != nil {
			return err
		}
		result = tenants.ToAPITenant(t)
	}
	if *asJSON {
		return writeJSON(out, result)
	}
	return printRecord(out, result)
}

// printRecord prints a record as "key: value" lines for a person.
func printRecord(out io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		_, err := fmt.Fprintln(out, string(b))
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, k := range keys {
		fmt.Fprintf(tw, "%s:\t%v\n", k, m[k])
	}
	return tw.Flush()
}

func auditCmd(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) != 1 || args[0] != "verify" {
		return usage(errs.M("cli.usage_audit"))
	}
	d, err := openDeps(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	var problems []audit.Problem
	var n int
	err = d.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		problems, n, err = audit.Verify(ctx, tx, out)
		return err
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return errors.New(say(errs.M("cli.audit_broken", "bad", len(problems), "total", n)))
	}
	fmt.Fprintln(out, say(errs.M("cli.audit_intact", "total", n)))
	return nil
}
