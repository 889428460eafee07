package catalog_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"concierge/modules/catalog"
	"concierge/modules/catalog/feed"
)

// TestCacheFreshAcrossProcesses: two services (two processes, each with its
// own in-process copy) share Redis. While readers hammer the product in the
// second process, the first changes the price; every read that starts after
// the change has answered sees the new price, in both processes.
func TestCacheFreshAcrossProcesses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	importBytes(t, f.svc, f.ctx, readFeed(t, "v1.csv"), feed.FormatCSV, false)
	other := f.twin()
	price := func(svc *catalog.Service) int64 {
		p, err := svc.Product(f.ctx, "white-cotton-thobe")
		if err != nil {
			t.Error(err)
			return -1
		}
		return p.Variants[0].Price
	}
	if price(other) != 15000 || price(f.svc) != 15000 {
		t.Fatal("initial price")
	}
	var written atomic.Bool
	var stale atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				after := written.Load() // read begins after the write answered?
				if p := price(other); after && p != 17500 {
					stale.Add(1)
				}
			}
		}()
	}
	for i, p := range []int64{16000, 17500} {
		if _, err := f.svc.BulkPrice(f.ctx, []catalog.PriceUpdate{{SKU: "TOB-1", Price: p}}); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			written.Store(true)
		}
	}
	for i := 0; i < 50; i++ {
		if p := price(other); p != 17500 {
			t.Fatalf("read %d after the write in the other process: %d", i, p)
		}
	}
	close(stop)
	wg.Wait()
	if n := stale.Load(); n > 0 {
		t.Fatalf("%d reads that began after the write answered saw an old price", n)
	}
	if price(f.svc) != 17500 {
		t.Fatal("the writing process serves an old price")
	}
}
