package orders_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/modules/moduletest"
	"concierge/modules/orders"
)

// payments stands in for checkout's payments reader: each order's
// payments, oldest first.
type payments map[uuid.UUID][]orders.Payment

func (p payments) OrderPayments(_ context.Context, _ bun.IDB, ids []uuid.UUID) (map[uuid.UUID][]orders.Payment, error) {
	out := map[uuid.UUID][]orders.Payment{}
	for _, id := range ids {
		out[id] = p[id]
	}
	return out, nil
}

// TestForContact: a WhatsApp customer's orders are those linked to them
// and those placed with their phone, newest first, drafts left out, each
// with its latest payment's state; another tenant's are never among them.
func TestForContact(t *testing.T) {
	t.Parallel()
	env := moduletest.New(t)
	pay := payments{}
	svc := orders.New(orders.Config{}, orders.Deps{Scope: env.Scope, Payments: pay, Log: env.Log})
	shop, other := env.Tenant(t, "contact"), env.Tenant(t, "contactb")
	const phone, otherPhone = "+966551230001", "+966551230002"

	customer := func(s moduletest.Shop, wa string) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		if err := env.Scope.InTenantTx(s.Ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO customers (tenant_id, id, wa_id) VALUES (?, ?, ?)`, s.ID, id, wa)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	n := 0
	place := func(s moduletest.Shop, customerID *uuid.UUID, phone, status string) uuid.UUID {
		n++
		o := &orders.Order{CartID: fmt.Sprintf("cart-%d", n), Channel: "web", CustomerID: customerID, CustomerName: "Sara",
			CustomerPhone: phone, Locale: "ar", Status: status, PaymentMethod: "cod",
			Totals:  orders.Totals{Currency: "SAR", Subtotal: 1000, Total: 1000, VATRateBP: 1500, VATIncluded: true},
			Address: orders.Address{City: "Riyadh"}}
		if err := env.Scope.InTenantTx(s.Ctx, func(ctx context.Context, tx bun.Tx) error { return svc.CreateTx(ctx, tx, o, "test") }); err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	cust := customer(shop, "966551230001")
	linked := place(shop, &cust, "+966500000009", orders.StatusConfirmed) // another phone, linked by customer
	byPhone := place(shop, nil, phone, orders.StatusDelivered)            // on the web with their phone
	place(shop, nil, phone, orders.StatusPendingPayment)                  // a draft: left out
	place(shop, nil, otherPhone, orders.StatusConfirmed)                  // someone else
	place(other, nil, phone, orders.StatusConfirmed)                      // another store
	pay[byPhone] = []orders.Payment{{Provider: "cod", Status: "pending"}, {Provider: "cod", Status: "captured"}}

	got, err := svc.ForContact(shop.Ctx, cust, phone, 10)
	if err != nil || len(got) != 2 || got[0].ID != byPhone || got[1].ID != linked {
		t.Fatalf("orders: %+v %v", got, err)
	}
	if got[0].PaymentStatus != "captured" || got[1].PaymentStatus != "" {
		t.Errorf("payment states: %q %q", got[0].PaymentStatus, got[1].PaymentStatus)
	}
	if one, err := svc.ForContact(shop.Ctx, cust, phone, 1); err != nil || len(one) != 1 || one[0].ID != byPhone {
		t.Errorf("limit 1: %+v %v", one, err)
	}
	if none, err := svc.ForContact(other.Ctx, cust, "", 10); err != nil || len(none) != 0 {
		t.Errorf("another tenant by this customer id: %+v %v", none, err)
	}
}
