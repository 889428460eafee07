package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"concierge/internal/testenv"
	"concierge/modules/audit"
	"concierge/modules/moduletest"
	"concierge/tenants"
)

// The platform viewer: Search filters by chain, actor, action and time and
// pages newest first; VerifyAll says intact, then names the first entry a
// superuser changed; RecordPlatform extends the platform chain.
func TestSearchAndVerifyAll(t *testing.T) {
	t.Parallel()
	env := moduletest.New(t)
	log := audit.New(audit.Config{}, audit.Deps{Scope: env.Scope})
	ctx := context.Background()
	a, b := env.Tenant(t, "auda"), env.Tenant(t, "audb") // tenant.create and domain.add each
	// An action that fails records nothing; one that succeeds records its
	// entry, with what it returns as the state before, in its transaction.
	failed := errors.New("the job is running")
	if err := log.RecordPlatform(ctx, tenants.AuditEntry{Actor: "user:root@platform.test", Action: "job.retry", Target: "job:6"},
		func(context.Context, *sql.Tx) (map[string]any, error) { return nil, failed }); !errors.Is(err, failed) {
		t.Fatalf("a failed action: %v", err)
	}
	if err := log.RecordPlatform(ctx, tenants.AuditEntry{Actor: "user:root@platform.test", Action: "job.retry", Target: "job:7"},
		func(ctx context.Context, tx *sql.Tx) (map[string]any, error) {
			var one int
			return map[string]any{"state": "discarded"}, tx.QueryRowContext(ctx, "SELECT 1").Scan(&one)
		}); err != nil {
		t.Fatal(err)
	}

	search := func(q audit.Query) audit.Page {
		t.Helper()
		p, err := log.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	all := search(audit.Query{})
	if len(all.Entries) != 5 || all.Next != 0 || all.Entries[0].Action != "job.retry" {
		t.Fatalf("every entry: %+v", all)
	}
	if p := search(audit.Query{Tenant: b.ID}); len(p.Entries) != 2 || p.Entries[0].TenantID != b.ID || p.Entries[1].Action != "tenant.create" {
		t.Fatalf("b's chain: %+v", p.Entries)
	}
	if p := search(audit.Query{Platform: true}); len(p.Entries) != 1 || p.Entries[0].TenantID != uuid.Nil {
		t.Fatalf("the platform chain: %+v", p.Entries)
	}
	if p := search(audit.Query{Actor: "root@platform"}); len(p.Entries) != 1 || p.Entries[0].Target != "job:7" || string(p.Entries[0].Before) != `{"state": "discarded"}` || p.Entries[0].Seq != 1 {
		t.Fatalf("by actor: %+v", p.Entries)
	}
	if p := search(audit.Query{Action: "domain.", Tenant: a.ID}); len(p.Entries) != 1 || p.Entries[0].Action != "domain.add" {
		t.Fatalf("by action prefix: %+v", p.Entries)
	}
	if p := search(audit.Query{Action: "%"}); len(p.Entries) != 0 {
		t.Fatalf("a LIKE pattern is taken literally: %+v", p.Entries)
	}
	now := time.Now()
	if p := search(audit.Query{From: now.Add(-time.Hour), To: now.Add(time.Hour)}); len(p.Entries) != 5 {
		t.Fatalf("this hour: %d entries", len(p.Entries))
	}
	if p := search(audit.Query{To: now.Add(-time.Hour)}); len(p.Entries) != 0 {
		t.Fatalf("before an hour ago: %d entries", len(p.Entries))
	}
	first := search(audit.Query{Limit: 2})
	second := search(audit.Query{Limit: 2, Before: first.Next})
	third := search(audit.Query{Limit: 2, Before: second.Next})
	if len(first.Entries) != 2 || len(second.Entries) != 2 || len(third.Entries) != 1 || third.Next != 0 ||
		second.Entries[0].ID >= first.Entries[1].ID || third.Entries[0].ID >= second.Entries[1].ID {
		t.Fatalf("pages of 2: %+v / %+v / %+v", first, second, third)
	}

	v, err := log.VerifyAll(ctx)
	if err != nil || v.Entries != 5 || v.First != nil || v.Problems != 0 {
		t.Fatalf("intact log: %+v %v", v, err)
	}
	owner := testenv.Open(t, env.URLs.AdminURL)
	for _, stmt := range []string{
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`,
		`UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = '` + b.ID.String() + `' AND seq = 2`,
	} {
		if _, err := owner.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	v, err = log.VerifyAll(ctx)
	if err != nil || v.First == nil || v.First.TenantID != b.ID || v.First.Seq != 2 || v.Problems != 1 {
		t.Fatalf("a changed entry: %+v %v", v, err)
	}
}
