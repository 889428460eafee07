package safefetch

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckClassifiesAddresses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		addr   string
		reason string // substring of the error; "" means allowed
	}{
		{"public v4", "93.184.216.34", ""},
		{"public v4 near private", "172.32.0.1", ""},
		{"public v4 near cgnat", "100.128.0.1", ""},
		{"public v6", "2606:4700::1", ""},
		{"public v6 google", "2001:4860:4860::8888", ""},
		{"public v4-mapped", "::ffff:93.184.216.34", ""},
		{"nat64 of public", "64:ff9b::5db8:d822", ""},
		{"6to4 of public", "2002:5db8:d822::1", ""},

		{"this network", "0.1.2.3", "reserved (this-network)"},
		{"unspecified v4", "0.0.0.0", "reserved (this-network)"},
		{"private 10/8", "10.20.30.40", "private"},
		{"private 172.16/12 low", "172.16.0.1", "private"},
		{"private 172.16/12 high", "172.31.255.254", "private"},
		{"private 192.168/16", "192.168.1.1", "private"},
		{"cgnat", "100.64.0.1", "carrier-grade NAT"},
		{"cgnat high", "100.127.255.254", "carrier-grade NAT"},
		{"loopback", "127.0.0.1", "loopback"},
		{"loopback other", "127.10.20.30", "loopback"},
		{"link-local v4", "169.254.1.1", "link-local"},
		{"ietf protocol", "192.0.0.8", "IETF protocol"},
		{"documentation v4", "192.0.2.10", "documentation"},
		{"benchmarking", "198.18.0.1", "benchmarking"},
		{"benchmarking high", "198.19.255.1", "benchmarking"},
		{"multicast v4", "224.0.0.251", "multicast"},
		{"multicast v4 high", "239.255.255.250", "multicast"},
		{"reserved 240/4", "240.0.0.1", "reserved address"},
		{"broadcast", "255.255.255.255", "broadcast"},

		{"metadata aws", "169.254.169.254", "cloud metadata"},
		{"metadata aws v6", "fd00:ec2::254", "cloud metadata"},
		{"metadata alibaba", "100.100.100.200", "cloud metadata"},
		{"metadata v4-mapped", "::ffff:169.254.169.254", "cloud metadata"},

		{"unspecified v6", "::", "unspecified"},
		{"loopback v6", "::1", "loopback"},
		{"unique local", "fc00::1", "unique local"},
		{"unique local fd", "fd12:3456::1", "unique local"},
		{"link-local v6", "fe80::1", "link-local"},
		{"link-local v6 with zone", "fe80::1%eth0", "link-local"},
		{"multicast v6", "ff02::1", "multicast"},
		{"documentation v6", "2001:db8::1", "documentation"},

		{"v4-mapped loopback", "::ffff:127.0.0.1", "loopback"},
		{"v4-mapped private", "::ffff:10.0.0.1", "private"},
		{"v4-mapped hex form", "::ffff:7f00:1", "loopback"},
		{"v4-compatible loopback", "::127.0.0.1", "IPv4-compatible address embedding 127.0.0.1, a loopback"},
		{"v4-compatible private", "::192.168.0.1", "IPv4-compatible address embedding 192.168.0.1"},
		{"v4-translated", "::ffff:0:10.0.0.1", "IPv4-translated address embedding 10.0.0.1"},
		{"nat64 loopback", "64:ff9b::127.0.0.1", "NAT64 address embedding 127.0.0.1, a loopback"},
		{"nat64 metadata", "64:ff9b::a9fe:a9fe", "NAT64 address embedding 169.254.169.254, a cloud metadata"},
		{"nat64 private", "64:ff9b::c0a8:101", "NAT64 address embedding 192.168.1.1, a private"},
		{"nat64 local use", "64:ff9b:1::1", "local-use NAT64"},
		{"6to4 loopback", "2002:7f00:1::", "6to4 address embedding 127.0.0.1, a loopback"},
		{"6to4 private", "2002:0a00:0001::1", "6to4 address embedding 10.0.0.1"},
		{"6to4 metadata", "2002:a9fe:a9fe::1", "6to4 address embedding 169.254.169.254, a cloud metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check(netip.MustParseAddr(tt.addr), nil)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Check(%s) = %v, want allowed", tt.addr, err)
				}
				return
			}
			if !errors.Is(err, ErrBlocked) {
				t.Fatalf("Check(%s) = %v, want ErrBlocked", tt.addr, err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Check(%s) = %q, want it to mention %q", tt.addr, err, tt.reason)
			}
		})
	}
}

func TestCheckMessage(t *testing.T) {
	t.Parallel()
	err := Check(netip.MustParseAddr("127.0.0.1"), nil)
	if got, want := err.Error(), "safefetch: 127.0.0.1 is a loopback address: blocked"; got != want {
		t.Fatalf("message = %q, want %q", got, want)
	}
}

func TestCheckAllow(t *testing.T) {
	t.Parallel()
	allow := []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("10.1.2.3/32"),
	}
	tests := []struct {
		addr    string
		allowed bool
	}{
		{"127.0.0.1", true},
		{"127.0.0.2", true},
		{"::ffff:127.0.0.1", true}, // the v4 prefix covers the mapped form
		{"::1", true},
		{"10.1.2.3", true},
		{"10.1.2.4", false},
		{"169.254.169.254", false},
		{"fe80::1", false},
	}
	for _, tt := range tests {
		err := Check(netip.MustParseAddr(tt.addr), allow)
		if (err == nil) != tt.allowed {
			t.Errorf("Check(%s) with allow = %v, want allowed %v", tt.addr, err, tt.allowed)
		}
	}
	if err := Check(netip.Addr{}, nil); !errors.Is(err, ErrBlocked) {
		t.Errorf("zero address: want ErrBlocked, got %v", err)
	}
}

func TestParseAllow(t *testing.T) {
	t.Parallel()
	got, err := ParseAllow(" 127.0.0.0/8, ::1 ,10.1.2.3,, 192.168.7.9/16 ")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.0/8", "::1/128", "10.1.2.3/32", "192.168.0.0/16"}
	if len(got) != len(want) {
		t.Fatalf("ParseAllow = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d = %s, want %s", i, got[i], want[i])
		}
	}
	if got, err := ParseAllow(""); err != nil || len(got) != 0 {
		t.Errorf("ParseAllow(\"\") = %v, %v; want empty", got, err)
	}
	for _, bad := range []string{"localhost", "10.0.0.0/33", "1.2.3", "fe80::1%eth0", "127.0.0.1, nope"} {
		if _, err := ParseAllow(bad); err == nil {
			t.Errorf("ParseAllow(%q) accepted a bad entry", bad)
		}
	}
}
