package tenants_test

import (
	"context"
	"testing"

	"concierge/tenants"
)

// AllNumbers lists every tenant's numbers without opening their secrets,
// saying only that each is stored.
func TestAllNumbers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.tenant(t, "numa"), f.tenant(t, "numb")
	for i, slug := range []string{"numa", "numb", "numa"} {
		if _, err := f.svc.AddNumber(ctx, "test", slug, tenants.NumberInput{PhoneNumberID: "55500" + string(rune('1'+i)),
			DisplayPhone: "+96650000000" + string(rune('1'+i)), AccessToken: "token", AppSecret: "secret"}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := f.svc.AllNumbers(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("AllNumbers: %+v %v", all, err)
	}
	per := map[[16]byte]int{}
	for _, n := range all {
		per[n.TenantID]++
		if n.AccessToken != "" || n.AppSecret != "" || !n.HasAccessToken || !n.HasAppSecret {
			t.Fatalf("a listed number: %+v", n)
		}
	}
	if per[a.ID] != 2 || per[b.ID] != 1 {
		t.Fatalf("numbers per tenant: %v", per)
	}
}
