package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// RLSProblems walks the catalog and lists every table in the public schema
// with a tenant_id column that lacks enabled and forced row-level security, or
// lacks a policy that reads app.tenant_id for both USING and WITH CHECK, or is
// owned by the application role.
func RLSProblems(ctx context.Context, q *sql.DB) ([]string, error) {
	rows, err := q.QueryContext(ctx, `
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner),
       COALESCE((SELECT bool_or(p.qual LIKE '%app.tenant_id%' AND p.with_check LIKE '%app.tenant_id%'
                                AND 'public' = ANY(p.roles))
                   FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname), false)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
ORDER BY c.relname`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	n := 0
	for rows.Next() {
		n++
		var name, owner string
		var enabled, forced, policy bool
		if err := rows.Scan(&name, &enabled, &forced, &owner, &policy); err != nil {
			return nil, err
		}
		var miss []string
		if !enabled {
			miss = append(miss, "RLS not enabled")
		}
		if !forced {
			miss = append(miss, "RLS not forced")
		}
		if !policy {
			miss = append(miss, "no tenant policy on app.tenant_id (USING and WITH CHECK)")
		}
		if owner == "concierge_app" {
			miss = append(miss, "owned by the app role")
		}
		if len(miss) > 0 {
			problems = append(problems, fmt.Sprintf("%s: %s", name, strings.Join(miss, ", ")))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return []string{"no table with a tenant_id column found: the check would prove nothing"}, nil
	}
	return problems, nil
}
