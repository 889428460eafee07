package catalog_test

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"concierge/internal/arabic"
	"concierge/modules/catalog"
)

// understoodCase is a shopper's query mixing words and constraints: the
// filters it must derive (name=value, sorted), a product that must be among
// the results (English title; "" none required) and whether nothing may
// match.
type understoodCase struct {
	q       string
	filters string
	want    string
	none    bool
}

// understoodSet are the mixed queries of issue 13, against the demo
// catalog, in both languages.
var understoodSet = map[string][]understoodCase{
	"en": {
		{q: "black abaya size M", filters: "colour=Black size=M", want: "Classic Black Abaya"},
		{q: "abaya under 200", filters: "max_price=20000", want: "Black Crepe Abaya"},
		{q: "abaya below 200 SAR", filters: "max_price=20000"},
		{q: "perfume under 300", filters: "max_price=30000"},
		{q: "black abaya", filters: "colour=Black", want: "Classic Black Abaya"},
		{q: "navy abaya", filters: "colour=Navy", want: "Navy Embroidered Abaya"},
		{q: "abaya size XL", filters: "size=XL", want: "Classic Black Abaya"},
		{q: "abaya size L under 300", filters: "max_price=30000 size=L"},
		{q: "watch over 1000", filters: "min_price=100000", want: "Diver Watch"},
		{q: "watch more than 700", filters: "min_price=70000", want: "Sport Smart Watch"},
		{q: "watch between 500 and 900", filters: "max_price=90000 min_price=50000", want: "Men's Silver Wristwatch"},
		{q: "green smart watch", filters: "colour=Green", want: "Sport Smart Watch"},
		{q: "thobe size 54", filters: "size=54"},
		{q: "white thobe size 56", filters: "colour=White size=56"},
		{q: "ring size 9", filters: "size=9", want: "Silver Ring"},
		{q: "pink dress size 6Y", filters: "colour=Pink size=6Y", want: "Girls' Eid Dress"},
		{q: "kids jalabiya green", filters: "colour=Green", want: "Kids' Jalabiya"},
		{q: "leather bracelet brown", filters: "colour=Brown", want: "Men's Leather Bracelet"},
		{q: "abaya up to 250 riyals", filters: "max_price=25000", want: "Classic Black Abaya"},
		{q: "cheaper than 100", filters: "max_price=10000"},
		{q: "black", filters: "colour=Black", want: "Classic Black Abaya"},
		{q: "abaya under 10", filters: "max_price=1000", none: true},
		{q: "purple abaya size XL", filters: "colour=Purple size=XL", none: true},
	},
	"ar": {
		{q: "عباية سوداء مقاس M", filters: "colour=Black size=M", want: "Classic Black Abaya"},
		{q: "عطر أقل من ٣٠٠", filters: "max_price=30000"},
		{q: "عباية أقل من 200", filters: "max_price=20000", want: "Black Crepe Abaya"},
		{q: "عبايه سوداء", filters: "colour=Black", want: "Classic Black Abaya"},
		{q: "عباية كحلي", filters: "colour=Navy", want: "Navy Embroidered Abaya"},
		{q: "عباية مقاس XL", filters: "size=XL", want: "Classic Black Abaya"},
		{q: "عباية مقاس L تحت ٣٠٠ ريال", filters: "max_price=30000 size=L"},
		{q: "ساعة أكثر من ١٠٠٠", filters: "min_price=100000", want: "Diver Watch"},
		{q: "ساعة فوق 700", filters: "min_price=70000", want: "Sport Smart Watch"},
		{q: "ساعة بين ٥٠٠ و ٩٠٠", filters: "max_price=90000 min_price=50000", want: "Men's Silver Wristwatch"},
		{q: "ساعة ذكية خضراء", filters: "colour=Green", want: "Sport Smart Watch"},
		{q: "ثوب مقاس ٥٤", filters: "size=54"},
		{q: "ثوب ابيض مقاس 56", filters: "colour=White size=56"},
		{q: "خاتم مقاس ٩", filters: "size=9", want: "Silver Ring"},
		{q: "فستان وردي مقاس 6Y", filters: "colour=Pink size=6Y", want: "Girls' Eid Dress"},
		{q: "جلابية أطفال خضراء", filters: "colour=Green", want: "Kids' Jalabiya"},
		{q: "أسوارة جلد بني", filters: "colour=Brown", want: "Men's Leather Bracelet"},
		{q: "عباية حتى ٢٥٠ ريال", filters: "max_price=25000", want: "Classic Black Abaya"},
		{q: "ارخص من ١٠٠", filters: "max_price=10000"},
		{q: "أسود", filters: "colour=Black", want: "Classic Black Abaya"},
		{q: "عباية أقل من ١٠", filters: "max_price=1000", none: true},
		{q: "عباية بنفسجي مقاس XL", filters: "colour=Purple size=XL", none: true},
		{q: "عباية سودا سايز M", filters: "colour=Black size=M", want: "Classic Black Abaya"},
	},
}

// TestUnderstoodSearch runs the mixed queries through the public search:
// the constraint words become filters (said in Applied), every result
// keeps to them, and the rest is searched.
func TestUnderstoodSearch(t *testing.T) {
	t.Parallel()
	for lang, set := range understoodSet {
		if len(set) < 20 {
			t.Fatalf("%s: the set needs at least 20 queries, has %d", lang, len(set))
		}
	}
	f := newFixture(t)
	f.seedDemo(t)
	for lang, set := range understoodSet {
		for _, tc := range set {
			t.Run(lang+"/"+tc.q, func(t *testing.T) {
				page, err := f.svc.List(f.ctx, catalog.Query{Q: tc.q, Understand: true, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, a := range page.Applied {
					got = append(got, a.Name+"="+a.Value)
					if a.From == "" || !strings.Contains(tc.q, a.From) {
						t.Errorf("filter %s: from %q is not words of the query", a.Name, a.From)
					}
				}
				sort.Strings(got)
				if strings.Join(got, " ") != tc.filters {
					t.Fatalf("filters %q, want %q", strings.Join(got, " "), tc.filters)
				}
				if tc.none {
					if len(page.Items) > 0 {
						t.Fatalf("want nothing, got %d products", len(page.Items))
					}
					return
				}
				if len(page.Items) == 0 {
					t.Fatal("no results")
				}
				found := tc.want == ""
				for _, p := range page.Items {
					keepsTo(t, p, page.Applied)
					found = found || strings.Contains(p.TitleEN, tc.want)
				}
				if !found {
					t.Fatalf("%q not among the results", tc.want)
				}
			})
		}
	}
	// Undo: literal keeps the words as text, and the explicit filter
	// parameters apply without any words.
	t.Run("literal", func(t *testing.T) {
		page, err := f.svc.List(f.ctx, catalog.Query{Q: "black abaya size M", Understand: true, Literal: "size", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Applied) != 1 || page.Applied[0].Name != "colour" {
			t.Fatalf("literal=size: applied %+v, want colour only", page.Applied)
		}
		all, err := f.svc.List(f.ctx, catalog.Query{Q: "black abaya", Understand: true, Literal: "all", Limit: 100})
		if err != nil || len(all.Applied) != 0 {
			t.Fatalf("literal=all: %v %+v", err, all.Applied)
		}
	})
	t.Run("explicit options", func(t *testing.T) {
		page, err := f.svc.List(f.ctx, catalog.Query{Options: map[string]string{"size": "XL", "colour": "Navy"}, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) == 0 {
			t.Fatal("size XL, colour Navy: no products")
		}
		for _, p := range page.Items {
			keepsTo(t, p, []catalog.AppliedFilter{{Name: "size", Value: "XL"}, {Name: "colour", Value: "Navy"}})
		}
	})
}

// keepsTo fails unless p satisfies every filter.
func keepsTo(t *testing.T, p catalog.Product, filters []catalog.AppliedFilter) {
	t.Helper()
	for _, a := range filters {
		switch a.Name {
		case "min_price", "max_price":
			v, _ := strconv.ParseInt(a.Value, 10, 64)
			if (a.Name == "min_price" && p.MaxPrice < v) || (a.Name == "max_price" && p.MinPrice > v) {
				t.Errorf("%s (%d–%d) breaks %s=%s", p.TitleEN, p.MinPrice, p.MaxPrice, a.Name, a.Value)
			}
		default:
			ok := false
			for _, v := range p.Variants {
				for _, o := range v.Options {
					kind := strings.ToLower(o.Name)
					if kind == "color" {
						kind = "colour"
					}
					ok = ok || (kind == a.Name && arabic.Normalize(o.Value) == arabic.Normalize(a.Value))
				}
			}
			if !ok {
				t.Errorf("%s has no %s %s", p.TitleEN, a.Name, a.Value)
			}
		}
	}
}
