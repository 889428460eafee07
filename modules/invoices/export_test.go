package invoices

// Split shares an order's discount and VAT over its lines (tests).
var Split = split
