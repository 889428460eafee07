package cloudapi_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"concierge/modules/whatsapp/cloudapi"
)

// runes counts characters the way WhatsApp's limits do.
func runes(s string) int { return utf8.RuneCountInString(s) }

// checkCut asserts s is valid UTF-8, at most max characters, and, when it
// had to be shortened, a prefix of orig ending with "…".
func checkCut(t *testing.T, what, s, orig string, max int) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8 %q", what, s)
	}
	if runes(s) > max {
		t.Errorf("%s: %d characters, limit %d", what, runes(s), max)
	}
	if runes(orig) <= max {
		if s != orig {
			t.Errorf("%s: %q changed although it fits", what, orig)
		}
		return
	}
	if !strings.HasSuffix(s, cloudapi.Ellipsis) || !strings.HasPrefix(orig, strings.TrimSuffix(s, cloudapi.Ellipsis)) {
		t.Errorf("%s: %q is not a clean cut of %q", what, s, orig)
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"fits", "hello", 5, "hello"},
		{"ascii, whole words", "hello world", 8, "hello…"},
		{"one long word", "abcdefghij", 5, "abcd…"},
		{"word too far back", "a bcdefghij", 6, "a bcd…"},
		{"trailing space dropped", "hello world", 7, "hello…"},
		{"arabic fits exactly", "عباية سوداء كلاسيك", 18, "عباية سوداء كلاسيك"},
		{"arabic, whole words", "عباية سوداء كلاسيك", 10, "عباية…"},
		{"arabic, one word", "المشترياتالمتوفرة", 6, "المشت…"},
		{"harakat stay with their letter", "مَرْحَبًا", 4, "مَ…"},
		{"zwj family emoji kept whole or dropped", "ok 👨‍👩‍👧 there", 6, "ok…"},
		{"skin tone kept with its hand", "hi 👋🏽 there", 5, "hi…"},
		{"flag not split", "🇸🇦🇦🇪 flags", 4, "🇸🇦…"},
		{"zero", "abc", 0, ""},
		{"one", "abc", 1, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := cloudapi.Truncate(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			if tt.max > 0 {
				checkCut(t, "Truncate", got, tt.in, tt.max)
			}
		})
	}
}

func TestTextLimits(t *testing.T) {
	t.Parallel()
	arabic := strings.Repeat("السلام عليكم ورحمة الله ", 300) // 7200 characters
	tests := []struct {
		name string
		body string
	}{
		{"short", "أهلاً"},
		{"exactly 4096", strings.Repeat("ب", cloudapi.MaxTextBody)},
		{"4097 arabic", strings.Repeat("ب", cloudapi.MaxTextBody+1)},
		{"long arabic prose", arabic},
		{"long multibyte emoji", strings.Repeat("👋🏽", 3000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := cloudapi.TextMessage(tt.body)
			checkCut(t, "text body", o.Text.Body, tt.body, cloudapi.MaxTextBody)
			if _, err := o.Request(customer); err != nil {
				t.Errorf("Request: %v", err)
			}
			pages := cloudapi.TextPages(tt.body)
			var joined []string
			for i, p := range pages {
				if runes(p.Text.Body) > cloudapi.MaxTextBody || !utf8.ValidString(p.Text.Body) {
					t.Errorf("page %d: %d characters", i, runes(p.Text.Body))
				}
				if _, err := p.Request(customer); err != nil {
					t.Errorf("page %d Request: %v", i, err)
				}
				joined = append(joined, p.Text.Body)
			}
			// Pages break at spaces; nothing else is lost.
			squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
			if squash(strings.Join(joined, "")) != squash(tt.body) {
				t.Errorf("TextPages lost text: %d pages", len(pages))
			}
			if want := (runes(tt.body) + cloudapi.MaxTextBody - 1) / cloudapi.MaxTextBody; len(pages) < want || len(pages) > want+1 {
				t.Errorf("TextPages = %d pages for %d characters", len(pages), runes(tt.body))
			}
		})
	}
}

func TestButtonsLimits(t *testing.T) {
	t.Parallel()
	long := "أضف إلى سلة المشتريات الآن" // 26 characters
	o := cloudapi.Buttons(strings.Repeat("نص ", 500),
		cloudapi.Button{ID: "add:1", Title: long},
		cloudapi.Button{ID: "add:2", Title: "Add to my shopping cart"},
		cloudapi.Button{ID: "add:3", Title: "سلة"},
	).WithHeader(strings.Repeat("عنوان ", 20)).WithFooter(strings.Repeat("تذييل ", 20))
	in := o.Interactive
	if in.Type != cloudapi.InteractiveButton || len(in.Action.Buttons) != 3 {
		t.Fatalf("Buttons = %+v", in)
	}
	checkCut(t, "body", in.Body.Text, strings.Repeat("نص ", 500), cloudapi.MaxInteractiveBody)
	checkCut(t, "header", in.Header.Text, strings.Repeat("عنوان ", 20), cloudapi.MaxHeader)
	checkCut(t, "footer", in.Footer.Text, strings.Repeat("تذييل ", 20), cloudapi.MaxFooter)
	for i, want := range []string{"أضف إلى سلة…", "Add to my shopping…", "سلة"} {
		b := in.Action.Buttons[i]
		if b.Reply.Title != want || b.Type != "reply" {
			t.Errorf("button %d = %+v, want title %q", i, b, want)
		}
		checkCut(t, "button title", b.Reply.Title, []string{long, "Add to my shopping cart", "سلة"}[i], cloudapi.MaxButtonTitle)
	}
	if _, err := o.Request(customer); err != nil {
		t.Errorf("Request: %v", err)
	}

	// More than three options become a list.
	var many []cloudapi.Button
	for i := range 12 {
		many = append(many, cloudapi.Button{ID: fmt.Sprintf("opt:%d", i), Title: fmt.Sprintf("خيار رقم %d بعنوان طويل جداً جداً", i)})
	}
	for _, n := range []int{4, 10, 12} {
		l := cloudapi.Buttons("اختر", many[:n]...)
		if l.Interactive.Type != cloudapi.InteractiveList || l.Interactive.Action.Button != cloudapi.DefaultListLabel {
			t.Fatalf("%d buttons = %+v, want a list", n, l.Interactive)
		}
		rows := l.Interactive.Action.Sections[0].Rows
		if len(rows) != min(n, cloudapi.MaxRows) {
			t.Errorf("%d buttons → %d rows", n, len(rows))
		}
		for _, r := range rows {
			if runes(r.Title) > cloudapi.MaxRowTitle {
				t.Errorf("row title %q too long", r.Title)
			}
		}
		if _, err := l.Request(customer); err != nil {
			t.Errorf("%d buttons: Request: %v", n, err)
		}
	}
}

func TestListLimits(t *testing.T) {
	t.Parallel()
	title := "عباية سوداء كلاسيك بأكمام واسعة"   // 31
	desc := strings.Repeat("قماش كريب ناعم ", 8) // 120
	section := "عبايات المناسبات والأعياد"       // 25
	label := "تصفح جميع الأقسام المتوفرة"        // 26
	o := cloudapi.List("اختاري", label, []cloudapi.Row{
		{ID: "a", Title: title, Description: desc, Section: section},
		{ID: "b", Title: "قصير", Section: section},
	})
	a := o.Interactive.Action
	checkCut(t, "label", a.Button, label, cloudapi.MaxListButton)
	checkCut(t, "section title", a.Sections[0].Title, section, cloudapi.MaxSectionTitle)
	checkCut(t, "row title", a.Sections[0].Rows[0].Title, title, cloudapi.MaxRowTitle)
	checkCut(t, "row description", a.Sections[0].Rows[0].Description, desc, cloudapi.MaxRowDescription)
	if len(a.Sections) != 1 || len(a.Sections[0].Rows) != 2 {
		t.Errorf("sections = %+v", a.Sections)
	}
	if _, err := o.Request(customer); err != nil {
		t.Errorf("Request: %v", err)
	}
	// Untitled sections among titled ones get a title (WhatsApp requires it).
	mixed := cloudapi.List("b", "", []cloudapi.Row{{ID: "1", Title: "x"}, {ID: "2", Title: "y", Section: "S"}})
	if s := mixed.Interactive.Action.Sections; len(s) != 2 || s[0].Title == "" || mixed.Interactive.Action.Button != cloudapi.DefaultListLabel {
		t.Errorf("mixed sections = %+v", mixed.Interactive.Action)
	}
	if _, err := mixed.Request(customer); err != nil {
		t.Errorf("Request: %v", err)
	}
}

func TestListPages(t *testing.T) {
	t.Parallel()
	mk := func(n int) []cloudapi.Row {
		rows := make([]cloudapi.Row, n)
		for i := range rows {
			sec := "الأول"
			if i%7 >= 4 {
				sec = "الثاني"
			}
			rows[i] = cloudapi.Row{ID: fmt.Sprintf("p:%d", i), Title: fmt.Sprintf("منتج %d", i), Section: sec}
		}
		return rows
	}
	nextID := func(page int) string { return fmt.Sprintf("more:%d", page) }
	tests := []struct {
		rows  int
		pages []int // real rows per page
	}{
		{0, []int{0}},
		{3, []int{3}},
		{10, []int{10}},
		{11, []int{9, 2}},
		{19, []int{9, 10}},
		{20, []int{9, 9, 2}},
		{45, []int{9, 9, 9, 9, 9}},
		{46, []int{9, 9, 9, 9, 10}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.rows), func(t *testing.T) {
			t.Parallel()
			rows := mk(tt.rows)
			pages := cloudapi.ListPages("اختر منتجاً", "المنتجات", rows, nextID)
			if len(pages) != len(tt.pages) {
				t.Fatalf("%d rows → %d pages, want %d", tt.rows, len(pages), len(tt.pages))
			}
			var seen []string
			for p, o := range pages {
				var ids []string
				for _, s := range o.Interactive.Action.Sections {
					if len(o.Interactive.Action.Sections) > cloudapi.MaxSections {
						t.Errorf("page %d: %d sections", p, len(o.Interactive.Action.Sections))
					}
					for _, r := range s.Rows {
						ids = append(ids, r.ID)
					}
				}
				if len(ids) > cloudapi.MaxRows {
					t.Errorf("page %d: %d rows", p, len(ids))
				}
				last := p == len(pages)-1
				if !last {
					if ids[len(ids)-1] != nextID(p+1) {
						t.Errorf("page %d ends with %q, want the More row %q", p, ids[len(ids)-1], nextID(p+1))
					}
					sections := o.Interactive.Action.Sections
					more := sections[len(sections)-1].Rows[len(sections[len(sections)-1].Rows)-1]
					if more.Title != cloudapi.MoreTitle {
						t.Errorf("More row title = %q", more.Title)
					}
					ids = ids[:len(ids)-1]
				}
				if len(ids) != tt.pages[p] {
					t.Errorf("page %d: %d rows, want %d", p, len(ids), tt.pages[p])
				}
				seen = append(seen, ids...)
				if tt.rows > 0 {
					if _, err := o.Request(customer); err != nil {
						t.Errorf("page %d: Request: %v", p, err)
					}
				}
			}
			if len(seen) != tt.rows {
				t.Fatalf("pages hold %d rows, want %d", len(seen), tt.rows)
			}
			for i, id := range seen {
				if id != rows[i].ID {
					t.Fatalf("row %d = %s, want %s (order kept)", i, id, rows[i].ID)
				}
			}
		})
	}

	// The caller's rows are not modified by paging.
	rows := mk(25)
	before := fmt.Sprint(rows)
	_ = cloudapi.ListPages("b", "l", rows, nextID)
	if fmt.Sprint(rows) != before {
		t.Error("ListPages modified its input")
	}
	// A tenant's own More row.
	custom := cloudapi.ListPagesMore("b", "l", mk(15), func(p int) cloudapi.Row {
		return cloudapi.Row{ID: nextID(p), Title: "عرض المزيد", Description: "الصفحة التالية"}
	})
	lastRow := custom[0].Interactive.Action.Sections[len(custom[0].Interactive.Action.Sections)-1].Rows
	if m := lastRow[len(lastRow)-1]; m.Title != "عرض المزيد" || m.Description != "الصفحة التالية" || m.ID != "more:1" {
		t.Errorf("custom More row = %+v", m)
	}
	// Without nextID the list keeps the first ten rows.
	if p := cloudapi.ListPages("b", "l", mk(15), nil); len(p) != 1 || countRows(p[0]) != 10 {
		t.Errorf("ListPages(nil nextID) = %d pages", len(p))
	}
}

func countRows(o cloudapi.Outgoing) int {
	n := 0
	for _, s := range o.Interactive.Action.Sections {
		n += len(s.Rows)
	}
	return n
}

func TestChoices(t *testing.T) {
	t.Parallel()
	next := func(p int) string { return fmt.Sprint("next:", p) }
	rows := []cloudapi.Row{{ID: "lang:ar", Title: "العربية"}, {ID: "lang:en", Title: "English"}, {ID: "handoff", Title: "موظف خدمة العملاء"}}
	tests := []struct {
		name  string
		rows  []cloudapi.Row
		kind  string
		pages int
	}{
		{"three plain options are buttons", rows, cloudapi.InteractiveButton, 1},
		{"a description needs a list", append(rows[:2:2], cloudapi.Row{ID: "x", Title: "y", Description: "z"}), cloudapi.InteractiveList, 1},
		{"four options are a list", append(rows[:3:3], cloudapi.Row{ID: "x", Title: "y"}), cloudapi.InteractiveList, 1},
		{"fifteen options are paged", make15(), cloudapi.InteractiveList, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := cloudapi.Choices("كيف نقدر نخدمك؟", "الخيارات", tt.rows, next)
			if len(got) != tt.pages || got[0].Interactive.Type != tt.kind {
				t.Errorf("Choices = %d × %s, want %d × %s", len(got), got[0].Interactive.Type, tt.pages, tt.kind)
			}
		})
	}
}

func make15() []cloudapi.Row {
	var r []cloudapi.Row
	for i := range 15 {
		r = append(r, cloudapi.Row{ID: fmt.Sprint("c:", i), Title: fmt.Sprint("قسم ", i)})
	}
	return r
}

func TestOtherBuilderLimits(t *testing.T) {
	t.Parallel()
	caption := strings.Repeat("وصف المنتج ", 120)
	img := cloudapi.Image("https://cdn.example.sa/a.jpg", caption)
	checkCut(t, "caption", img.Image.Caption, caption, cloudapi.MaxCaption)

	cta := cloudapi.CTAURL(strings.Repeat("ادفع ", 300), "ادفع الآن بالبطاقة الائتمانية", "https://pay.example.sa/x")
	checkCut(t, "cta display text", cta.Interactive.Action.Parameters.DisplayText, "ادفع الآن بالبطاقة الائتمانية", cloudapi.MaxCTADisplayText)
	checkCut(t, "cta body", cta.Interactive.Body.Text, strings.Repeat("ادفع ", 300), cloudapi.MaxInteractiveBody)

	// A product message takes no header.
	if p := cloudapi.Product("", "1", "ABY-001").WithHeader("x"); p.Interactive.Header != nil || p.Interactive.Body != nil {
		t.Errorf("product = %+v", p.Interactive)
	}
	// WithHeader copies: the original is untouched.
	base := cloudapi.Buttons("b", cloudapi.Button{ID: "1", Title: "t"})
	_ = base.WithHeader("h").WithFooter("f")
	if base.Interactive.Header != nil || base.Interactive.Footer != nil {
		t.Error("WithHeader/WithFooter modified the original")
	}
	for _, o := range []cloudapi.Outgoing{img, cta} {
		if _, err := o.Request(customer); err != nil {
			t.Errorf("Request: %v", err)
		}
	}
}

func TestProductListPaging(t *testing.T) {
	t.Parallel()
	ids := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%02d", prefix, i)
		}
		return out
	}
	twelve := make([]cloudapi.ProductSection, 12)
	for i := range twelve {
		twelve[i] = cloudapi.ProductSection{Title: fmt.Sprintf("قسم %d", i), RetailerID: ids(fmt.Sprint("S", i), 1)}
	}
	tests := []struct {
		name     string
		sections []cloudapi.ProductSection
		items    []int // products per message
		secs     []int // sections per message
	}{
		{"fits", []cloudapi.ProductSection{{Title: "عبايات", RetailerID: ids("A", 30)}}, []int{30}, []int{1}},
		{"45 products", []cloudapi.ProductSection{{Title: "عبايات", RetailerID: ids("A", 25)}, {Title: "طرح", RetailerID: ids("B", 20)}}, []int{30, 15}, []int{2, 1}},
		{"12 sections", twelve, []int{10, 2}, []int{10, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msgs := cloudapi.ProductList("", "تشكيلتنا", "728364519283746", tt.sections)
			if len(msgs) != len(tt.items) {
				t.Fatalf("%d messages, want %d", len(msgs), len(tt.items))
			}
			total := 0
			for i, m := range msgs {
				n := 0
				for _, s := range m.Interactive.Action.Sections {
					n += len(s.ProductItems)
				}
				total += n
				if n != tt.items[i] || len(m.Interactive.Action.Sections) != tt.secs[i] {
					t.Errorf("message %d: %d products in %d sections, want %d in %d", i, n, len(m.Interactive.Action.Sections), tt.items[i], tt.secs[i])
				}
				if m.Interactive.Header == nil || m.Interactive.Header.Text == "" {
					t.Errorf("message %d has no header", i)
				}
				if _, err := m.Request(customer); err != nil {
					t.Errorf("message %d: Request: %v", i, err)
				}
			}
			want := 0
			for _, s := range tt.sections {
				want += len(s.RetailerID)
			}
			if total != want {
				t.Errorf("%d products sent, want %d", total, want)
			}
		})
	}
}
