package catalog_test

import (
	"testing"

	"concierge/modules/catalog"
)

// searchCase is one real-world query against the demo catalog: want must be
// among the first within results (by English title); none means no result.
type searchCase struct {
	q      string
	want   string
	within int
	none   bool
}

// searchSet is the search test set: how people in the Gulf type (Arabic with
// or without hamza, taa marbuta as haa, English typos, request phrases,
// Arabic-Indic digits).
var searchSet = []searchCase{
	{q: "عبايه سوداء", want: "Classic Black Abaya", within: 5},
	{q: "عباية سوداء كلاسيكيه", want: "Classic Black Abaya", within: 1},
	{q: "ساعه", want: "Men's Silver Wristwatch", within: 10},
	{q: "ساعه يد", want: "Men's Silver Wristwatch", within: 1},
	{q: "iphnoe 15", want: "iPhone 15", within: 3},
	{q: "iphone 15 pro", want: "iPhone 15 Pro", within: 1},
	{q: "ايفون", want: "iPhone 15", within: 3},
	{q: "عطر", want: "Royal Oud Perfume", within: 20},
	{q: "العطر الملكي", want: "Royal Oud Perfume", within: 1},
	{q: "ثوب ابيض", want: "Men's White Thobe", within: 5}, // four white thobes, all good answers
	{q: "شماغ احمر", want: "Red Shemagh", within: 1},
	{q: "غتره", want: "White Ghutra", within: 3},
	{q: "دهن عود", want: "Cambodian Oud Oil", within: 3},
	{q: "بخور", want: "Luxury Scented Bakhoor", within: 5},
	{q: "مبخره", want: "Electric Incense Burner", within: 5},
	{q: "قهوه عربيه", want: "Arabic Coffee with Cardamom", within: 1},
	{q: "تمر سكري", want: "Premium Sukkari Dates", within: 1},
	{q: "دله", want: "Copper Dallah Coffee Pot", within: 3},
	{q: "سماعات", want: "Wireless Earbuds", within: 5},
	{q: "samsung s24", want: "Samsung Galaxy S24", within: 1},
	{q: "galaxy", want: "Samsung Galaxy S24", within: 5},
	{q: "sneakers", want: "Running Sneakers", within: 3},
	{q: "running shoes", want: "Running Sneakers", within: 3},
	{q: "handbag", want: "Leather Handbag", within: 1},
	{q: "leather bag", want: "Leather Handbag", within: 5},
	{q: "sunglases", want: "Sunglasses", within: 3},
	{q: "watches", want: "Sport Smart Watch", within: 5},
	{q: "خاتم فضه", want: "Silver Ring", within: 1},
	{q: "جلابيه مغربيه", want: "Moroccan Jalabiya", within: 1},
	{q: "navy abaya", want: "Navy Embroidered Abaya", within: 3},
	{q: "ابحث عن عباية مطرزة", want: "Navy Embroidered Abaya", within: 3},
	{q: "عندكم عسل؟", want: "Sidr Honey", within: 1},
	{q: "نظاره شمسيه", want: "Sunglasses", within: 5},
	{q: "ايفون ١٥ برو", want: "iPhone 15 Pro", within: 1},
	{q: "perfume", want: "Royal Oud Perfume", within: 20},
	{q: "oud oil", want: "Cambodian Oud Oil", within: 3},
	{q: "شيله", want: "Chiffon Shayla", within: 10},
	{q: "مسك", want: "White Musk Perfume", within: 3},
	{q: "do you have dates?", want: "Premium Sukkari Dates", within: 5},
	{q: "مُبَخِّرَة كهربائيّة", want: "Electric Incense Burner", within: 1},
	{q: "ســاعــة ذكية", want: "Sport Smart Watch", within: 3},
	{q: "منتج تجريبي مسودة", none: true}, // drafts are never public
	{q: "zzqxvw", none: true},
	{q: "تلفزيون سامسونج", none: true}, // one good word does not carry one the catalog has nothing like
	{q: "samsng galaxy", want: "Samsung Galaxy S24", within: 3},
}

func TestSearchSet(t *testing.T) {
	t.Parallel()
	if len(searchSet) < 30 {
		t.Fatalf("the search test set needs at least 30 queries, has %d", len(searchSet))
	}
	f := newFixture(t)
	f.seedDemo(t)
	for _, tc := range searchSet {
		t.Run(tc.q, func(t *testing.T) {
			page, err := f.svc.List(f.ctx, catalog.Query{Q: tc.q, Limit: 20})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range page.Items {
				got = append(got, p.TitleEN)
			}
			if tc.none {
				if len(got) > 0 {
					t.Fatalf("want no results, got %q", got)
				}
				return
			}
			for i, title := range got {
				if title == tc.want {
					if i >= tc.within {
						t.Fatalf("%q is result #%d, want within the first %d: %q", tc.want, i+1, tc.within, got)
					}
					return
				}
			}
			t.Fatalf("%q not among the results %q", tc.want, got)
		})
	}
}

// TestSearchRanking: title matches outrank description-only matches, and an
// in-stock product outranks an equally good out-of-stock one.
func TestSearchRanking(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedDemo(t)
	page, err := f.svc.List(f.ctx, catalog.Query{Q: "عباية سوداء", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, p := range page.Items {
		pos[p.TitleEN] = i
	}
	classic, ok1 := pos["Classic Black Abaya"]
	velvet, ok2 := pos["Black Velvet Abaya"]
	if !ok1 || !ok2 || classic > velvet {
		t.Fatalf("in stock Classic Black Abaya (#%d, %v) should rank above out-of-stock Black Velvet Abaya (#%d, %v)", classic, ok1, velvet, ok2)
	}
	// Filters: in stock only drops the velvet abaya.
	page, err = f.svc.List(f.ctx, catalog.Query{Q: "عباية سوداء", InStock: true, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range page.Items {
		if !p.InStock {
			t.Fatalf("in_stock filter returned %q", p.TitleEN)
		}
	}
}

// TestListFiltersAndCursor walks every page of a category and a search and
// checks the pages join into the single long page, with no repeats.
func TestListFiltersAndCursor(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedDemo(t)
	for _, q := range []catalog.Query{
		{Category: "women"},
		{Q: "عباية"},
		{Q: "perfume", InStock: true},
	} {
		all := q
		all.Limit = 100
		whole, err := f.svc.List(f.ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		if len(whole.Items) < 5 {
			t.Fatalf("%+v: only %d items", q, len(whole.Items))
		}
		var walked []string
		page := q
		page.Limit = 3
		for {
			p, err := f.svc.List(f.ctx, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				walked = append(walked, it.ID.String())
			}
			if p.NextCursor == "" {
				break
			}
			page.Cursor = p.NextCursor
		}
		if len(walked) != len(whole.Items) {
			t.Fatalf("%+v: pages gave %d items, one page %d", q, len(walked), len(whole.Items))
		}
		for i, it := range whole.Items {
			if walked[i] != it.ID.String() {
				t.Fatalf("%+v: item %d differs between paging and one page", q, i)
			}
		}
	}
	// Price range (minor units) and brand.
	lo, hi := int64(10000), int64(20000)
	p, err := f.svc.List(f.ctx, catalog.Query{MinPrice: &lo, MaxPrice: &hi, Brand: "layan", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) == 0 {
		t.Fatal("no Layan products between 100 and 200 SAR")
	}
	for _, it := range p.Items {
		if it.Brand != "Layan" || it.MaxPrice < lo || it.MinPrice > hi {
			t.Fatalf("filter let through %q (%s, %d–%d)", it.TitleEN, it.Brand, it.MinPrice, it.MaxPrice)
		}
	}
}
