package main

import (
	"context"
	"database/sql"
	"fmt"
	"html"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"concierge/internal/testenv"
	"concierge/modules/audit"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/tenants"
)

// The dashboard's platform area beyond the tenants list, over HTTP as a
// browser without JavaScript uses it: a tenant's page with its domains,
// the WhatsApp numbers (credentials write-only, health from a real
// webhook), failed jobs (retry, discard), unrouted webhooks and the audit
// viewer with its chain verification. Every action is audited with the
// admin as actor; store staff get 403 pages and no platform links.

// platformTestArgs is a job kind no worker runs: the test makes it fail
// for good.
type platformTestArgs struct {
	Note string `json:"note"`
}

func (platformTestArgs) Kind() string { return "admin_platform_test" }

// deadJob stores a job and marks it discarded, as River does after its
// last attempt, and returns its id (scheduled ahead first, so no worker
// takes it meanwhile).
func deadJob(t *testing.T, ta *testApp, note string) int64 {
	t.Helper()
	ctx := context.Background()
	if err := ta.app.jobs.Insert(ctx, platformTestArgs{Note: note}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var id int64
	err := ta.app.deps.db.SQL.QueryRowContext(ctx, `UPDATE river_job SET state = 'discarded', attempt = max_attempts, finalized_at = now(),
		errors = ARRAY[jsonb_build_object('at', now(), 'attempt', max_attempts, 'error', 'boom: '||$1::text)]
		WHERE kind = 'admin_platform_test' AND args->>'note' = $1 RETURNING id`, note).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// platformAudit is the audit entries with action (across chains).
func platformAudit(t *testing.T, ta *testApp, action string) []audit.Entry {
	t.Helper()
	p, err := ta.app.deps.audit.Search(context.Background(), audit.Query{Action: action, Limit: audit.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	return p.Entries
}

func TestAdminPlatformArea(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, map[string]string{"WHATSAPP_APP_SECRET": "platform-secret"})
	pa := ta.tenant("pla")
	ta.tenant("plb")
	ta.user("root@platform.test", true, "", "")
	ta.user("owner@pla.test", false, "pla", "owner")
	const actor = "root@platform.test"
	ctx := context.Background()

	admin := newShopper(t, ta, "shop.test")
	csrf := adminLogin(t, admin, "root@platform.test")
	nav := admin.send("GET", "/admin/platform/tenants", nil, nil).body
	var at []int
	for _, p := range []string{"/admin/platform/tenants", "/admin/platform/numbers", "/admin/platform/jobs", "/admin/platform/unrouted", "/admin/platform/audit"} {
		at = append(at, strings.Index(nav, `href="`+p+`"`))
	}
	for i := 1; i < len(at); i++ {
		if at[i-1] < 0 || at[i] <= at[i-1] {
			t.Fatalf("platform navigation (tenants, numbers, jobs, unrouted, audit) at %v", at)
		}
	}
	if !strings.Contains(nav, `href="/admin/platform/tenants/pla"`) {
		t.Fatal("the tenants list does not link a tenant's page")
	}

	// ---- a tenant's page and its domains ----
	page := admin.send("GET", "/admin/platform/tenants/pla", nil, nil)
	if page.status != 200 || !strings.Contains(page.body, "pla.example.sa") || !strings.Contains(page.body, `href="/admin/platform/numbers?tenant=pla"`) ||
		strings.Contains(page.body, "plb.example.sa") {
		t.Fatalf("pla's page: %d %.400s", page.status, page.body)
	}
	for _, p := range []string{"/admin/platform/tenants/nope", "/admin/platform/tenants/%00", "/admin/platform/tenants/" + uuid.NewString()} {
		if r := admin.send("GET", p, nil, nil); r.status != 404 && (p != "/admin/platform/tenants/%00" || r.status != 400) {
			t.Fatalf("%s: %d", p, r.status)
		}
	}
	domains := func(slug string) []string {
		ds, err := ta.app.deps.tenants.Domains(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		var hosts []string
		for _, d := range ds {
			hosts = append(hosts, d.Host)
		}
		return hosts
	}
	for _, bad := range []struct{ host, want string }{{"not a host!", `value="not a host!"`}, {"plb.example.sa", `value="plb.example.sa"`}, {"", `id="host-err"`}} {
		r := admin.send("POST", "/admin/platform/tenants/pla/domains", url.Values{"csrf_token": {csrf}, "host": {bad.host}}, nil)
		if r.status != 422 || !strings.Contains(r.body, `id="host-err"`) || !strings.Contains(r.body, bad.want) {
			t.Fatalf("host %q: %d %.300s", bad.host, r.status, r.body)
		}
	}
	if r := admin.send("POST", "/admin/platform/tenants/pla/domains", url.Values{"host": {"www.pla.test"}}, nil); r.status != 403 {
		t.Fatalf("a domain without the token: %d", r.status)
	}
	if r := admin.send("POST", "/admin/platform/tenants/pla/domains", url.Values{"csrf_token": {csrf}, "host": {"Www.Pla.Test."}, "primary": {"on"}}, nil); r.status != 303 ||
		r.header.Get("Location") != "/admin/platform/tenants/pla?done=domain_added" {
		t.Fatalf("add a domain: %d %q", r.status, r.header.Get("Location"))
	}
	if hosts := domains("pla"); len(hosts) != 2 || !strings.Contains(strings.Join(hosts, " "), "www.pla.test") {
		t.Fatalf("pla's domains: %v", hosts)
	}
	if r := admin.send("GET", "/admin/platform/tenants/pla?done=domain_added", nil, nil); !strings.Contains(r.body, "www.pla.test") || !strings.Contains(r.body, `class="flash"`) {
		t.Fatal("the new domain is not on the tenant's page")
	}
	// plb's domain through pla's path: not found, nothing removed.
	bds, _ := ta.app.deps.tenants.Domains(ctx, "plb")
	if r := admin.send("POST", "/admin/platform/tenants/pla/domains/"+bds[0].ID.String()+"/remove", url.Values{"csrf_token": {csrf}}, nil); r.status != 404 || len(domains("plb")) != 1 {
		t.Fatalf("removing plb's domain through pla: %d, plb has %v", r.status, domains("plb"))
	}
	for _, id := range []string{"not-a-uuid", uuid.NewString()} {
		if r := admin.send("POST", "/admin/platform/tenants/pla/domains/"+id+"/remove", url.Values{"csrf_token": {csrf}}, nil); r.status != 404 {
			t.Fatalf("removing domain %s: %d", id, r.status)
		}
	}
	ads, _ := ta.app.deps.tenants.Domains(ctx, "pla")
	var www string
	for _, d := range ads {
		if d.Host == "www.pla.test" {
			www = d.ID.String()
		}
	}
	if r := admin.send("POST", "/admin/platform/tenants/pla/domains/"+www+"/remove", url.Values{}, nil); r.status != 403 {
		t.Fatalf("removing without the token: %d", r.status)
	}
	if r := admin.send("POST", "/admin/platform/tenants/pla/domains/"+www+"/remove", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 || len(domains("pla")) != 1 {
		t.Fatalf("remove a domain: %d, pla has %v", r.status, domains("pla"))
	}

	// ---- WhatsApp numbers ----
	bad := url.Values{"csrf_token": {csrf}, "tenant": {"nope"}, "phone_number_id": {"12ab"}, "display_phone": {"call me"}, "access_token": {""}, "app_secret": {"TYPED-SECRET-XYZ"}}
	r := admin.send("POST", "/admin/platform/numbers", bad, nil)
	if r.status != 422 {
		t.Fatalf("a bad number: %d %.300s", r.status, r.body)
	}
	for _, want := range []string{`id="tenant-err"`, `id="phone_number_id-err"`, `id="display_phone-err"`, `id="access_token-err"`, `value="12ab"`, `value="call me"`} {
		if !strings.Contains(r.body, want) {
			t.Fatalf("a bad number's page lacks %s", want)
		}
	}
	if strings.Contains(r.body, "TYPED-SECRET-XYZ") {
		t.Fatal("a typed secret is shown back")
	}
	good := url.Values{"csrf_token": {csrf}, "tenant": {"pla"}, "phone_number_id": {"123456789012"}, "display_phone": {"٠٥٥١٢٣٤٥٦٧"},
		"access_token": {"EAAG-SECRET-TOKEN-1"}, "app_secret": {"APP-SECRET-ONE"}}
	noToken := url.Values{}
	for k, v := range good {
		if k != "csrf_token" {
			noToken[k] = v
		}
	}
	if r := admin.send("POST", "/admin/platform/numbers", noToken, nil); r.status != 403 {
		t.Fatalf("a number without the token: %d", r.status)
	}
	if r := admin.send("POST", "/admin/platform/numbers", good, nil); r.status != 303 {
		t.Fatalf("add a number: %d %.300s", r.status, r.body)
	}
	if r := admin.send("POST", "/admin/platform/numbers", good, nil); r.status != 422 || !strings.Contains(r.body, `id="phone_number_id-err"`) {
		t.Fatalf("a taken phone_number_id: %d", r.status)
	}
	_, num, err := ta.app.deps.tenants.ResolveNumber(ctx, "123456789012")
	if err != nil || num.TenantID != pa.ID || num.DisplayPhone != "+966551234567" || num.AccessToken != "EAAG-SECRET-TOKEN-1" {
		t.Fatalf("the added number: %+v %v", num, err)
	}
	list := admin.send("GET", "/admin/platform/numbers", nil, nil)
	row := regexp.MustCompile(`(?s)<tr id="number-123456789012">.*?</tr>`).FindString(list.body)
	if list.status != 200 || row == "" || !strings.Contains(row, "+966551234567") || !strings.Contains(row, "محفوظ") || !strings.Contains(row, "لا شيء مسجل") {
		t.Fatalf("numbers page: %d row %q", list.status, row)
	}
	if strings.Contains(list.body, "EAAG-SECRET") || strings.Contains(list.body, "APP-SECRET-ONE") {
		t.Fatal("a secret is rendered on the numbers page")
	}
	if r := admin.send("GET", "/admin/platform/numbers?tenant=plb", nil, nil); strings.Contains(r.body, `id="number-123456789012"`) {
		t.Fatal("the tenant filter shows pla's number under plb")
	}
	// A verified webhook for the number is its last webhook; a forged one
	// is refused.
	wn := &waNumber{ta: ta.withT(t), tenant: pa, slug: "pla", host: "pla.example.sa", pnid: "123456789012", display: "+966551234567", secret: "APP-SECRET-ONE"}
	wn.deliver(wn.textBody(waPhone()))
	row = regexp.MustCompile(`(?s)<tr id="number-123456789012">.*?</tr>`).FindString(admin.send("GET", "/admin/platform/numbers?tenant=pla", nil, nil).body)
	if strings.Contains(row, "لا شيء مسجل") || !strings.Contains(row, "لا أخطاء") {
		t.Fatalf("after a webhook the number's row: %q", row)
	}

	// Replace the token (blank keeps the secret); nothing typed is 422.
	upd := "/admin/platform/numbers/" + num.ID.String()
	if r := admin.send("POST", upd, url.Values{"csrf_token": {csrf}, "status": {"active"}}, nil); r.status != 422 ||
		!strings.Contains(r.body, `id="access_token-`+num.ID.String()+`-err"`) {
		t.Fatalf("an empty replace: %d", r.status)
	}
	if r := admin.send("POST", upd, url.Values{"csrf_token": {csrf}, "status": {"gone"}}, nil); r.status != 422 {
		t.Fatalf("a bad status: %d", r.status)
	}
	if r := admin.send("POST", upd, url.Values{"access_token": {"EAAG-NEW"}}, nil); r.status != 403 {
		t.Fatalf("a replace without the token: %d", r.status)
	}
	if r := admin.send("POST", upd, url.Values{"csrf_token": {csrf}, "access_token": {"EAAG-NEW"}, "status": {"active"}}, nil); r.status != 303 {
		t.Fatalf("replace the token: %d %.300s", r.status, r.body)
	}
	if _, n, err := ta.app.deps.tenants.ResolveNumber(ctx, "123456789012"); err != nil || n.AccessToken != "EAAG-NEW" || n.AppSecret != "APP-SECRET-ONE" {
		t.Fatalf("after the replace: %+v %v", n, err)
	}
	for _, id := range []string{uuid.NewString(), "x"} {
		if r := admin.send("POST", "/admin/platform/numbers/"+id, url.Values{"csrf_token": {csrf}, "access_token": {"x"}}, nil); r.status != 404 {
			t.Fatalf("replace on number %s: %d", id, r.status)
		}
	}
	// Pages of 25: a tenant with 30 numbers has a second page (its filter
	// kept); a replace that fails on the last number shows its page.
	ta.tenant("plc")
	var last *tenants.Number
	for i := range 30 {
		n, err := ta.app.deps.tenants.AddNumber(ctx, "test", "plc", tenants.NumberInput{PhoneNumberID: fmt.Sprintf("1888000000%02d", i),
			DisplayPhone: fmt.Sprintf("+9665510000%02d", i), AccessToken: "t", AppSecret: "s"})
		if err != nil {
			t.Fatal(err)
		}
		last = n
	}
	rows := regexp.MustCompile(`<tr id="number-`)
	page1 := admin.send("GET", "/admin/platform/numbers?tenant=plc", nil, nil)
	more := regexp.MustCompile(`<a href="(/admin/platform/numbers\?[^"]+)" rel="next">`).FindStringSubmatch(page1.body)
	if n := len(rows.FindAllString(page1.body, -1)); n != 25 || more == nil || !strings.Contains(more[1], "tenant=plc") {
		t.Fatalf("first page: %d rows, next %v", n, more)
	}
	page2 := admin.send("GET", html.UnescapeString(more[1]), nil, nil)
	if n := len(rows.FindAllString(page2.body, -1)); n != 5 || strings.Contains(page2.body, `rel="next"`) || !strings.Contains(page2.body, `id="number-188800000029"`) {
		t.Fatalf("second page: %d rows", n)
	}
	if r := admin.send("POST", "/admin/platform/numbers/"+last.ID.String(), url.Values{"csrf_token": {csrf}, "status": {"active"}}, nil); r.status != 422 ||
		!strings.Contains(r.body, `id="access_token-`+last.ID.String()+`-err"`) {
		t.Fatalf("a failed replace on page two: %d", r.status)
	}

	// ---- failed jobs ----
	first, second := deadJob(t, ta, "one"), deadJob(t, ta, "two")
	jobsPage := admin.send("GET", "/admin/platform/jobs", nil, nil)
	if jobsPage.status != 200 || !strings.Contains(jobsPage.body, `id="job-`+strconv.FormatInt(first, 10)+`"`) ||
		!strings.Contains(jobsPage.body, "admin_platform_test") || !strings.Contains(jobsPage.body, "boom: two") {
		t.Fatalf("jobs page: %d %.400s", jobsPage.status, jobsPage.body)
	}
	if r := admin.send("GET", "/admin/platform/jobs?after="+strconv.FormatInt(second, 10), nil, nil); strings.Contains(r.body, `id="job-`+strconv.FormatInt(second, 10)+`"`) ||
		!strings.Contains(r.body, `id="job-`+strconv.FormatInt(first, 10)+`"`) {
		t.Fatal("the next page holds the older job only")
	}
	jobURL := func(id int64, act string) string {
		return "/admin/platform/jobs/" + strconv.FormatInt(id, 10) + "/" + act
	}
	if r := admin.send("POST", jobURL(first, "retry"), url.Values{}, nil); r.status != 403 {
		t.Fatalf("a retry without the token: %d", r.status)
	}
	if r := admin.send("POST", jobURL(first, "retry"), url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
		t.Fatalf("retry: %d %.300s", r.status, r.body)
	}
	if r := admin.send("POST", jobURL(first, "discard"), url.Values{"csrf_token": {csrf}}, nil); r.status != 409 {
		t.Fatalf("discarding a job waiting to run: %d", r.status)
	}
	if r := admin.send("POST", jobURL(second, "discard"), url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
		t.Fatalf("discard: %d %.300s", r.status, r.body)
	}
	if left, err := ta.app.jobs.ListDiscarded(ctx, 10, 0); err != nil || len(left) != 0 {
		t.Fatalf("discarded after retry and discard: %+v %v", left, err)
	}
	for _, p := range []string{jobURL(second, "retry"), jobURL(second+1000, "discard"), "/admin/platform/jobs/-1/retry", "/admin/platform/jobs/99999999999999999999/retry"} {
		if r := admin.send("POST", p, url.Values{"csrf_token": {csrf}}, nil); r.status != 404 {
			t.Fatalf("%s: %d", p, r.status)
		}
	}

	// The JSON API's retry is audited too, in the retry's transaction.
	third := deadJob(t, ta, "three")
	ops := ta.user("ops@platform.test", true, "", "")
	if r := ta.do(request{method: "POST", path: "/api/platform/jobs/" + strconv.FormatInt(third, 10) + "/retry", token: ops}); r.status != 202 {
		t.Fatalf("API retry: %d %s", r.status, r.body)
	}
	if r := ta.do(request{method: "POST", path: "/api/platform/jobs/" + strconv.FormatInt(third, 10) + "/retry", token: ops}); r.status != 409 {
		t.Fatalf("API retry of a job waiting to run: %d %s", r.status, r.body)
	}
	byOps := 0
	for _, e := range platformAudit(t, ta, "job.retry") {
		if strings.Contains(e.Actor, "ops@platform.test") && e.Target == "job:"+strconv.FormatInt(third, 10) && strings.Contains(string(e.Before), `"state": "discarded"`) {
			byOps++
		}
	}
	if byOps != 1 {
		t.Fatalf("the API's retry: %d audit entries, want 1 (the refused one records none)", byOps)
	}

	// ---- unrouted webhooks ----
	ghost := waBody(map[string]any{"messaging_product": "whatsapp", "metadata": map[string]any{"display_phone_number": "966500000000", "phone_number_id": "199900000077"},
		"messages": []any{waText(waPhone(), "مرحبا")}})
	if r := wn.post(ghost, cloudapi.Sign(ghost, "platform-secret")); r.status != 200 {
		t.Fatalf("an unrouted webhook: %d %s", r.status, r.body)
	}
	if r := admin.send("GET", "/admin/platform/unrouted", nil, nil); r.status != 200 || !strings.Contains(r.body, "199900000077") {
		t.Fatalf("unrouted page: %d %.300s", r.status, r.body)
	}
	if r := admin.send("GET", "/admin/platform/unrouted?before=1", nil, nil); r.status != 200 || !strings.Contains(r.body, `id="no-unrouted"`) {
		t.Fatalf("unrouted before the first: %d", r.status)
	}

	// ---- every action above is audited with the admin as actor ----
	for _, action := range []string{"domain.add", "domain.remove", "whatsapp_number.add", "whatsapp_number.update", "job.retry", "job.discard"} {
		es := platformAudit(t, ta, action)
		byAdmin := 0
		for _, e := range es {
			if strings.Contains(e.Actor, actor) {
				byAdmin++
			}
		}
		if byAdmin != 1 {
			t.Fatalf("%s: %d entries by the admin in %+v", action, byAdmin, es)
		}
	}

	// ---- the audit viewer ----
	av := admin.send("GET", "/admin/platform/audit?tenant=pla&actor=root%40platform&action=domain.", nil, nil)
	if av.status != 200 || !strings.Contains(av.body, "domain.add") || !strings.Contains(av.body, "domain.remove") || strings.Contains(av.body, "tenant.create") ||
		strings.Contains(av.body, "job.retry") {
		t.Fatalf("audit filtered to pla's domains by the admin: %d %.300s", av.status, av.body)
	}
	if r := admin.send("GET", "/admin/platform/audit?tenant=platform", nil, nil); !strings.Contains(r.body, "job.discard") || strings.Contains(r.body, "domain.add") {
		t.Fatal("the platform chain filter")
	}
	if r := admin.send("GET", "/admin/platform/audit?tenant=nope&from=yesterday&actor="+strings.Repeat("a", 201), nil, nil); r.status != 422 || !strings.Contains(r.body, `id="tenant-err"`) ||
		!strings.Contains(r.body, `id="from-err"`) || !strings.Contains(r.body, `id="actor-err"`) || strings.Contains(r.body, "domain.add") {
		t.Fatalf("bad audit filters: %d tenant %v from %v actor %v domain %v", r.status, strings.Contains(r.body, `id="tenant-err"`), strings.Contains(r.body, `id="from-err"`),
			strings.Contains(r.body, `id="actor-err"`), strings.Contains(r.body, "domain.add"))
	}
	if r := admin.send("GET", "/admin/platform/audit?from=2000-01-01&to=2000-01-02", nil, nil); !strings.Contains(r.body, `id="no-entries"`) {
		t.Fatal("a date range without entries shows some")
	}
	if r := admin.send("GET", "/admin/platform/audit?verify=1", nil, nil); r.status != 200 || !strings.Contains(r.body, `id="chain-ok"`) {
		t.Fatalf("verification of an intact log: %d", r.status)
	}
	// Pages of 25: enough entries make a next link whose page continues.
	for i := range 25 {
		if _, err := ta.app.deps.tenants.AddDomain(ctx, "test", "plb", tenantsDomain("d"+strconv.Itoa(i)+".plb.test")); err != nil {
			t.Fatal(err)
		}
	}
	p1 := admin.send("GET", "/admin/platform/audit?tenant=plb", nil, nil)
	next := regexp.MustCompile(`href="(/admin/platform/audit\?[^"]+)" rel="next"`).FindStringSubmatch(p1.body)
	if next == nil || !strings.Contains(next[1], "tenant=plb") {
		t.Fatalf("no next page link on a full page: %.300s", p1.body)
	}
	if p2 := admin.send("GET", strings.ReplaceAll(next[1], "&amp;", "&"), nil, nil); p2.status != 200 || !strings.Contains(p2.body, "tenant.create") {
		t.Fatalf("second page: %d", p2.status)
	}
	// Tampering is found and named.
	owner := testenvAdmin(t, ta)
	for _, stmt := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`,
		`UPDATE audit_log SET actor = 'mallory' WHERE action = 'domain.remove'`} {
		if _, err := owner.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if r := admin.send("GET", "/admin/platform/audit?verify=1", nil, nil); !strings.Contains(r.body, `id="chain-broken"`) || !strings.Contains(r.body, "content changed") {
		t.Fatalf("verification of a changed log: %.300s", r.body)
	}

	// Hostile input: 4xx, never 5xx.
	for _, p := range []string{"/admin/platform/numbers?tenant=%FF%FE", "/admin/platform/jobs?after=%00", "/admin/platform/unrouted?before=-5",
		"/admin/platform/audit?action=%FF&tenant=%00", "/admin/platform/audit?before=99999999999999999999999", "/admin/platform/audit?from=99999-01-01"} {
		if r := admin.send("GET", p, nil, nil); r.status >= 500 {
			t.Fatalf("%s: %d", p, r.status)
		}
	}
	if r := admin.send("POST", "/admin/platform/numbers", url.Values{"csrf_token": {csrf}, "tenant": {"pla"}, "phone_number_id": {"1\x002"}}, nil); r.status >= 500 || r.status == 303 {
		t.Fatalf("a NUL in a form: %d", r.status)
	}

	// ---- store staff: 403 pages, no platform links ----
	staff := newShopper(t, ta, "pla.example.sa")
	scsrf := adminLogin(t, staff, "owner@pla.test")
	home := staff.send("GET", "/admin", nil, nil)
	if strings.Contains(home.body, "/admin/platform/") {
		t.Fatal("an owner's navigation offers the platform area")
	}
	for _, p := range []string{"/admin/platform/tenants/pla", "/admin/platform/numbers", "/admin/platform/jobs", "/admin/platform/unrouted", "/admin/platform/audit?verify=1"} {
		if r := staff.send("GET", p, nil, nil); r.status != 403 || strings.Contains(r.body, "123456789012") || strings.Contains(r.body, `id="chain-`) {
			t.Fatalf("an owner at %s: %d", p, r.status)
		}
	}
	for _, p := range []string{"/admin/platform/tenants/pla/domains", "/admin/platform/numbers", upd, jobURL(first, "retry"), jobURL(first, "discard")} {
		if r := staff.send("POST", p, url.Values{"csrf_token": {scsrf}, "host": {"evil.test"}, "access_token": {"x"}}, nil); r.status != 403 {
			t.Fatalf("an owner posting %s: %d", p, r.status)
		}
	}
	if len(domains("pla")) != 1 {
		t.Fatal("an owner's refused post changed pla's domains")
	}
}

// testenvAdmin connects to the app's database as the server's superuser
// (to tamper with the audit log as an attacker with the database would).
func testenvAdmin(t *testing.T, ta *testApp) *sql.DB {
	t.Helper()
	app, err := url.Parse(ta.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	su, err := url.Parse(os.Getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	su.Path = app.Path
	return testenv.Open(t, su.String()).SQL
}

func tenantsDomain(host string) tenants.DomainInput { return tenants.DomainInput{Host: host} }
