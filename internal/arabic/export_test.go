package arabic

// NormalizeFull exposes the slow path so tests can hold the fast path to it.
var NormalizeFull = normalizeFull
