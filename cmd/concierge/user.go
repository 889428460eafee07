package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"concierge/internal/config"
	"concierge/internal/errs"
	"concierge/modules/identity"
)

func userCmd(ctx context.Context, cfg config.Config, args []string, stdin io.Reader, out io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usage(errs.M("cli.usage_user"))
	}
	fs := newFlags("user create")
	email := fs.String("email", "", "")
	pwStdin := fs.Bool("password-stdin", false, "")
	platformAdmin := fs.Bool("platform-admin", false, "")
	tenant := fs.String("tenant", "", "")
	role := fs.String("role", "", "")
	asJSON := fs.Bool("json", false, "")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *email == "" || !*pwStdin {
		return usage(errs.M("cli.user_needs_email"))
	}
	if (*tenant == "") != (*role == "") {
		return usage(errs.M("cli.user_tenant_role"))
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	d, err := openDeps(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	svc, err := newIdentity(d)
	if err != nil {
		return err
	}
	u, created, err := svc.CreateUser(identity.WithActor(ctx, cliActor()), identity.CreateUserInput{
		Email: *email, Password: password, PlatformAdmin: *platformAdmin, TenantSlugOrID: *tenant, Role: *role,
	})
	if err != nil {
		return describeErr(err)
	}
	if *asJSON {
		return writeJSON(out, map[string]any{"id": u.ID, "email": u.Email, "platform_admin": u.PlatformAdmin, "created": created})
	}
	msg := errs.M("cli.user_updated", "email", u.Email, "id", u.ID.String())
	if created {
		msg = errs.M("cli.user_created", "email", u.Email, "id", u.ID.String())
	}
	fmt.Fprintln(out, say(msg))
	return nil
}

// seedUsers makes the demo owner and platform admin (idempotent).
func seedUsers(ctx context.Context, d *deps, out io.Writer) error {
	svc, err := newIdentity(d)
	if err != nil {
		return err
	}
	ctx = identity.WithActor(ctx, identity.SystemActor("seed"))
	for _, in := range []identity.CreateUserInput{
		{Email: demoOwnerEmail, Password: demoPassword, TenantSlugOrID: demoSlug, Role: "owner"},
		{Email: demoAdminEmail, Password: demoPassword, PlatformAdmin: true},
	} {
		u, created, err := svc.CreateUser(ctx, in)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintln(out, say(errs.M("cli.seed_user", "email", u.Email)))
		}
	}
	return nil
}
