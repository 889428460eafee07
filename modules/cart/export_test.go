package cart

// ValidID reports whether s is shaped like a cart id (tests).
var ValidID = validID
