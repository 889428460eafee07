package idempotency

// OnWait makes s call fn when a request starts waiting for a concurrent one
// with the same key.
func OnWait(s *Store, fn func()) { s.onWait = fn }
