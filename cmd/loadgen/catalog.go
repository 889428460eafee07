package main

import (
	"math/rand/v2"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The catalog scenarios:
//
//   - product: GET /api/v1/products/{slug} on the demo tenant, rotating over
//     demo products; after the first request per product every answer comes
//     from the versioned Redis cache (the "cached lookup" goal).
//   - categories: GET /api/v1/categories on the demo tenant (cached).
//   - search: GET /api/v1/products?q=…&limit=24 on the large catalog's
//     tenant (-search-host, 100,000 variants imported by deploy/bench.sh).
//     Each request is a customer query from the pool with a random price
//     ceiling, or a query with constraints in its words ("black abaya size
//     M", "عطر أقل من ٣٠٠"; nextSearch in pages.go, shared with
//     page-search), so almost every request is a new cache key and runs the
//     real full-text query in PostgreSQL; repeats are what caching a real
//     shop's traffic would give. 24 is the storefront's page size.
const (
	productScenario    = "product"
	categoriesScenario = "categories"
	searchScenario     = "search"
)

// productSlugs are demo catalog products (cmd/concierge seed demo).
var productSlugs = []string{
	"classic-black-abaya", "navy-embroidered-abaya", "mens-silver-wristwatch", "sport-smart-watch", "iphone-15-pro",
	"iphone-15", "samsung-galaxy-s24", "royal-oud-perfume", "white-musk-perfume", "cambodian-oud-oil",
	"luxury-scented-bakhoor", "mens-white-thobe", "red-shemagh", "white-ghutra", "running-sneakers", "leather-handbag",
	"arabic-coffee-with-cardamom", "premium-sukkari-dates", "copper-dallah-coffee-pot", "electric-incense-burner",
}

// searchQueries are how customers search, in both languages, with typos.
var searchQueries = []string{
	"عباية", "عبايه سوداء", "عباية مطرزة", "ساعه", "ساعة ذكية", "عطر", "عطر عود", "دهن عود", "بخور", "ثوب",
	"ثوب ابيض", "شماغ", "حذاء رياضي", "شنطه", "حقيبة جلد", "قهوه", "تمر", "سماعات", "جوال", "نظاره",
	"abaya", "black abaya", "watch", "smart watch", "perfume", "oud", "thobe", "sneakers", "handbag", "leather bag",
	"iphnoe", "samsng", "perfum", "dates", "coffee", "earbuds", "sunglasses", "silver ring", "kids", "gift",
	"قفطان", "جلابية", "شيلة", "بشت", "محفظة", "باور بانك", "سجادة صلاة", "مبخرة", "تمر سكري", "قهوة عربية بالهيل",
	"kaftan", "jalabiya", "shayla", "bisht", "wallet", "power bank", "prayer mat", "dallah", "ajwa dates", "arabic coffee",
}

func newProductRequest(config) (Request, error) {
	return func(t *vegeta.Target) error {
		// The target (product or baseline) is already in t.URL: swap the slug.
		t.URL = strings.TrimSuffix(t.URL, productSlugs[0]) + productSlugs[rand.IntN(len(productSlugs))]
		return nil
	}, nil
}

func newSearchRequest(cfg config) (Request, error) {
	return func(t *vegeta.Target) error {
		t.URL = apiSearchURL(t.URL, nextSearch(rand.IntN))
		t.Header.Set("Host", cfg.searchHost)
		return nil
	}, nil
}
