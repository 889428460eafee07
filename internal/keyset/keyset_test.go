package keyset

import (
	"testing"
	"time"
)

func TestRoundTripAndRefusals(t *testing.T) {
	c := Cursor{At: time.Date(2026, 12, 2, 10, 0, 0, 123456000, time.UTC), ID: "01a236c1-2adb-75aa-a60f-ea2cb307f902"}
	got, ok := Decode(c.Encode())
	if !ok || !got.At.Equal(c.At) || got.ID != c.ID {
		t.Fatalf("round trip: %+v %v", got, ok)
	}
	for _, bad := range []string{"", "!!!", Cursor{At: c.At}.Encode(), Cursor{ID: "x"}.Encode(), "eyJ0IjoxfQ"} {
		if _, ok := Decode(bad); ok {
			t.Errorf("%q decoded", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Cursor{At: time.Now(), ID: "a"}.Encode())
	f.Add("e30")
	f.Fuzz(func(t *testing.T, s string) {
		if c, ok := Decode(s); ok && (c.ID == "" || c.At.IsZero()) {
			t.Fatalf("accepted an empty cursor: %q", s)
		}
	})
}
