package identity

import (
	"sort"
	"strings"
	"testing"
)

// TestPolicy holds policy.csv to the permission table the product promises.
func TestPolicy(t *testing.T) {
	t.Parallel()
	a, err := newAuthorizer()
	if err != nil {
		t.Fatal(err)
	}
	const tenant = "0190a6f0-0000-7000-8000-000000000001"
	all := []string{"store:read", "staff:read", "staff:write", "catalog:read", "catalog:write", "orders:read", "orders:write",
		"returns:read", "returns:write", "conversations:read", "conversations:write", "templates:read", "templates:write",
		"settings:read", "settings:write", "audit:read", "platform:read", "platform:write", "jobs:read", "jobs:write"}
	tenantAll := all[:16]
	reads := func() []string {
		var out []string
		for _, p := range tenantAll {
			if strings.HasSuffix(p, ":read") {
				out = append(out, p)
			}
		}
		return out
	}
	without := func(list []string, drop ...string) []string {
		var out []string
	next:
		for _, p := range list {
			for _, d := range drop {
				if p == d {
					continue next
				}
			}
			out = append(out, p)
		}
		return out
	}
	tests := []struct {
		role, domain string
		allowed      []string
	}{
		{RoleOwner, tenant, tenantAll},
		{RoleManager, tenant, without(tenantAll, "staff:write", "settings:write")},
		{RoleAgent, tenant, []string{"store:read", "conversations:read", "conversations:write", "orders:read", "catalog:read", "templates:read"}},
		{RoleViewer, tenant, reads()},
		{RolePlatformAdmin, tenant, tenantAll},
		{RolePlatformAdmin, PlatformDomain, []string{"platform:read", "platform:write", "jobs:read", "jobs:write", "audit:read"}},
		{RoleOwner, PlatformDomain, nil},
		{RoleViewer, PlatformDomain, nil},
		{"", tenant, nil},
		{"stranger", tenant, nil},
	}
	for _, tc := range tests {
		t.Run(tc.role+"@"+tc.domain, func(t *testing.T) {
			var got []string
			for _, p := range all {
				obj, act, _ := strings.Cut(p, ":")
				ok, err := a.allowed([]string{tc.role}, tc.domain, obj, act)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					got = append(got, p)
				}
			}
			want := append([]string(nil), tc.allowed...)
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("allowed %v\nwant    %v", got, want)
			}
		})
	}
}

// TestPolicyConcurrentReads runs many checks at once; with -race it proves
// the read-only enforcer needs no further locking.
func TestPolicyConcurrentReads(t *testing.T) {
	t.Parallel()
	a, err := newAuthorizer()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for range 200 {
				got, err := a.allowed([]string{RolePlatformAdmin, RoleViewer}, "0190a6f0-0000-7000-8000-000000000001", "catalog", "write")
				ok = ok && err == nil && got
				got, err = a.allowed([]string{RoleAgent}, PlatformDomain, "platform", "read")
				ok = ok && err == nil && !got
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Fatal("a concurrent check answered wrongly")
		}
	}
}
