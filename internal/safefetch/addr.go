package safefetch

import (
	"fmt"
	"net/netip"
	"strings"
)

// rangeRule is one refused address range and why.
type rangeRule struct {
	prefix netip.Prefix
	reason string
}

// metadata are cloud instance-metadata endpoints, named first so that the
// error says what the address really is (they also sit in link-local,
// unique-local and shared ranges).
var metadata = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, DigitalOcean, ...
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// v4Rules are the refused IPv4 ranges; v6Rules the refused IPv6 ones. The
// IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4)
// are unwrapped and checked against v4Rules instead.
var (
	v4Rules = []rangeRule{
		{netip.MustParsePrefix("0.0.0.0/8"), "a reserved (this-network) address"},
		{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
		{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
		{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
		{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
		{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
		{netip.MustParsePrefix("192.0.0.0/24"), "a reserved (IETF protocol) address"},
		{netip.MustParsePrefix("192.0.2.0/24"), "a reserved (documentation) address"},
		{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
		{netip.MustParsePrefix("198.18.0.0/15"), "a reserved (benchmarking) address"},
		{netip.MustParsePrefix("198.51.100.0/24"), "a reserved (documentation) address"},
		{netip.MustParsePrefix("203.0.113.0/24"), "a reserved (documentation) address"},
		{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
		{netip.MustParsePrefix("255.255.255.255/32"), "a broadcast address"},
		{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	}
	v6Rules = []rangeRule{
		{netip.MustParsePrefix("::/128"), "an unspecified address"},
		{netip.MustParsePrefix("::1/128"), "a loopback address"},
		{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
		{netip.MustParsePrefix("100::/64"), "a reserved (discard) address"},
		{netip.MustParsePrefix("2001:db8::/32"), "a reserved (documentation) address"},
		{netip.MustParsePrefix("fc00::/7"), "a private (unique local) address"},
		{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
		{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
		{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
	}
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour  = netip.MustParsePrefix("2002::/16")
	compat     = netip.MustParsePrefix("::/96")
	translated = netip.MustParsePrefix("::ffff:0:0:0/96")
)

// Check reports whether a fetch may connect to addr: nil when it may, or an
// error wrapping ErrBlocked that says why not. An address inside one of the
// allow prefixes is always permitted (tests and on-premises feeds use this).
func Check(addr netip.Addr, allow []netip.Prefix) error {
	if !addr.IsValid() {
		return blocked(addr.String(), "not a valid address")
	}
	if allowed(addr, allow) {
		return nil
	}
	if reason := classify(addr); reason != "" {
		return blocked(addr.WithZone("").String(), reason)
	}
	return nil
}

// allowed reports whether addr, in its own or its unmapped form, lies in
// one of the prefixes.
func allowed(addr netip.Addr, allow []netip.Prefix) bool {
	addr = addr.WithZone("")
	plain := addr.Unmap()
	for _, p := range allow {
		if p.Contains(addr) || p.Contains(plain) {
			return true
		}
	}
	return false
}

// classify returns why addr is refused, or "" for a public address.
func classify(addr netip.Addr) string {
	addr = addr.WithZone("").Unmap()
	for _, m := range metadata {
		if addr == m {
			return "a cloud metadata address"
		}
	}
	if addr.Is4() {
		for _, r := range v4Rules {
			if r.prefix.Contains(addr) {
				return r.reason
			}
		}
		return ""
	}
	for _, r := range v6Rules {
		if r.prefix.Contains(addr) {
			return r.reason
		}
	}
	b := addr.As16()
	switch {
	case nat64.Contains(addr):
		return embedded("a NAT64", netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(addr):
		return embedded("a 6to4", netip.AddrFrom4([4]byte(b[2:6])))
	case translated.Contains(addr):
		return embedded("an IPv4-translated", netip.AddrFrom4([4]byte(b[12:16])))
	case compat.Contains(addr):
		// Deprecated IPv4-compatible form ::a.b.c.d (:: and ::1 are
		// handled above).
		return embedded("an IPv4-compatible", netip.AddrFrom4([4]byte(b[12:16])))
	}
	return ""
}

// embedded classifies the IPv4 address inside an IPv6 one.
func embedded(kind string, v4 netip.Addr) string {
	reason := classify(v4)
	if reason == "" {
		return ""
	}
	return fmt.Sprintf("%s address embedding %s, %s", kind, v4, reason)
}

// ParseAllow parses a comma-separated list of CIDR prefixes or single IP
// addresses (CATALOG_FETCH_ALLOW), e.g. "127.0.0.0/8, ::1, 10.1.2.3".
// Empty entries are skipped; a single address becomes a /32 or /128.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.Contains(part, "/") {
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, fmt.Errorf("safefetch: %q is not a CIDR prefix", part)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("safefetch: %q is not an IP address or CIDR prefix", part)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
