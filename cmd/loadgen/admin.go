package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The dashboard scenario admin-orders (opt-in) reads the admin dashboard's
// orders page, GET /admin/orders (25 orders, newest first, as HTML), on the
// -host tenant as a signed-in staff member (-order-email, -order-password:
// the demo owner by default), with the session cookie cc_admin. Before the
// probe it places the order scenarios' orders (once, shared with
// order-get and order-lookup: -order-orders), so the page lists real
// orders, then signs in through the dashboard's own form: GET /admin/login
// (its form token and cookie), POST /admin/login (a 303 and the session
// cookie). The session outlives any run: every request uses it, so its idle
// timeout never passes, and the server refreshes its access token itself.
// Only a 200 counts.
const (
	adminOrdersScenario = "admin-orders"
	adminOrdersPath     = "/admin/orders"
	adminLoginPath      = "/admin/login"
)

var adminFormToken = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// adminSignIn signs in through the dashboard's form on cfg.host and returns
// the session cookie's value.
func adminSignIn(ctx context.Context, cfg config) (string, error) {
	client := &http.Client{Transport: newTransport(cfg, 1), Timeout: cfg.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	base := strings.TrimRight(cfg.target, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+adminLoginPath, nil)
	if err != nil {
		return "", err
	}
	req.Host = cfg.host
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	m := adminFormToken.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("admin sign-in: GET %s answered %d without a form token", adminLoginPath, resp.StatusCode)
	}
	form := url.Values{"csrf_token": {string(m[1])}, "email": {cfg.orders.email}, "password": {cfg.orders.password}}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, base+adminLoginPath, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Host = cfg.host
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	resp, err = client.Do(req)
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("admin sign-in as %s: POST %s answered %d, want 303: %.300s", cfg.orders.email, adminLoginPath, resp.StatusCode, body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "cc_admin" && c.Value != "" {
			return c.Value, nil
		}
	}
	return "", fmt.Errorf("admin sign-in as %s: no cc_admin cookie in the answer", cfg.orders.email)
}

// setupAdminOrders places the run's orders (unless an order scenario did)
// and signs in to the dashboard.
func setupAdminOrders(ctx context.Context, cfg config) (Request, *cartSetup, error) {
	start := time.Now()
	p := cfg.orders.prep
	if p == nil {
		return nil, nil, errNoPrep
	}
	if _, err := p.get(ctx, cfg, adminOrdersScenario); err != nil {
		return nil, nil, err
	}
	session, err := adminSignIn(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	cookie := (&http.Cookie{Name: "cc_admin", Value: session}).String()
	st := &cartSetup{report: p.report(adminOrdersScenario, time.Since(start).Milliseconds())}
	st.report.SignedInAs = cfg.orders.email
	return func(t *vegeta.Target) error {
		t.Header.Set("Cookie", cookie)
		t.Header.Set("Accept-Encoding", "gzip")
		return nil
	}, st, nil
}
