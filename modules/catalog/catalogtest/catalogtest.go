// Package catalogtest helps the tests of capabilities built on the catalog.
package catalogtest

import (
	"context"
	"testing"

	"concierge/modules/catalog"
	"concierge/modules/whatsapp/dialog/dialogtest"
)

// Names names a catalog's ids so transcripts do not depend on the UUIDs of
// one run: a category is <c:slug>, a product <p:slug>, a variant <v:SKU>.
func Names(t testing.TB, ctx context.Context, svc *catalog.Service) *dialogtest.Names {
	t.Helper()
	n := dialogtest.NewNames(t)
	cs, err := svc.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		n.Add(c.ID, "c:"+c.Slug)
	}
	cursor := ""
	for {
		page, err := svc.List(ctx, catalog.Query{Limit: catalog.MaxPageSize, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Items {
			n.Add(p.ID, "p:"+p.Slug)
			for _, v := range p.Variants {
				n.Add(v.ID, "v:"+v.SKU)
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			return n
		}
	}
}
