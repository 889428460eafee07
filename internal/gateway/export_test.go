package gateway

import "time"

// ReadyzWithin exposes readyz with a chosen deadline to the tests.
var ReadyzWithin = readyz

// ShortReadyTimeout keeps deadline tests fast.
const ShortReadyTimeout = 50 * time.Millisecond
