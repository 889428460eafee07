package stripe_test

import (
	"os"
	"testing"

	"concierge/internal/testenv"
)

// TestMain keeps one stripe-mock for every test of the package.
func TestMain(m *testing.M) { os.Exit(testenv.StripeMockMain(m)) }
