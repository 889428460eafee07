package catalog_test

import (
	"reflect"
	"testing"

	"concierge/modules/catalog"
)

// TestUnderstand reads the constraints out of shoppers' words in both
// languages (the examples first) and leaves the rest to search.
func TestUnderstand(t *testing.T) {
	t.Parallel()
	store := []catalog.OptionValue{
		{Option: "size", EN: "S"}, {Option: "size", EN: "M"}, {Option: "size", EN: "XL"}, {Option: "size", EN: "52"},
		{Option: "colour", AR: "أسود", EN: "Black"}, {Option: "colour", AR: "بيج", EN: "Beige"},
	}
	i := func(v int64) *int64 { return &v }
	tests := []struct {
		name, q  string
		text     string
		min, max *int64
		options  map[string]string
		applied  int
	}{
		{name: "arabic colour and size", q: "عباية سوداء مقاس M", text: "عباية", options: map[string]string{"colour": "Black", "size": "M"}, applied: 2},
		{name: "english colour and size", q: "black abaya size M", text: "abaya", options: map[string]string{"colour": "Black", "size": "M"}, applied: 2},
		{name: "english price bound", q: "abaya under 200", text: "abaya", max: i(20000), applied: 1},
		{name: "arabic price bound in arabic digits", q: "عطر أقل من ٣٠٠", text: "عطر", max: i(30000), applied: 1},
		{name: "currency word after the amount", q: "perfume below 150 SAR", text: "perfume", max: i(15000), applied: 1},
		{name: "arabic currency word", q: "عطر تحت ٢٠٠ ريال", text: "عطر", max: i(20000), applied: 1},
		{name: "lower bound", q: "oud over 500", text: "oud", min: i(50000), applied: 1},
		{name: "range", q: "abaya between 100 and 250", text: "abaya", min: i(10000), max: i(25000), applied: 2},
		{name: "arabic range", q: "عباية من ١٠٠ الى ٢٥٠", text: "عباية", min: i(10000), max: i(25000), applied: 2},
		{name: "decimal amount", q: "scarf under 99.50", text: "scarf", max: i(9950), applied: 1},
		{name: "bare size the store sells", q: "abaya XL", text: "abaya", options: map[string]string{"size": "XL"}, applied: 1},
		{name: "numeric size after its word", q: "عباية مقاس ٥٢", text: "عباية", options: map[string]string{"size": "52"}, applied: 1},
		{name: "a colour the store does not use stays a word", q: "red abaya", text: "red abaya"},
		{name: "a size the store does not sell stays a word", q: "abaya size XXL", text: "abaya size XXL"},
		{name: "a bound without an amount stays words", q: "under the sea", text: "under the sea"},
		{name: "a number that is not a bound stays a word", q: "chanel 5", text: "chanel 5"},
		{name: "nothing to understand", q: "عطر العود", text: "عطر العود"},
		{name: "only constraints", q: "black under 100", text: "", max: i(10000), options: map[string]string{"colour": "Black"}, applied: 2},
		{name: "empty", q: "   ", text: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := catalog.Understand(tc.q, "SAR", store)
			if got.Text != tc.text {
				t.Errorf("text %q, want %q", got.Text, tc.text)
			}
			if !samePrice(got.MinPrice, tc.min) || !samePrice(got.MaxPrice, tc.max) {
				t.Errorf("prices %v–%v, want %v–%v", deref(got.MinPrice), deref(got.MaxPrice), deref(tc.min), deref(tc.max))
			}
			want := tc.options
			if want == nil {
				want = map[string]string{}
			}
			if !reflect.DeepEqual(got.Options, want) {
				t.Errorf("options %v, want %v", got.Options, want)
			}
			if len(got.Applied) != tc.applied {
				t.Errorf("applied %+v, want %d filters", got.Applied, tc.applied)
			}
		})
	}
	// Each applied filter names the words it came from, so it can be shown
	// and undone.
	got := catalog.Understand("عباية سوداء مقاس M أقل من ٣٠٠", "SAR", store)
	from := map[string]string{}
	for _, f := range got.Applied {
		from[f.Name] = f.From
	}
	if from["colour"] != "سوداء" || from["size"] != "مقاس M" || from["max_price"] != "أقل من ٣٠٠" {
		t.Fatalf("applied filters' words: %+v", got.Applied)
	}
	// KWD has three decimals.
	if got := catalog.Understand("oud under 20", "KWD", store); got.MaxPrice == nil || *got.MaxPrice != 20000 {
		t.Fatalf("KWD bound: %v", deref(got.MaxPrice))
	}
}

func samePrice(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func FuzzUnderstand(f *testing.F) {
	for _, s := range []string{"عباية سوداء مقاس M", "abaya under 200", "بين ١ و", "between 5 and 1", "size", "under 99999999999999999999"} {
		f.Add(s)
	}
	store := []catalog.OptionValue{{Option: "size", EN: "M"}, {Option: "colour", AR: "أسود", EN: "Black"}}
	f.Fuzz(func(t *testing.T, q string) {
		u := catalog.Understand(q, "SAR", store)
		if u.MinPrice != nil && u.MaxPrice != nil && *u.MinPrice > *u.MaxPrice && len(u.Applied) == 2 {
			t.Fatalf("an inverted range from %q", q)
		}
		for _, p := range []*int64{u.MinPrice, u.MaxPrice} {
			if p != nil && *p <= 0 {
				t.Fatalf("a bound of %d from %q", *p, q)
			}
		}
	})
}
