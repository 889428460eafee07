package main

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"concierge/cmd/concierge/sandbox"
	"concierge/modules/cms"
	"concierge/tenants"
)

// The admin inbox over HTTP: the queues, a conversation with its customer
// panel, replies (typed and quick, field errors kept), take / release /
// back to the bot, the event stream that makes the page live, roles, CSRF
// and isolation between tenants.

// sseStream is an open GET /admin/inbox/events.
type sseStream struct {
	res    *http.Response
	events chan string
	// ticks receives the "thread" events with data "status" (delivery
	// statuses of the open conversation, which come whenever the sandbox
	// sends them); events receives every other event's name.
	ticks chan struct{}
}

// openEvents opens s's event stream (?c=conv) and reads its event names
// into channels.
func openEvents(t *testing.T, s *shopper, conv string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", s.ta.base+"/admin/inbox/events?c="+conv, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = s.host
	for _, c := range s.cookies {
		req.AddCookie(c)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	st := &sseStream{res: res, events: make(chan string, 64), ticks: make(chan struct{}, 64)}
	go func() {
		sc := bufio.NewScanner(res.Body)
		name := ""
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "event: "); ok {
				name = n
				continue
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok && name != "" {
				if name == "thread" && data == "status" {
					select {
					case st.ticks <- struct{}{}:
					default:
					}
				} else {
					st.events <- name
				}
				name = ""
			}
		}
		close(st.events)
	}()
	return st
}

// next waits for the stream's next event name.
func (st *sseStream) next(t *testing.T, within time.Duration) string {
	t.Helper()
	select {
	case e, ok := <-st.events:
		if !ok {
			t.Fatal("the event stream ended")
		}
		return e
	case <-time.After(within):
		t.Fatalf("no event within %v", within)
	}
	return ""
}

func TestAdminInbox(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	n := waTenant(t, ta, "inba")
	nB := waTenant(t, ta, "inbb")
	ta.user("owner@inba.test", false, "inba", "owner")
	ta.user("agent@inba.test", false, "inba", "agent")
	ta.user("viewer@inba.test", false, "inba", "viewer")
	ta.user("owner@inbb.test", false, "inbb", "owner")
	ctx := tenants.WithTenant(context.Background(), n.tenant)
	if _, err := ta.app.cms.CreateQuickReply(ctx, cms.QuickReplyInput{Shortcut: "track", Title: "Tracking",
		BodyAR: "أهلًا {{customer_name}}، رقم التتبع {{tracking_number}}", BodyEN: "Hi {{customer_name}}, your tracking number is {{tracking_number}}"}); err != nil {
		t.Fatal(err)
	}

	// A customer asks for a person; another store has a conversation too.
	phone, other := waPhone(), waPhone()
	n.onboard(phone, "ar", "Reem")
	n.say(phone, sandbox.CustomerMessage{Text: "موظف", Name: "Reem"})
	n.waitBot(phone, 4, 15*time.Second)
	n.settle(phone, 15*time.Second)
	nB.onboard(other, "en", "Omar")
	conv, convB := n.convID(phone), nB.convID(other)

	agent := newShopper(t, ta, n.host)
	csrf := adminLogin(t, agent, "agent@inba.test")
	home := agent.get("/admin")
	if !strings.Contains(home.body, `href="/admin/inbox"`) {
		t.Fatal("the agent's navigation has no inbox")
	}
	in := agent.get("/admin/inbox")
	if in.status != 200 || !strings.Contains(in.body, `data-conversation="`+conv+`"`) || strings.Contains(in.body, convB) ||
		!strings.Contains(in.body, `sse-connect="/admin/inbox/events"`) {
		t.Fatalf("inbox: %d %.500s", in.status, in.body)
	}
	if i, j := strings.Index(in.body, `id="q-waiting"`), strings.Index(in.body, `data-conversation="`+conv+`"`); i < 0 || j < i ||
		j > strings.Index(in.body, `id="q-active"`) {
		t.Fatal("the conversation is not in the waiting queue")
	}
	page := agent.get("/admin/inbox/" + conv)
	for _, want := range []string{"موظف", `id="consent">موافق<`, `id="window"`, "/admin/inbox/" + conv + "/take", `name="quick"`,
		`value="track"`, `sse-connect="/admin/inbox/events?c=` + conv + `"`, `hx-get="/admin/inbox/` + conv + `/thread"`} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("conversation page lacks %q: %.800s", want, page.body)
		}
	}

	// The live stream: both parts once on connecting, then the thread
	// whenever this conversation changes.
	st := openEvents(t, agent, conv)
	if a, b := st.next(t, 5*time.Second), st.next(t, 5*time.Second); a != "queues" || b != "thread" {
		t.Fatalf("first events %q %q, want queues and thread", a, b)
	}
	n.say(phone, sandbox.CustomerMessage{Text: "وين وصل طلبي؟", Name: "Reem"})
	if a, b := st.next(t, 5*time.Second), st.next(t, 5*time.Second); a != "queues" || b != "thread" {
		t.Fatalf("after a customer message: %q %q", a, b)
	}
	if th := agent.get("/admin/inbox/" + conv + "/thread"); th.status != 200 || !strings.Contains(th.body, "وين وصل طلبي؟") ||
		!strings.Contains(th.body, `data-source="live"`) || strings.Contains(th.body, "<html") {
		t.Fatalf("thread fragment: %d %.300s", th.status, th.body)
	}
	// Another store's message is not this store's event.
	nB.say(other, sandbox.CustomerMessage{Text: "hello?"})
	nB.settle(other, 15*time.Second)

	// Replies: blank and both-at-once are field errors; a quick reply
	// without its variable says which; a typed reply reaches the customer.
	for _, c := range []struct {
		name string
		form url.Values
		want string
	}{
		{"blank", url.Values{"text": {"   "}}, `id="text-err"`},
		{"both", url.Values{"text": {"hi"}, "quick": {"track"}}, `id="text-err"`},
		{"missing variable", url.Values{"quick": {"track"}}, `id="var_tracking_number-err"`},
		{"unknown quick reply", url.Values{"quick": {"nope"}}, "لم يعد موجودًا"},
		{"too long", url.Values{"text": {strings.Repeat("ا", 4097)}}, `id="text-err"`},
	} {
		c.form.Set("csrf_token", csrf)
		if r := agent.send("POST", "/admin/inbox/"+conv+"/reply", c.form, nil); r.status != 422 || !strings.Contains(r.body, c.want) {
			t.Errorf("%s: %d, want 422 with %q", c.name, r.status, c.want)
		}
	}
	if got := ta.app.sandbox.Sent(n.pnid, phone); len(got) != 4 {
		t.Fatalf("a refused reply reached the customer:%s", waTexts(got))
	}
	if r := agent.send("POST", "/admin/inbox/"+conv+"/reply", url.Values{"csrf_token": {csrf}, "quick": {"track"},
		"var_tracking_number": {"TRK-77"}}, nil); r.status != 303 || r.header.Get("Location") != "/admin/inbox/"+conv+"?done=sent" {
		t.Fatalf("quick reply: %d %s %.300s", r.status, r.header.Get("Location"), r.body)
	}
	if got := n.waitBot(phone, 5, 15*time.Second); got[4].Text() != "أهلًا Reem، رقم التتبع TRK-77" {
		t.Fatalf("the customer got %q", got[4].Text())
	}
	// Its delivery statuses (the sandbox sends sent and delivered) reach the
	// open page as "thread" alone (ticks are not the queues' news), and the
	// thread it fetches then shows the reply delivered.
	delivered := regexp.MustCompile(`<p dir="auto">أهلًا Reem، رقم التتبع TRK-77</p><span class="st">وصلت</span>`)
	for deadline := time.After(10 * time.Second); ; {
		select {
		case <-st.ticks:
		case <-deadline:
			t.Fatal("the reply's delivered status never reached the open page")
		}
		if th := agent.get("/admin/inbox/" + conv + "/thread"); delivered.MatchString(th.body) {
			break
		}
	}
	// htmx: the pane comes back, the box empty.
	r := agent.send("POST", "/admin/inbox/"+conv+"/reply", url.Values{"text": {"سأتابع طلبك الآن"}},
		map[string]string{"HX-Request": "true", "X-CSRF-Token": csrf})
	if r.status != 200 || !strings.Contains(r.body, "سأتابع طلبك الآن") || strings.Contains(r.body, "<html") || !strings.Contains(r.body, `id="thread"`) {
		t.Fatalf("htmx reply: %d %.300s", r.status, r.body)
	}
	if got := n.waitBot(phone, 6, 15*time.Second); got[5].Text() != "سأتابع طلبك الآن" {
		t.Fatalf("the customer got %q", got[5].Text())
	}
	if e := st.next(t, 5*time.Second); e != "queues" {
		t.Fatalf("after the reply: %q", e)
	}
	if e := st.next(t, 5*time.Second); e != "thread" {
		t.Fatalf("after the reply: %q", e)
	}

	// Release, take, back to the bot: each moves the conversation.
	api := ta.user("api@inba.test", false, "inba", "agent")
	for _, c := range []struct{ action, handoff string }{{"release", "waiting"}, {"take", "human"}, {"resume", "bot"}} {
		r := agent.send("POST", "/admin/inbox/"+conv+"/"+c.action, url.Values{"csrf_token": {csrf}}, nil)
		if r.status != 303 {
			t.Fatalf("%s: %d %.300s", c.action, r.status, r.body)
		}
		if v := ta.do(request{method: "GET", path: "/api/v1/conversations/" + conv, host: n.host, token: api}); v.json["handoff"] != c.handoff {
			t.Fatalf("after %s: %s", c.action, v.body)
		}
	}
	if got := n.waitBot(phone, 7, 15*time.Second); got[6].Text() != n.text("handoff.resumed", "ar") {
		t.Fatalf("after resume the customer got %q", got[6].Text())
	}

	// CSRF: no token, no change.
	if r := agent.send("POST", "/admin/inbox/"+conv+"/take", url.Values{}, nil); r.status != 403 {
		t.Fatalf("take without the token: %d", r.status)
	}
	if r := agent.send("POST", "/admin/inbox/"+conv+"/reply", url.Values{"text": {"x"}}, nil); r.status != 403 {
		t.Fatalf("reply without the token: %d", r.status)
	}

	// The viewer reads the inbox, answers nothing.
	viewer := newShopper(t, ta, n.host)
	vcsrf := adminLogin(t, viewer, "viewer@inba.test")
	if v := viewer.get("/admin/inbox/" + conv); v.status != 200 || strings.Contains(v.body, "/reply") || strings.Contains(v.body, "/take") {
		t.Fatalf("viewer's conversation page: %d", v.status)
	}
	for _, p := range []string{"/reply", "/take", "/release", "/resume"} {
		if r := viewer.send("POST", "/admin/inbox/"+conv+p, url.Values{"csrf_token": {vcsrf}, "text": {"x"}}, nil); r.status != 403 {
			t.Fatalf("viewer POST %s: %d", p, r.status)
		}
	}

	// Isolation: B's conversation on A's dashboard is not found, for every
	// route; A's staff have no inbox on B's host.
	for _, p := range []string{"", "/thread", "/context"} {
		if r := agent.get("/admin/inbox/" + convB + p); r.status != 404 || strings.Contains(r.body, "Omar") || strings.Contains(r.body, other) {
			t.Fatalf("B's conversation %s on A's dashboard: %d", p, r.status)
		}
	}
	for _, p := range []string{"/reply", "/take", "/release", "/resume"} {
		if r := agent.send("POST", "/admin/inbox/"+convB+p, url.Values{"csrf_token": {csrf}, "text": {"hijack"}}, nil); r.status != 404 {
			t.Fatalf("POST %s on B's conversation: %d", p, r.status)
		}
	}
	if got := ta.app.sandbox.Sent(nB.pnid, other); strings.Contains(waTexts(got), "hijack") {
		t.Fatal("A's staff wrote to B's customer")
	}
	if q := agent.get("/admin/inbox/queues"); strings.Contains(q.body, convB) || !strings.Contains(q.body, conv) {
		t.Fatal("the queues fragment mixes stores")
	}
	onB := newShopper(t, ta, nB.host)
	onB.cookies = agent.cookies
	for _, p := range []string{"/admin/inbox", "/admin/inbox/" + convB, "/admin/inbox/events"} {
		if r := onB.get(p); r.status != 404 {
			t.Fatalf("A's agent on B's host %s: %d", p, r.status)
		}
	}
	for _, p := range []string{"/admin/inbox/not-a-uuid", "/admin/inbox/%00", "/admin/inbox/" + conv + "/thread?x=%FF"} {
		if r := agent.get(p); r.status >= 500 {
			t.Fatalf("%s: %d", p, r.status)
		}
	}

	// Signing out ends the stream at its next check; the events route
	// then sends the browser to sign in.
	agent.send("POST", "/admin/logout", url.Values{"csrf_token": {csrf}}, nil)
	if r := agent.get("/admin/inbox/events"); r.status != http.StatusSeeOther {
		t.Fatalf("events after sign-out: %d", r.status)
	}
}
