// Package safefetch downloads a URL a merchant typed (a catalog feed) without
// letting it reach the platform's own network: an SSRF-protected HTTP GET.
//
// Only http and https URLs without user info are fetched. Every connection
// is checked at dial time against the address actually connected to (so a
// DNS answer that changes between look-up and connect — DNS rebinding —
// gains nothing), and a URL whose host is a literal IP is checked before any
// dial. Refused are loopback, private, link-local, shared (CGNAT),
// unspecified, multicast, broadcast and reserved addresses, cloud metadata
// endpoints, and the IPv6 forms that embed one of those IPv4 addresses
// (mapped, compatible, NAT64, 6to4). Config.Allow opens chosen prefixes
// (tests, an on-premises feed). Redirects are re-checked hop by hop, an
// https → http downgrade is refused, and the body, the time and the number
// of redirects are bounded. No proxy is used.
//
// Every error a Fetcher returns has a message safe to show the merchant;
// the internal cause, when there is one, is wrapped for the log.
package safefetch

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults for a zero Config.
const (
	DefaultMaxBytes     = 50 << 20
	DefaultTimeout      = 60 * time.Second
	DefaultMaxRedirects = 5
	DefaultUserAgent    = "Concierge-Catalog/1.0"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrBlocked: the URL or an address it leads to is not allowed.
	ErrBlocked = errors.New("blocked")
	// ErrTooLarge: the body exceeds Config.MaxBytes.
	ErrTooLarge = errors.New("safefetch: response too large")
	// ErrTimeout: the fetch did not finish within Config.Timeout.
	ErrTimeout = errors.New("safefetch: timed out")
	// ErrTooManyRedirects: more than Config.MaxRedirects redirects.
	ErrTooManyRedirects = errors.New("safefetch: too many redirects")
)

// errDeadline is the cause of the Fetcher's own timeout, told apart from a
// deadline or cancellation of the caller's context.
var errDeadline = errors.New("safefetch: deadline")

// Config sets the rules of a Fetcher. Zero values take the defaults.
type Config struct {
	// Allow lists prefixes that are fetched even though they would be
	// refused (e.g. 127.0.0.0/8 in tests). See ParseAllow.
	Allow []netip.Prefix
	// MaxBytes bounds the body (after content decoding); default 50 MiB.
	MaxBytes int64
	// Timeout bounds the whole fetch, body included; default 60 s.
	Timeout time.Duration
	// MaxRedirects bounds the redirects followed; default 5, negative
	// follows none.
	MaxRedirects int
	// UserAgent is sent with every request; default "Concierge-Catalog/1.0".
	UserAgent string
}

// Fetcher performs checked GETs. It is safe for concurrent use and keeps
// idle connections for reuse.
type Fetcher struct {
	cfg    Config
	client *http.Client
}

// Response is a fetched body with what the server said about it.
type Response struct {
	Body        []byte
	ContentType string
	// FinalURL is the URL after redirects.
	FinalURL string
}

// Meta describes a response whose body is being streamed by Open.
type Meta struct {
	ContentType string
	FinalURL    string
	// ContentLength is the announced length, -1 when unknown.
	ContentLength int64
}

// Error is a failed fetch. Error() is safe to show the merchant; the cause
// (Cause, errors.Is and errors.As) is for the log.
type Error struct {
	msg   string
	kind  error // one of the sentinels, a context error, or nil
	cause error
}

func (e *Error) Error() string { return e.msg }

// Cause returns the underlying error, if any.
func (e *Error) Cause() error { return e.cause }

// Unwrap returns the sentinel and the cause.
func (e *Error) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.kind, e.cause} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// StatusError is a response with a status other than 2xx.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string {
	if text := http.StatusText(e.Code); text != "" {
		return fmt.Sprintf("safefetch: the server answered %d %s", e.Code, text)
	}
	return fmt.Sprintf("safefetch: the server answered %d", e.Code)
}

// blocked builds an ErrBlocked error: "safefetch: <what> is <reason>: blocked".
func blocked(what, reason string) *Error {
	return &Error{msg: fmt.Sprintf("safefetch: %s is %s: %v", what, reason, ErrBlocked), kind: ErrBlocked}
}

// New builds a Fetcher, filling the defaults.
func New(cfg Config) *Fetcher {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	cfg.Allow = append([]netip.Prefix(nil), cfg.Allow...)
	f := &Fetcher{cfg: cfg}
	dialer := &net.Dialer{
		Timeout:   min(cfg.Timeout, 15*time.Second),
		KeepAlive: 30 * time.Second,
		Control:   f.control,
	}
	transport := &http.Transport{
		Proxy:                  nil, // never: a proxy would connect on our behalf, unchecked
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    10 * time.Second, // Timeout, through the context, bounds the rest
		MaxResponseHeaderBytes: 1 << 20,
		MaxIdleConns:           16,
		IdleConnTimeout:        90 * time.Second,
	}
	f.client = &http.Client{Transport: transport, CheckRedirect: f.checkRedirect}
	return f
}

// Get fetches rawURL and reads the whole body (at most Config.MaxBytes).
func (f *Fetcher) Get(ctx context.Context, rawURL string) (*Response, error) {
	body, meta, err := f.Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	var buf bytes.Buffer
	if meta.ContentLength > 0 {
		buf.Grow(int(meta.ContentLength))
	}
	if _, err := buf.ReadFrom(body); err != nil {
		return nil, err
	}
	return &Response{Body: buf.Bytes(), ContentType: meta.ContentType, FinalURL: meta.FinalURL}, nil
}

// Open fetches rawURL and returns its body as a stream. Reading past
// Config.MaxBytes fails with ErrTooLarge; the Config.Timeout covers the
// reading too. The caller must close the body.
func (f *Fetcher) Open(ctx context.Context, rawURL string) (io.ReadCloser, *Meta, error) {
	u, err := f.parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, f.cfg.Timeout, errDeadline)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel()
		return nil, nil, &Error{msg: "safefetch: the URL is not valid", kind: ErrBlocked, cause: err}
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Accept", "*/*")
	resp, err := f.client.Do(req)
	if err != nil {
		err = f.wrap(ctx, u.Host, err)
		cancel()
		return nil, nil, err
	}
	host := resp.Request.URL.Host
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
		resp.Body.Close()
		cancel()
		return nil, nil, &StatusError{Code: resp.StatusCode}
	}
	if resp.ContentLength > f.cfg.MaxBytes {
		resp.Body.Close()
		cancel()
		return nil, nil, f.tooLarge()
	}
	b := &body{
		f: f, ctx: ctx, host: host, cancel: cancel, rc: resp.Body,
		r: io.LimitReader(resp.Body, f.cfg.MaxBytes+1),
	}
	return b, &Meta{
		ContentType:   resp.Header.Get("Content-Type"),
		FinalURL:      resp.Request.URL.String(),
		ContentLength: resp.ContentLength,
	}, nil
}

// parse checks a URL before any network use.
func (f *Fetcher) parse(rawURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, &Error{msg: "safefetch: the URL is not valid", kind: ErrBlocked, cause: err}
	}
	if err := f.checkURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

// checkURL applies the URL rules: scheme, user info, host, literal IPs.
func (f *Fetcher) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		scheme := u.Scheme
		if scheme == "" {
			return blocked("a URL without http:// or https://", "not fetchable")
		}
		return blocked(fmt.Sprintf("the %q scheme", scheme), "not allowed (only http and https)")
	}
	if u.User != nil {
		return blocked("a URL with a user name or password", "not allowed")
	}
	host := u.Hostname()
	if host == "" {
		return blocked("a URL without a host", "not fetchable")
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return Check(addr, f.cfg.Allow)
	}
	return nil
}

// control runs for every connection attempt with the address about to be
// connected to: the one check that DNS cannot fool.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return blocked("network "+network, "not allowed")
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return blocked(address, "not a valid address")
	}
	return Check(ap.Addr(), f.cfg.Allow)
}

// checkRedirect re-checks every hop.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.cfg.MaxRedirects || f.cfg.MaxRedirects < 0 {
		n := max(f.cfg.MaxRedirects, 0)
		return &Error{msg: fmt.Sprintf("safefetch: more than %d redirects", n), kind: ErrTooManyRedirects}
	}
	if prev := via[len(via)-1]; prev.URL.Scheme == "https" && req.URL.Scheme == "http" {
		return blocked("a redirect from https to http", "a downgrade")
	}
	return f.checkURL(req.URL)
}

// wrap turns a client or body error into one safe to show.
func (f *Fetcher) wrap(ctx context.Context, host string, err error) error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			host = u.Host
		}
	}
	if errors.Is(context.Cause(ctx), errDeadline) {
		return &Error{msg: fmt.Sprintf("safefetch: %s did not finish within %s", host, f.cfg.Timeout), kind: ErrTimeout, cause: err}
	}
	if cerr := ctx.Err(); cerr != nil {
		return &Error{msg: "safefetch: the fetch was cancelled", kind: cerr, cause: err}
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return &Error{msg: fmt.Sprintf("safefetch: host %s not found", dnsErr.Name), cause: err}
		}
		return &Error{msg: fmt.Sprintf("safefetch: could not look up host %s", dnsErr.Name), cause: err}
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return &Error{msg: fmt.Sprintf("safefetch: %s has an invalid TLS certificate", host), cause: err}
	case errors.As(err, &netErr) && netErr.Timeout():
		return &Error{msg: fmt.Sprintf("safefetch: %s did not answer in time", host), kind: ErrTimeout, cause: err}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return &Error{msg: fmt.Sprintf("safefetch: could not connect to %s", host), cause: err}
	}
	return &Error{msg: fmt.Sprintf("safefetch: fetching from %s failed", host), cause: err}
}

func (f *Fetcher) tooLarge() error {
	return &Error{msg: fmt.Sprintf("safefetch: the file is larger than the limit of %s", byteSize(f.cfg.MaxBytes)), kind: ErrTooLarge}
}

// body is a streamed response body bounded by MaxBytes.
type body struct {
	f      *Fetcher
	ctx    context.Context
	host   string
	r      io.Reader // LimitReader of MaxBytes+1
	rc     io.Closer
	n      int64
	cancel context.CancelFunc
	err    error
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if over := b.n - b.f.cfg.MaxBytes; over > 0 {
		b.err = b.f.tooLarge()
		return n - int(over), b.err
	}
	if err != nil && err != io.EOF {
		b.err = b.f.wrap(b.ctx, b.host, err)
		return n, b.err
	}
	return n, err
}

func (b *body) Close() error {
	err := b.rc.Close()
	b.cancel()
	return err
}

// byteSize formats n for a message: "50 MiB", "512 KiB", "100 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
