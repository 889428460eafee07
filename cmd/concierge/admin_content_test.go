package main

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"concierge/cmd/concierge/sandbox"
)

// The dashboard's returns queue, templates and quick replies, and
// customers over HTTP, as a browser without JavaScript (and htmx, for the
// live preview) uses them: roles (navigation, 403 pages, forms shown or
// not), field errors with what was typed, CSRF, another tenant's ids, and
// hostile input.

// chatReturn takes chat's customer through a return of order orderID in
// WhatsApp, with a photo, and returns the return's id once the worker has
// stored the photo (its media id second).
func chatReturn(t *testing.T, ta *testApp, n *waNumber, chat *waChat, owner, orderID string) (string, string) {
	t.Helper()
	chat.typeText("my orders", 1)
	start := idWith(t, chat.tap("orders:show:"+orderID, 2), "ret:start:"+orderID)
	item := idWith(t, chat.tap(start, 1), "ret:item:0")
	reason := idWith(t, chat.send(sandbox.CustomerMessage{ListReply: &sandbox.ReplyChoice{ID: item, Title: "White Musk Perfume"}}, 2), "ret:reason:damaged")
	chat.send(sandbox.CustomerMessage{ListReply: &sandbox.ReplyChoice{ID: reason, Title: "Damaged"}}, 1)
	chat.send(sandbox.CustomerMessage{Image: &sandbox.Image{Caption: "torn seam"}}, 3)
	wantText(t, chat.tap("ret:confirm", 1), "RMA-1001")
	var list struct{ Items []apiReturn }
	if err := json.Unmarshal(ta.do(request{method: "GET", path: "/api/v1/returns?status=requested", host: n.host, token: owner}).raw, &list); err != nil || len(list.Items) != 1 {
		t.Fatalf("returns: %+v %v", list, err)
	}
	ret := list.Items[0]
	poll(t, "the photo is stored", func() bool {
		ret = decodeReturn(t, ta.do(request{method: "GET", path: "/api/v1/returns/" + ret.ID, host: n.host, token: owner}))
		return len(ret.Media) == 1 && ret.Media[0].Status == "stored"
	})
	return ret.ID, ret.Media[0].ID
}

// staffReturn records a return of a delivered order through the API.
func staffReturn(t *testing.T, ta *testApp, n *waNumber, owner, orderID string) string {
	t.Helper()
	r := ta.do(request{method: "POST", path: "/api/v1/returns", host: n.host, token: owner,
		body: `{"order_id":"` + orderID + `","items":[{"sku":"PRF-002","quantity":1}],"reason":"changed_mind"}`})
	if r.status != 201 {
		t.Fatalf("staff return: %d %s", r.status, r.body)
	}
	return decodeReturn(t, r).ID
}

// auditActions are the store's audit entries by actor, as action names.
func auditActions(t *testing.T, ta *testApp, host, token string) map[string][]string {
	t.Helper()
	r := ta.do(request{method: "GET", path: "/api/v1/audit", host: host, token: token})
	var wrapped struct {
		Items []struct{ Actor, Action string }
	}
	if err := json.Unmarshal(r.raw, &wrapped); err != nil {
		var plain []struct{ Actor, Action string }
		if err := json.Unmarshal(r.raw, &plain); err != nil {
			t.Fatalf("audit: %d %.300s", r.status, r.body)
		}
		wrapped.Items = plain
	}
	out := map[string][]string{}
	for _, e := range wrapped.Items {
		out[e.Actor] = append(out[e.Actor], e.Action)
	}
	return out
}

func hasID(body, id string) bool { return strings.Contains(body, `id="`+id+`"`) }

func TestAdminContent(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	n, owner, _ := lifeShop(t, ta, "cnta")
	nB, ownerB, _ := lifeShop(t, ta, "cntb")
	ta.user("agent@cnta.test", false, "cnta", "agent")
	ta.user("viewer@cnta.test", false, "cnta", "viewer")

	// A WhatsApp customer with a delivered cash-on-delivery order, a
	// return with a photo, and a second order returned through the API.
	chat := &waChat{t: t, n: n, phone: waPhone(), total: 3}
	n.onboard(chat.phone, "en", "Huda")
	o := placeCOD(t, ta, n, chat.phone)
	chat.total += 2
	n.waitBot(chat.phone, chat.total, 20*time.Second)
	if r := ta.do(request{method: "POST", path: "/api/v1/orders/" + o.ID + "/cod-collected", host: n.host, token: owner}); r.status != 200 {
		t.Fatalf("collected: %d %s", r.status, r.body)
	}
	deliver(t, ta, n, owner, o.ID)
	chat.total += 2
	n.waitBot(chat.phone, chat.total, 20*time.Second)
	retID, mediaID := chatReturn(t, ta, n, chat, owner, o.ID)
	o2 := placeCOD(t, ta, n, chat.phone)
	deliver(t, ta, n, owner, o2.ID)
	ret2 := staffReturn(t, ta, n, owner, o2.ID)
	// Tenant B's records, for A's staff to try.
	oB := placeCOD(t, ta, nB, "966551999001")
	deliver(t, ta, nB, ownerB, oB.ID)
	retB := staffReturn(t, ta, nB, ownerB, oB.ID)

	web := newShopper(t, ta, n.host)
	csrf := adminLogin(t, web, "owner@cnta.test")
	webB := newShopper(t, ta, nB.host)
	csrfB := adminLogin(t, webB, "owner@cntb.test")

	t.Run("navigation", func(t *testing.T) {
		home := web.send("GET", "/admin", nil, nil).body
		i := func(p string) int { return strings.Index(home, `href="`+p+`"`) }
		if !(i("/admin/orders") < i("/admin/returns") && i("/admin/returns") < i("/admin/templates") && i("/admin/templates") < i("/admin/customers")) ||
			i("/admin/orders") < 0 {
			t.Fatalf("the owner's navigation order: orders %d, returns %d, templates %d, customers %d", i("/admin/orders"), i("/admin/returns"),
				i("/admin/templates"), i("/admin/customers"))
		}
	})

	t.Run("roles", func(t *testing.T) {
		// The agent: no returns (403, no link), templates read only,
		// customers read.
		agent := newShopper(t, ta, n.host)
		acsrf := adminLogin(t, agent, "agent@cnta.test")
		home := agent.send("GET", "/admin", nil, nil).body
		if strings.Contains(home, `href="/admin/returns"`) || !strings.Contains(home, `href="/admin/templates"`) || !strings.Contains(home, `href="/admin/customers"`) {
			t.Errorf("the agent's navigation: %.600s", home)
		}
		for _, p := range []string{"/admin/returns", "/admin/returns/" + retID, "/admin/returns/" + retID + "/media/" + mediaID, "/admin/templates/quick-replies/new"} {
			if r := agent.send("GET", p, nil, nil); r.status != 403 {
				t.Errorf("agent %s: %d", p, r.status)
			}
		}
		if r := agent.send("GET", "/admin/templates", nil, nil); r.status != 200 || strings.Contains(r.body, "/admin/templates/sync") || hasID(r.body, "new-qr") {
			t.Errorf("the agent's templates page: %d", r.status)
		}
		for _, p := range []string{"/admin/templates/sync", "/admin/templates/quick-replies", "/admin/returns/" + ret2 + "/decision"} {
			if r := agent.send("POST", p, url.Values{"csrf_token": {acsrf}, "shortcut": {"x"}, "title": {"x"}, "body_ar": {"x"}, "body_en": {"x"}}, nil); r.status != 403 {
				t.Errorf("agent POST %s: %d", p, r.status)
			}
		}
		if r := agent.send("GET", "/admin/customers", nil, nil); r.status != 200 {
			t.Errorf("the agent's customers: %d", r.status)
		}
		// The viewer: reads returns without the forms, decides nothing.
		viewer := newShopper(t, ta, n.host)
		vcsrf := adminLogin(t, viewer, "viewer@cnta.test")
		if r := viewer.send("GET", "/admin/returns/"+ret2, nil, nil); r.status != 200 || strings.Contains(r.body, "/decision") || strings.Contains(r.body, "/received") {
			t.Errorf("the viewer's return page: %d", r.status)
		}
		if r := viewer.send("POST", "/admin/returns/"+retID+"/received", url.Values{"csrf_token": {vcsrf}}, nil); r.status != 403 {
			t.Errorf("the viewer marks received: %d", r.status)
		}
		// B's owner (no role in A) on A's host: the pages do not exist.
		onA := newShopper(t, ta, n.host)
		onA.cookies = webB.cookies
		for _, p := range []string{"/admin/returns", "/admin/templates", "/admin/customers", "/admin/returns/" + retID} {
			if r := onA.send("GET", p, nil, nil); r.status != 404 {
				t.Errorf("B's owner on A's host %s: %d", p, r.status)
			}
		}
		if r := onA.send("POST", "/admin/returns/"+ret2+"/decision", url.Values{"csrf_token": {csrfB}, "decision": {"approve"}}, nil); r.status != 404 {
			t.Errorf("B's owner deciding on A's host: %d", r.status)
		}
	})

	t.Run("returns", func(t *testing.T) {
		list := web.send("GET", "/admin/returns", nil, nil)
		if list.status != 200 || !strings.Contains(list.body, "/admin/returns/"+retID) || !strings.Contains(list.body, "/admin/returns/"+ret2) ||
			strings.Contains(list.body, retB) || !strings.Contains(list.body, `aria-current="page"`) {
			t.Fatalf("returns list: %d %.500s", list.status, list.body)
		}
		if r := web.send("GET", "/admin/returns?status=closed", nil, nil); r.status != 200 || !hasID(r.body, "no-returns") {
			t.Fatalf("no closed returns: %d", r.status)
		}
		if r := web.send("GET", "/admin/returns?status=bogus&cursor=nope", nil, nil); r.status != 422 || !hasID(r.body, "status-err") ||
			!strings.Contains(r.body, retID) {
			t.Fatalf("a bad status: %d %.300s", r.status, r.body)
		}

		// The return's page: the order, the reason, the photo, the forms.
		d := web.send("GET", "/admin/returns/"+retID, nil, nil)
		for _, want := range []string{`id="return-order"`, "/admin/orders/" + o.ID, "تالف", `src="/admin/returns/` + retID + `/media/` + mediaID + `"`,
			`action="/admin/returns/` + retID + `/decision"`, `name="refund_amount"`, `id="timeline"`} {
			if !strings.Contains(d.body, want) {
				t.Fatalf("the return's page lacks %s: %d %.600s", want, d.status, d.body)
			}
		}
		img := web.send("GET", "/admin/returns/"+retID+"/media/"+mediaID, nil, nil)
		if img.status != 200 || img.header.Get("Content-Type") != "image/png" || img.header.Get("X-Content-Type-Options") != "nosniff" ||
			img.header.Get("Cache-Control") != "private, no-store" || !strings.HasPrefix(img.body, "\x89PNG") {
			t.Fatalf("the photo: %d %v", img.status, img.header)
		}
		for _, p := range []string{"/admin/returns/" + retID + "/media/" + retID, "/admin/returns/not-an-id",
			"/admin/returns/" + ret2 + "/media/" + mediaID} {
			if r := web.send("GET", p, nil, nil); r.status != 404 {
				t.Errorf("%s: %d", p, r.status)
			}
		}
		if r := web.send("GET", "/admin/returns/"+retID+"/media/%00", nil, nil); r.status < 400 || r.status >= 500 {
			t.Errorf("a NUL media id: %d", r.status)
		}

		// Bad decisions: said next to the field, what was typed kept,
		// nothing decided.
		post := func(id string, f url.Values) page {
			return web.send("POST", "/admin/returns/"+id+"/decision", f, nil)
		}
		for _, c := range []struct {
			name  string
			form  url.Values
			field string
		}{
			{"not an amount", url.Values{"decision": {"approve"}, "refund_amount": {"twelve"}}, "refund_amount"},
			{"another currency", url.Values{"decision": {"approve"}, "refund_amount": {"5 KWD"}}, "refund_amount"},
			{"more than the order", url.Values{"decision": {"approve"}, "refund_amount": {"99999"}}, "refund_amount"},
			{"huge", url.Values{"decision": {"approve"}, "refund_amount": {"99999999999999999999999"}}, "refund_amount"},
			{"too precise", url.Values{"decision": {"approve"}, "refund_amount": {"1.005"}}, "refund_amount"},
			{"reject without a note", url.Values{"decision": {"reject"}}, "note"},
			{"no decision", url.Values{"refund_amount": {"1"}}, "decision"},
		} {
			c.form.Set("csrf_token", csrf)
			r := post(retID, c.form)
			if r.status != 422 || !hasID(r.body, c.field+"-err") {
				t.Errorf("%s: %d %.300s", c.name, r.status, r.body)
			}
			if v := c.form.Get("refund_amount"); v != "" && !strings.Contains(r.body, `value="`+v+`"`) {
				t.Errorf("%s: the amount typed is not kept", c.name)
			}
		}
		if r := post(retID, url.Values{"csrf_token": {csrf}, "decision": {"approve"}, "refund_amount": {"1"}, "note": {"a\x00b"}}); r.status != 422 {
			t.Errorf("a NUL in the note: %d", r.status)
		}
		if r := post(retID, url.Values{"decision": {"approve"}, "refund_amount": {"1"}}); r.status != 403 {
			t.Errorf("a decision without the token: %d", r.status)
		}
		if got := decodeReturn(t, ta.do(request{method: "GET", path: "/api/v1/returns/" + retID, host: n.host, token: owner})); got.Status != "requested" {
			t.Fatalf("a refused decision decided: %+v", got)
		}

		// Approve 10.00 (Arabic-Indic digits as typed): a manual refund
		// (cash on delivery: "refunded" once recorded), decided by the
		// owner; then received.
		if r := post(retID, url.Values{"csrf_token": {csrf}, "decision": {"approve"}, "refund_amount": {"١٠٫٠٠"}, "note": {"sorry"}}); r.status != 303 ||
			r.header.Get("Location") != "/admin/returns/"+retID+"?done=approved" {
			t.Fatalf("approve: %d %.300s", r.status, r.body)
		}
		var got struct {
			Status       string `json:"status"`
			RefundAmount int64  `json:"refund_amount"`
			DecidedBy    string `json:"decided_by"`
		}
		raw := ta.do(request{method: "GET", path: "/api/v1/returns/" + retID, host: n.host, token: owner}).raw
		_ = json.Unmarshal(raw, &got)
		if (got.Status != "approved" && got.Status != "refunded") || got.RefundAmount != 1000 || !strings.Contains(got.DecidedBy, "owner@cnta.test") {
			t.Fatalf("after approval: %s", raw)
		}
		if r := web.send("GET", "/admin/returns/"+retID+"?done=approved", nil, nil); !strings.Contains(r.body, `class="flash"`) ||
			strings.Contains(r.body, `name="refund_amount"`) || !strings.Contains(r.body, "/received") {
			t.Errorf("the approved return's page: %.400s", r.body)
		}
		if r := web.send("POST", "/admin/returns/"+ret2+"/received", url.Values{"csrf_token": {csrf}}, nil); r.status != 409 {
			t.Errorf("receiving a return not approved: %d", r.status)
		}
		if r := web.send("POST", "/admin/returns/"+retID+"/received", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
			t.Fatalf("received: %d %.300s", r.status, r.body)
		}
		// Reject the other with a note.
		if r := post(ret2, url.Values{"csrf_token": {csrf}, "decision": {"reject"}, "note": {"Used item"}}); r.status != 303 {
			t.Fatalf("reject: %d %.300s", r.status, r.body)
		}
		if r := post(ret2, url.Values{"csrf_token": {csrf}, "decision": {"approve"}, "refund_amount": {"1"}}); r.status != 422 || !hasID(r.body, "decision-err") {
			t.Errorf("approving a rejected return: %d", r.status)
		}

		// Another tenant's return: not found, nothing changed.
		for _, p := range []string{"/admin/returns/" + retB, "/admin/returns/" + retB + "/media/" + mediaID} {
			if r := web.send("GET", p, nil, nil); r.status != 404 {
				t.Errorf("B's %s on A's dashboard: %d", p, r.status)
			}
		}
		if r := post(retB, url.Values{"csrf_token": {csrf}, "decision": {"reject"}, "note": {"no"}}); r.status != 404 {
			t.Errorf("deciding B's return from A: %d", r.status)
		}
		if r := web.send("POST", "/admin/returns/"+retB+"/received", url.Values{"csrf_token": {csrf}}, nil); r.status != 404 {
			t.Errorf("receiving B's return from A: %d", r.status)
		}
		if r := webB.send("GET", "/admin/returns/"+retID+"/media/"+mediaID, nil, nil); r.status != 404 {
			t.Errorf("A's photo on B's dashboard: %d", r.status)
		}
		if b := decodeReturn(t, ta.do(request{method: "GET", path: "/api/v1/returns/" + retB, host: nB.host, token: ownerB})); b.Status != "requested" {
			t.Errorf("B's return changed: %+v", b)
		}
	})

	t.Run("templates and quick replies", func(t *testing.T) {
		if r := web.send("POST", "/admin/templates/sync", url.Values{}, nil); r.status != 403 {
			t.Errorf("sync without the token: %d", r.status)
		}
		if r := web.send("POST", "/admin/templates/sync", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
			t.Fatalf("sync: %d", r.status)
		}
		poll(t, "the templates are synced", func() bool {
			return hasID(web.send("GET", "/admin/templates", nil, nil).body, "tpl-order_confirmed-ar")
		})
		tp := web.send("GET", "/admin/templates", nil, nil)
		if !strings.Contains(tp.body, "معتمد") || !strings.Contains(tp.body, `action="/admin/templates/sync"`) || !hasID(tp.body, "new-qr") {
			t.Fatalf("templates page: %.600s", tp.body)
		}

		// The editor: field errors with what was typed; the preview
		// (without JavaScript, and htmx's fragment) saves nothing.
		newQR := web.send("GET", "/admin/templates/quick-replies/new", nil, nil)
		if newQR.status != 200 || !strings.Contains(newQR.body, `hx-trigger="keyup changed delay:300ms"`) || !strings.Contains(newQR.body, `value="preview"`) {
			t.Fatalf("the editor: %d %.400s", newQR.status, newQR.body)
		}
		form := url.Values{"csrf_token": {csrf}, "shortcut": {"Bad Shortcut"}, "title": {"Thanks"}, "body_ar": {"شكرًا {{nope}}"}, "body_en": {"Thanks {{customer_name}}"}}
		bad := web.send("POST", "/admin/templates/quick-replies", form, nil)
		if bad.status != 422 || !hasID(bad.body, "shortcut-err") || !hasID(bad.body, "body_ar-err") || !strings.Contains(bad.body, `value="Bad Shortcut"`) ||
			!strings.Contains(bad.body, "شكرًا {{nope}}") {
			t.Fatalf("bad quick reply: %d %.500s", bad.status, bad.body)
		}
		form.Set("shortcut", "thanks")
		form.Set("body_ar", "شكرًا {{customer_name}}، طلبك {{order_number}} من {{store_name}}")
		form.Set("action", "preview")
		pv := web.send("POST", "/admin/templates/quick-replies", form, nil)
		if pv.status != 200 || !strings.Contains(pv.body, "شكرًا سارة، طلبك ١٠٤٢ من متجر cnta") || !strings.Contains(pv.body, "Thanks Sarah") {
			t.Fatalf("preview without JavaScript: %d %.600s", pv.status, pv.body)
		}
		hx := web.send("POST", "/admin/templates/quick-replies/preview", form, map[string]string{"HX-Request": "true", "X-CSRF-Token": csrf})
		if hx.status != 200 || strings.Contains(hx.body, "<html") || !hasID(hx.body, "preview-en") || !strings.Contains(hx.body, "Thanks Sarah") {
			t.Fatalf("htmx preview: %d %.400s", hx.status, hx.body)
		}
		if r := web.send("POST", "/admin/templates/quick-replies/preview", url.Values{"body_ar": {"x"}}, map[string]string{"HX-Request": "true"}); r.status != 403 {
			t.Errorf("a preview without the token: %d", r.status)
		}
		if hasID(web.send("GET", "/admin/templates", nil, nil).body, "qr-thanks") {
			t.Fatal("a preview saved the quick reply")
		}
		form.Set("action", "save")
		if r := web.send("POST", "/admin/templates/quick-replies", form, nil); r.status != 303 {
			t.Fatalf("create: %d %.300s", r.status, r.body)
		}
		if r := web.send("POST", "/admin/templates/quick-replies", form, nil); r.status != 422 || !hasID(r.body, "shortcut-err") {
			t.Errorf("a taken shortcut: %d", r.status)
		}
		list := web.send("GET", "/admin/templates?done=created", nil, nil)
		m := regexp.MustCompile(`/admin/templates/quick-replies/([0-9a-f-]{36})"`).FindStringSubmatch(list.body)
		if !hasID(list.body, "qr-thanks") || m == nil {
			t.Fatalf("the list after creating: %.500s", list.body)
		}
		qr := m[1]
		if r := web.send("GET", "/admin/templates?q=THANK", nil, nil); !hasID(r.body, "qr-thanks") {
			t.Error("the search does not find the reply")
		}
		if r := web.send("GET", "/admin/templates?q=zzz", nil, nil); !hasID(r.body, "no-replies") {
			t.Error("the search finds what is not there")
		}
		edit := web.send("GET", "/admin/templates/quick-replies/"+qr, nil, nil)
		if edit.status != 200 || !strings.Contains(edit.body, `value="thanks"`) || !hasID(edit.body, "preview-ar") {
			t.Fatalf("edit: %d %.400s", edit.status, edit.body)
		}
		form.Set("title", "Thank you")
		if r := web.send("POST", "/admin/templates/quick-replies/"+qr, form, nil); r.status != 303 {
			t.Fatalf("update: %d %.300s", r.status, r.body)
		}

		// Another tenant's quick reply: not found, nothing changed.
		for _, p := range []string{"/admin/templates/quick-replies/" + qr, "/admin/templates/quick-replies/" + qr + "/delete"} {
			method := "GET"
			if strings.HasSuffix(p, "/delete") {
				method = "POST"
			}
			if r := webB.send(method, p, url.Values{"csrf_token": {csrfB}}, nil); r.status != 404 {
				t.Errorf("%s %s from B: %d", method, p, r.status)
			}
		}
		formB := url.Values{"csrf_token": {csrfB}, "shortcut": {"hijack"}, "title": {"x"}, "body_ar": {"x"}, "body_en": {"x"}}
		if r := webB.send("POST", "/admin/templates/quick-replies/"+qr, formB, nil); r.status != 404 {
			t.Errorf("updating A's reply from B: %d", r.status)
		}
		if r := web.send("GET", "/admin/templates/quick-replies/"+qr, nil, nil); !strings.Contains(r.body, `value="thanks"`) {
			t.Error("A's quick reply changed")
		}
		if r := web.send("POST", "/admin/templates/quick-replies/"+qr+"/delete", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
			t.Fatalf("delete: %d", r.status)
		}
		if r := web.send("GET", "/admin/templates/quick-replies/"+qr, nil, nil); r.status != 404 {
			t.Errorf("a deleted reply: %d", r.status)
		}
		var acts string
		for actor, as := range auditActions(t, ta, n.host, owner) {
			if strings.Contains(actor, "owner@cnta.test") {
				acts += strings.Join(as, " ") + " "
			}
		}
		for _, a := range []string{"templates.sync_requested", "quick_reply.create", "quick_reply.update", "quick_reply.delete"} {
			if !strings.Contains(acts, a) {
				t.Errorf("%s is not audited with the owner as actor: %s", a, acts)
			}
		}
	})

	t.Run("customers", func(t *testing.T) {
		list := web.send("GET", "/admin/customers", nil, nil)
		if list.status != 200 || !strings.Contains(list.body, "Huda") || !strings.Contains(list.body, "+"+chat.phone) {
			t.Fatalf("customers: %d %.500s", list.status, list.body)
		}
		for _, q := range []string{"0" + chat.phone[3:], "hud", "+" + chat.phone} {
			if r := web.send("GET", "/admin/customers?q="+url.QueryEscape(q), nil, nil); !strings.Contains(r.body, "Huda") {
				t.Errorf("search %q does not find the customer", q)
			}
		}
		if r := web.send("GET", "/admin/customers?q=nobody", nil, nil); !hasID(r.body, "no-customers") {
			t.Error("a search for nobody finds someone")
		}
		if r := web.send("GET", "/admin/customers?q="+strings.Repeat("x", 101), nil, nil); r.status != 422 || !hasID(r.body, "q-err") {
			t.Errorf("a long search: %d", r.status)
		}
		for _, q := range []string{"%00", "%FF%FE", "a&cursor=nope"} {
			if r := web.send("GET", "/admin/customers?q="+q, nil, nil); r.status >= 500 {
				t.Errorf("q=%s: %d", q, r.status)
			}
		}
		m := regexp.MustCompile(`/admin/customers/([0-9a-f-]{36})"`).FindStringSubmatch(list.body)
		if m == nil {
			t.Fatal("no customer link")
		}
		d := web.send("GET", "/admin/customers/"+m[1], nil, nil)
		for _, want := range []string{`id="ledger"`, "whatsapp_commerce", `id="customer-orders"`, "/admin/orders/" + o.ID, "/admin/orders/" + o2.ID,
			`id="conversations"`, `id="consent-state"`} {
			if !strings.Contains(d.body, want) {
				t.Fatalf("the customer's page lacks %s: %d %.800s", want, d.status, d.body)
			}
		}
		if !regexp.MustCompile(`class="pay-state">\s*[^<\s]`).MatchString(d.body) {
			t.Error("the orders lack their payment state")
		}
		// Each conversation opens in the inbox.
		if cv := regexp.MustCompile(`href="(/admin/inbox/[0-9a-f-]{36})"`).FindStringSubmatch(d.body); cv == nil {
			t.Error("the conversations do not link to the inbox")
		} else if r := web.send("GET", cv[1], nil, nil); r.status != 200 || !strings.Contains(r.body, `id="thread"`) {
			t.Errorf("the linked conversation: %d", r.status)
		}
		if r := webB.send("GET", "/admin/customers/"+m[1], nil, nil); r.status != 404 || strings.Contains(r.body, chat.phone) {
			t.Errorf("A's customer on B's dashboard: %d", r.status)
		}
		if r := webB.send("GET", "/admin/customers", nil, nil); strings.Contains(r.body, chat.phone) {
			t.Error("B's customers list shows A's customer")
		}
		if r := web.send("GET", "/admin/customers/%00", nil, nil); r.status < 400 || r.status >= 500 {
			t.Errorf("a malformed id: %d", r.status)
		}
	})

}
