package cod_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"concierge/plugins/payments"
	"concierge/plugins/payments/cod"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func settings(kv ...string) payments.Settings {
	s := payments.Settings{Enabled: true, Values: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Values[kv[i]] = kv[i+1]
	}
	return s
}

func TestDescription(t *testing.T) {
	t.Parallel()
	p := cod.New()
	if p.Name() != "cod" {
		t.Errorf("Name() = %q", p.Name())
	}
	want := payments.Capabilities{SeparateCapture: true, Refunds: true, PartialRefund: true, CustomerConfirms: true, Local: true}
	if got := p.Capabilities(); !reflect.DeepEqual(got, want) {
		t.Errorf("Capabilities() = %+v, want %+v", got, want)
	}
	fields := map[string]payments.Field{}
	for _, f := range p.Fields() {
		fields[f.Name] = f
	}
	tests := []struct {
		name     string
		kind     payments.FieldKind
		def      string
		min, max int64
	}{
		{"max_order_total", payments.FieldMoney, "0", 0, 0},
		{"confirm_within", payments.FieldDuration, "24h", 300, 7 * 24 * 3600},
		{"max_refusals", payments.FieldInt, "2", 0, 100},
	}
	if len(fields) != len(tests) {
		t.Errorf("Fields() has %d fields, want %d", len(fields), len(tests))
	}
	for _, tt := range tests {
		f, ok := fields[tt.name]
		if !ok {
			t.Errorf("no field %s", tt.name)
			continue
		}
		if f.Kind != tt.kind || f.Default != tt.def || f.Min != tt.min || f.Max != tt.max || f.Required {
			t.Errorf("field %s = %+v", tt.name, f)
		}
		// Each default reads back as what Limits takes for a missing value.
		withDefault, _, _ := cod.Limits(settings(tt.name, tt.def))
		missing, _, _ := cod.Limits(settings())
		if withDefault != missing {
			t.Errorf("field %s default %q reads %d, missing reads %d", tt.name, tt.def, withDefault, missing)
		}
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings payments.Settings
		total    int64
		within   time.Duration
		refusals int
	}{
		{"nothing set", settings(), 0, 24 * time.Hour, 2},
		{"all set", settings("max_order_total", "150000", "confirm_within", "90m", "max_refusals", "0"), 150000, 90 * time.Minute, 0},
		{"bounds themselves", settings("confirm_within", "5m", "max_refusals", "100"), 0, 5 * time.Minute, 100},
		{"a week", settings("confirm_within", "168h"), 0, 168 * time.Hour, 2},
		{"garbage", settings("max_order_total", "lots", "confirm_within", "soon", "max_refusals", "two"), 0, 24 * time.Hour, 2},
		{"negative", settings("max_order_total", "-1", "confirm_within", "-1h", "max_refusals", "-1"), 0, 24 * time.Hour, 2},
		{"decimal money", settings("max_order_total", "1500.00"), 0, 24 * time.Hour, 2},
		{"too short", settings("confirm_within", "4m59s"), 0, 24 * time.Hour, 2},
		{"too long", settings("confirm_within", "169h"), 0, 24 * time.Hour, 2},
		{"too many refusals", settings("max_refusals", "101"), 0, 24 * time.Hour, 2},
		{"int overflow", settings("max_order_total", "99999999999999999999"), 0, 24 * time.Hour, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			total, within, refusals := cod.Limits(tt.settings)
			if total != tt.total || within != tt.within || refusals != tt.refusals {
				t.Errorf("Limits(%v) = %d, %v, %d; want %d, %v, %d", tt.settings.Values, total, within, refusals, tt.total, tt.within, tt.refusals)
			}
		})
	}
}

func TestInitiate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings payments.Settings
		amount   int64
		expires  time.Time
		err      error
	}{
		{"no limit", settings(), 9_999_999, now.Add(24 * time.Hour), nil},
		{"zero is no limit", settings("max_order_total", "0"), 9_999_999, now.Add(24 * time.Hour), nil},
		{"at the limit", settings("max_order_total", "150000"), 150000, now.Add(24 * time.Hour), nil},
		{"over the limit", settings("max_order_total", "150000"), 150001, time.Time{}, cod.ErrOverLimit},
		{"own confirmation window", settings("confirm_within", "2h"), 100, now.Add(2 * time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := cod.New().Initiate(context.Background(), payments.PaymentRequest{
				Settings: tt.settings, PaymentID: "pay_1", OrderID: "ord_1", Amount: tt.amount, Currency: "SAR", Now: now,
			})
			if tt.err != nil {
				var ne *payments.NotEligibleError
				if !errors.Is(err, tt.err) || !errors.Is(err, payments.ErrDeclined) || !errors.As(err, &ne) || ne.Reason != "max_order_total" {
					t.Fatalf("Initiate error = %v, want %v, payments.ErrDeclined and max_order_total", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := payments.Session{Ref: "cod_pay_1", Status: payments.StatusAuthorized, ExpiresAt: tt.expires}
			if s != want {
				t.Errorf("Initiate = %+v, want %+v", s, want)
			}
		})
	}

	t.Run("needs a payment id and a clock", func(t *testing.T) {
		t.Parallel()
		for _, req := range []payments.PaymentRequest{{Now: now, Amount: 1}, {PaymentID: "pay_1", Amount: 1}} {
			if _, err := cod.New().Initiate(context.Background(), req); err == nil {
				t.Errorf("Initiate(%+v) succeeded", req)
			}
		}
	})
}

func TestEligible(t *testing.T) {
	t.Parallel()
	limits := settings("max_order_total", "150000", "max_refusals", "2")
	tests := []struct {
		name     string
		settings payments.Settings
		check    payments.EligibilityCheck
		reason   string // "": eligible
		limit    int64
	}{
		{"within both limits", limits, payments.EligibilityCheck{Amount: 150000, Currency: "SAR", Refusals: 1}, "", 0},
		{"over the order cap", limits, payments.EligibilityCheck{Amount: 150001, Currency: "SAR"}, "max_order_total", 150000},
		{"refused twice", limits, payments.EligibilityCheck{Amount: 100, Currency: "SAR", Refusals: 2}, "max_refusals", 2},
		{"defaults: no cap, two refusals", settings(), payments.EligibilityCheck{Amount: 1 << 40, Refusals: 2}, "max_refusals", 2},
		{"max_refusals 0 never turns cash on delivery off", settings("max_refusals", "0"), payments.EligibilityCheck{Amount: 100, Refusals: 50}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := cod.New().Eligible(tt.settings, tt.check)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Eligible = %v, want nil", err)
				}
				return
			}
			var ne *payments.NotEligibleError
			if !errors.As(err, &ne) || !errors.Is(err, payments.ErrNotEligible) || ne.Reason != tt.reason || ne.Limit != tt.limit {
				t.Fatalf("Eligible = %v, want %s (limit %d)", err, tt.reason, tt.limit)
			}
		})
	}
}

func TestOperations(t *testing.T) {
	t.Parallel()
	p := cod.New()
	ctx := context.Background()
	op := payments.Operation{Settings: settings(), PaymentID: "pay_1", Ref: "cod_pay_1", Amount: 4500, Currency: "SAR", Now: now}

	if r, err := p.Capture(ctx, op); err != nil || r != (payments.Result{Status: payments.StatusCaptured, Amount: 4500}) {
		t.Errorf("Capture = %+v, %v", r, err)
	}
	if r, err := p.Refund(ctx, op); err != nil || r.Amount != 4500 || r.Ref != "" {
		t.Errorf("Refund = %+v, %v", r, err)
	}
	if r, err := p.Cancel(ctx, op); err != nil || r.Status != payments.StatusCancelled {
		t.Errorf("Cancel = %+v, %v", r, err)
	}
	if _, err := p.Status(ctx, op); !errors.Is(err, payments.ErrUnsupported) {
		t.Errorf("Status error = %v, want ErrUnsupported", err)
	}
	if ev, err := p.HandleWebhook(ctx, payments.WebhookRequest{Body: []byte("{}"), Now: now}); !errors.Is(err, payments.ErrUnsupported) || ev != nil {
		t.Errorf("HandleWebhook = %v, %v; want ErrUnsupported", ev, err)
	}

	// The cash on delivery flow through the shared state machine: authorised
	// at checkout, captured on delivery, part of it handed back.
	s := payments.State{Status: payments.StatusPending, Amount: 4500}
	var err error
	if s, err = payments.Next(s, payments.EventAuthorized, 0); err != nil {
		t.Fatal(err)
	}
	captured, _ := p.Capture(ctx, op)
	if s, err = payments.Next(s, payments.EventCaptured, captured.Amount); err != nil {
		t.Fatal(err)
	}
	refund, _ := p.Refund(ctx, payments.Operation{Amount: 1500})
	if s, err = payments.Next(s, payments.EventRefunded, s.Refunded+refund.Amount); err != nil {
		t.Fatal(err)
	}
	if want := (payments.State{Status: payments.StatusPartiallyRefunded, Amount: 4500, Captured: 4500, Refunded: 1500}); s != want {
		t.Errorf("after capture and refund: %+v, want %+v", s, want)
	}
}
