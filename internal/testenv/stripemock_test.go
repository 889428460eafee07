package testenv_test

import (
	"net/http"
	"testing"

	"concierge/internal/testenv"
)

// TestStripeMock: the server answers Stripe's API, is shared by the tests
// using it at once, and is gone when the last of them ends.
func TestStripeMock(t *testing.T) {
	var url string
	t.Run("shared", func(t *testing.T) {
		url = testenv.StripeMock(t)
		if again := testenv.StripeMock(t); again != url {
			t.Errorf("second call: %s, first %s", again, url)
		}
		req, _ := http.NewRequest(http.MethodGet, url+"/v1/customers/cus_123", nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET /v1/customers/cus_123: %s", res.Status)
		}
	})
	// The subtest's cleanups have run: nothing listens there any more.
	if res, err := http.Get(url + "/v1/customers/cus_123"); err == nil {
		res.Body.Close()
		t.Errorf("stripe-mock still answers at %s after its last user ended", url)
	}
}
