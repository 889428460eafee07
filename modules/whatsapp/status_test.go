package whatsapp_test

import (
	"context"
	"testing"

	"concierge/modules/whatsapp"
	"concierge/modules/whatsapp/cloudapi"
)

// TestStatusesMoveForward: delivery statuses only ever move a message
// forward (Meta does not keep them in order), failed wins with Meta's error
// code, and another tenant's number cannot report on this tenant's
// messages.
func TestStatusesMoveForward(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, otherNumber, otherSecret := f.addShop("other")
	wa := phone()
	f.say(text(wa, "hello", f.clock.Now()))
	f.sendAll()
	w := f.cloud.taken()[0].WAMID
	pnid := f.number.PhoneNumberID
	steps := []struct {
		name    string
		body    []byte
		secret  string
		applied int
		want    string
	}{
		{"delivered", status(pnid, w, "", whatsapp.StatusDelivered, 0), f.secret, 1, whatsapp.StatusDelivered},
		{"a late sent", status(pnid, w, "", whatsapp.StatusSent, 0), f.secret, 0, whatsapp.StatusDelivered},
		{"another tenant's number", status(otherNumber.PhoneNumberID, w, "", whatsapp.StatusFailed, 131026), otherSecret, 0, whatsapp.StatusDelivered},
		{"read", status(pnid, w, "", whatsapp.StatusRead, 0), f.secret, 1, whatsapp.StatusRead},
		{"failed", status(pnid, w, "", whatsapp.StatusFailed, 131026), f.secret, 1, whatsapp.StatusFailed},
		{"a late delivered", status(pnid, w, "", whatsapp.StatusDelivered, 0), f.secret, 0, whatsapp.StatusFailed},
	}
	for _, st := range steps {
		res, err := f.svc.Ingest(context.Background(), st.body, cloudapi.Sign(st.body, st.secret))
		if err != nil || res.Statuses != st.applied {
			t.Fatalf("%s: %+v, %v; want %d applied", st.name, res, err, st.applied)
		}
		r := f.rows(whatsapp.Out)[0]
		if r.Status != st.want {
			t.Fatalf("after %s the message is %s, want %s", st.name, r.Status, st.want)
		}
	}
	if r := f.rows(whatsapp.Out)[0]; r.ErrorCode.Int64 != 131026 || r.ErrorDetail == "" {
		t.Fatalf("a failed message keeps Meta's error: %+v", r)
	}
}
