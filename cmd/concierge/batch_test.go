package main

import (
	"context"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"concierge/modules/whatsapp/cloudapi"
	"concierge/tenants"
)

// TestWebhookGroupCommitIsolatesABadDelivery sends many deliveries for one
// tenant at once, so they share a group-commit batch, one of them with a
// sender id the schema refuses. The bad one is refused on its own; every
// other delivery is stored exactly once and acknowledged.
func TestWebhookGroupCommitIsolatesABadDelivery(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeServe, nil)
	n := waTenant(t, ta, "batchy")
	const good = 20
	bodies := make([][]byte, 0, good+1)
	for i := 0; i < good; i++ {
		bodies = append(bodies, n.messages(nil, waText(waPhone(), "مرحبا")))
	}
	bad := waText(waPhone(), "hello")
	bad["from"] = "not-a-number"
	bodies = append(bodies, n.messages(map[string]string{"not-a-number": "x"}, bad))

	statuses := make([]int, len(bodies))
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = n.post(body, cloudapi.Sign(body, n.secret)).status
		}()
	}
	wg.Wait()
	for i := 0; i < good; i++ {
		if statuses[i] != 200 {
			t.Fatalf("good delivery %d answered %d", i, statuses[i])
		}
	}
	if s := statuses[good]; s < 400 || s >= 500 {
		t.Fatalf("the delivery with a malformed sender answered %d, want a 4xx refusal", s)
	}
	var stored, jobs int
	err := ta.app.deps.scope.InTenantTx(tenants.WithTenant(t.Context(), n.tenant), func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT conversation_id) FROM messages WHERE direction = 'in'`).Scan(&stored, &jobs)
	})
	if err != nil {
		t.Fatal(err)
	}
	if stored != good || jobs != good {
		t.Fatalf("stored %d messages in %d conversations, want %d each", stored, jobs, good)
	}
}
