package safefetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var (
	loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	feedCSV  = "sku,title_en\nABY-001-BLK-M,Classic Black Abaya\n"
)

// serve starts an HTTP server on addr ("127.0.0.1:0", "127.0.0.2:0"; Linux
// routes all of 127.0.0.0/8 to the loopback interface).
func serve(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func feedHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		fmt.Fprint(w, feedCSV)
	})
}

// noDial makes f fail the test if it ever opens a connection.
func noDial(t *testing.T, f *Fetcher) {
	t.Helper()
	f.client.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		t.Errorf("dialled %s %s; the URL should have been refused before any dial", network, addr)
		return nil, errors.New("no dial")
	}
}

func TestGetRefusesLoopbackByDefault(t *testing.T) {
	t.Parallel()
	srv := serve(t, "127.0.0.1:0", feedHandler())
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	f := New(Config{})
	tests := []struct {
		name, url, message string
	}{
		{"literal ip", srv.URL + "/feed.csv", "safefetch: 127.0.0.1 is a loopback address: blocked"},
		{"localhost", fmt.Sprintf("http://localhost:%d/", port), "loopback address: blocked"},
		{"v4-mapped literal", fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", port), "127.0.0.1 is a loopback address: blocked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, err := f.Get(t.Context(), tt.url)
			if !errors.Is(err, ErrBlocked) {
				t.Fatalf("Get(%s) = %v, %v; want ErrBlocked", tt.url, resp, err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("message = %q, want it to contain %q", err, tt.message)
			}
		})
	}
}

func TestGetAllowedPrefix(t *testing.T) {
	t.Parallel()
	var userAgent string
	srv := serve(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		userAgent = r.UserAgent()
		feedHandler().ServeHTTP(w, r)
	}))
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	f := New(Config{Allow: loopback})

	resp, err := f.Get(t.Context(), srv.URL+"/feed.csv")
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != feedCSV || resp.ContentType != "text/csv; charset=utf-8" || resp.FinalURL != srv.URL+"/feed.csv" {
		t.Fatalf("response = %q, %q, %q", resp.Body, resp.ContentType, resp.FinalURL)
	}
	if userAgent != DefaultUserAgent {
		t.Fatalf("User-Agent = %q, want %q", userAgent, DefaultUserAgent)
	}

	// localhost may resolve to ::1 first; the server is on 127.0.0.1 only
	// and both are allowed, so the dialler's fallback reaches it.
	resp, err = f.Get(t.Context(), fmt.Sprintf("http://localhost:%d/feed.csv", port))
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != feedCSV {
		t.Fatalf("body via localhost = %q", resp.Body)
	}
}

func TestRedirectToBlockedAddress(t *testing.T) {
	t.Parallel()
	// Linux routes all of 127/8 to lo, so a second server on 127.0.0.2
	// stands for an internal address the first may not redirect to.
	internal := serve(t, "127.0.0.2:0", feedHandler())
	public := serve(t, "127.0.0.1:0", http.RedirectHandler(internal.URL+"/feed.csv", http.StatusFound))

	onlyPublic := New(Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	_, err := onlyPublic.Get(t.Context(), public.URL+"/start")
	if !errors.Is(err, ErrBlocked) || !strings.Contains(err.Error(), "127.0.0.2 is a loopback address: blocked") {
		t.Fatalf("redirect to 127.0.0.2: want ErrBlocked naming it, got %v", err)
	}

	// The same chain is followed when both are allowed.
	resp, err := New(Config{Allow: loopback}).Get(t.Context(), public.URL+"/start")
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinalURL != internal.URL+"/feed.csv" || string(resp.Body) != feedCSV {
		t.Fatalf("final URL %q, body %q", resp.FinalURL, resp.Body)
	}
}

func TestRedirectRules(t *testing.T) {
	t.Parallel()
	var loop *httptest.Server
	loop = serve(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 0
		fmt.Sscanf(r.URL.Query().Get("n"), "%d", &n)
		if n >= 3 {
			feedHandler().ServeHTTP(w, r)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("%s/?n=%d", loop.URL, n+1), http.StatusFound)
	}))
	toFTP := serve(t, "127.0.0.1:0", http.RedirectHandler("ftp://127.0.0.1/feed.csv", http.StatusMovedPermanently))
	toUser := serve(t, "127.0.0.1:0", http.RedirectHandler("http://admin:secret@example.com/", http.StatusFound))
	toMetadata := serve(t, "127.0.0.1:0", http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))
	plain := serve(t, "127.0.0.1:0", feedHandler())
	tlsSrv := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/feed.csv", http.StatusFound))
	t.Cleanup(tlsSrv.Close)

	tests := []struct {
		name     string
		cfg      Config
		url      string
		want     error
		contains string
	}{
		{"three redirects within the default", Config{}, loop.URL + "/", nil, ""},
		{"three redirects over a limit of two", Config{MaxRedirects: 2}, loop.URL + "/", ErrTooManyRedirects, "more than 2 redirects"},
		{"redirects refused", Config{MaxRedirects: -1}, loop.URL + "/", ErrTooManyRedirects, "more than 0 redirects"},
		{"redirect to ftp", Config{}, toFTP.URL, ErrBlocked, `the "ftp" scheme is not allowed`},
		{"redirect with user info", Config{}, toUser.URL, ErrBlocked, "user name or password"},
		{"redirect to metadata", Config{}, toMetadata.URL, ErrBlocked, "169.254.169.254 is a cloud metadata address"},
		{"https to http downgrade", Config{}, tlsSrv.URL, ErrBlocked, "from https to http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.cfg.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			f := New(tt.cfg)
			tr := f.client.Transport.(*http.Transport)
			tr.TLSClientConfig = tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
			resp, err := f.Get(t.Context(), tt.url)
			if tt.want == nil {
				if err != nil || string(resp.Body) != feedCSV {
					t.Fatalf("Get = %v, want the feed", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("Get = %v, want %v containing %q", err, tt.want, tt.contains)
			}
		})
	}
}

func TestGetRefusesBeforeDialling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, contains string
	}{
		{"aws metadata", "http://169.254.169.254/latest/meta-data/iam/", "169.254.169.254 is a cloud metadata address: blocked"},
		{"aws metadata v6", "http://[fd00:ec2::254]/latest/", "fd00:ec2::254 is a cloud metadata address: blocked"},
		{"alibaba metadata", "http://100.100.100.200/latest/meta-data/", "100.100.100.200 is a cloud metadata address: blocked"},
		{"metadata v4-mapped", "http://[::ffff:a9fe:a9fe]/", "cloud metadata address: blocked"},
		{"private", "https://10.0.0.5:8443/feed.csv", "10.0.0.5 is a private address: blocked"},
		{"nat64 loopback", "http://[64:ff9b::7f00:1]/", "NAT64 address embedding 127.0.0.1"},
		{"ftp", "ftp://example.com/feed.csv", `the "ftp" scheme is not allowed`},
		{"file", "file:///etc/passwd", `the "file" scheme is not allowed`},
		{"gopher", "gopher://example.com:70/", `the "gopher" scheme`},
		{"no scheme", "example.com/feed.csv", "without http:// or https://"},
		{"no host", "http:///feed.csv", "without a host"},
		{"user info", "http://user:pass@example.com/feed.csv", "user name or password"},
		{"user only", "https://token@example.com/feed.csv", "user name or password"},
		{"unparseable", "http://exa mple.com/%zz", "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := New(Config{})
			noDial(t, f)
			_, err := f.Get(t.Context(), tt.url)
			if !errors.Is(err, ErrBlocked) || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("Get(%s) = %v, want ErrBlocked containing %q", tt.url, err, tt.contains)
			}
		})
	}
}

func TestGetSizeLimit(t *testing.T) {
	t.Parallel()
	const limit = 1000
	srv := serve(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size := limit
		if r.URL.Query().Has("over") {
			size++
		}
		if r.URL.Query().Has("chunked") {
			// Two flushed writes and no Content-Length: the limit must
			// hold while reading, not only on the announced length.
			w.Write([]byte(strings.Repeat("a", size/2)))
			w.(http.Flusher).Flush()
			w.Write([]byte(strings.Repeat("a", size-size/2)))
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(size))
		w.Write([]byte(strings.Repeat("a", size)))
	}))
	f := New(Config{Allow: loopback, MaxBytes: limit})
	tests := []struct {
		query   string
		tooBig  bool
		message string
	}{
		{"", false, ""},
		{"chunked", false, ""},
		{"over", true, "larger than the limit of 1000 bytes"},
		{"over&chunked", true, "larger than the limit of 1000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			resp, err := f.Get(t.Context(), srv.URL+"/?"+tt.query)
			if !tt.tooBig {
				if err != nil || len(resp.Body) != limit {
					t.Fatalf("Get = %v; want %d bytes", err, limit)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("Get = %v, want ErrTooLarge %q", err, tt.message)
			}
		})
	}
}

func TestOpenStreamsWithinLimit(t *testing.T) {
	t.Parallel()
	srv := serve(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 5000)))
	}))
	f := New(Config{Allow: loopback, MaxBytes: 4096})
	body, meta, err := f.Open(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	if meta.FinalURL != srv.URL {
		t.Fatalf("FinalURL = %q", meta.FinalURL)
	}
	n := 0
	buf := make([]byte, 1000)
	for {
		k, err := body.Read(buf)
		n += k
		if err != nil {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("read error %v, want ErrTooLarge", err)
			}
			break
		}
	}
	if n != 4096 {
		t.Fatalf("read %d bytes before ErrTooLarge, want exactly the limit 4096", n)
	}
}

func TestGetTimeout(t *testing.T) {
	t.Parallel()
	srv := serve(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // answers only when the client gives up
	}))
	// Headers arrive, then the body stalls.
	stall := serve(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("sku,title_en\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	f := New(Config{Allow: loopback, Timeout: 150 * time.Millisecond})
	for _, url := range []string{srv.URL, stall.URL} {
		start := time.Now()
		_, err := f.Get(t.Context(), url)
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "did not finish within 150ms") {
			t.Fatalf("Get(%s) = %v, want ErrTimeout", url, err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("timeout took %s", d)
		}
	}

	// The caller's cancellation, once the request is in flight, is
	// reported as such, not as our timeout.
	arrived := make(chan struct{}, 1)
	waiting := serve(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := New(Config{Allow: loopback}).Get(ctx, waiting.URL)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) || err.Error() != "safefetch: the fetch was cancelled" {
		t.Fatalf("cancelled Get = %v, want context.Canceled", err)
	}
}

func TestGetStatusError(t *testing.T) {
	t.Parallel()
	srv := serve(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			http.Error(w, "internal path /srv/feeds/x not found", http.StatusNotFound)
		case "/odd":
			w.WriteHeader(599)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	f := New(Config{Allow: loopback})
	tests := []struct {
		path    string
		code    int
		message string
	}{
		{"/missing", 404, "safefetch: the server answered 404 Not Found"},
		{"/odd", 599, "safefetch: the server answered 599"},
	}
	for _, tt := range tests {
		_, err := f.Get(t.Context(), srv.URL+tt.path)
		var se *StatusError
		if !errors.As(err, &se) || se.Code != tt.code || err.Error() != tt.message {
			t.Errorf("Get(%s) = %v, want status %d %q", tt.path, err, tt.code, tt.message)
		}
	}
	resp, err := f.Get(t.Context(), srv.URL+"/empty")
	if err != nil || len(resp.Body) != 0 {
		t.Errorf("204: Get = %v, %v; want an empty body", resp, err)
	}
}

func TestGetConnectionErrorsAreSafe(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: bind one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = New(Config{Allow: loopback}).Get(t.Context(), "http://"+addr+"/feed.csv")
	var fe *Error
	if !errors.As(err, &fe) || err.Error() != "safefetch: could not connect to "+addr || fe.Cause() == nil {
		t.Fatalf("Get = %v, want a safe connection error with a cause", err)
	}
}

// The dial-time check sees the address actually connected to, whatever
// name led there: this is what defeats DNS rebinding.
func TestDialControl(t *testing.T) {
	t.Parallel()
	f := New(Config{Allow: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}})
	tests := []struct {
		network, address string
		blocked          bool
	}{
		{"tcp4", "93.184.216.34:443", false},
		{"tcp6", "[2606:4700::1]:443", false},
		{"tcp4", "10.9.1.2:8080", false}, // allowed prefix
		{"tcp4", "10.0.0.1:80", true},
		{"tcp4", "169.254.169.254:80", true},
		{"tcp6", "[::1]:443", true},
		{"tcp6", "[fe80::1%eth0]:80", true},
		{"tcp6", "[::ffff:127.0.0.1]:80", true},
		{"udp4", "93.184.216.34:53", true},
		{"tcp4", "not-an-address", true},
	}
	for _, tt := range tests {
		err := f.control(tt.network, tt.address, nil)
		if got := errors.Is(err, ErrBlocked); got != tt.blocked {
			t.Errorf("control(%s, %s) = %v, want blocked %v", tt.network, tt.address, err, tt.blocked)
		}
	}
}
