package transcript_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"concierge/modules/whatsapp/dialog"
	"concierge/modules/whatsapp/dialog/transcript"
)

func TestParse(t *testing.T) {
	t.Parallel()
	src := "\ufeff# a comment\n" +
		"\n" +
		"> مرحبا\n" +
		"< buttons: اختر | [lang:ar] العربية | [lang:en] English\n" +
		"  # indented comment between bot lines\n" +
		"< text: second\n" +
		"> [button:lang:ar] العربية\n" +
		"> [button:consent:agree]\n" +
		"> [list:menu:help] Help\n" +
		"> [template_button:reorder:42]\n" +
		"> [image] a caption\\non two lines\n" +
		"> [document]\n> [audio]\n> [video]\n> [sticker]\n> [location]\n> [order]\n> [reaction]\n> [unknown]\n" +
		"> \\[not a tag]   \n" +
		"> back\\\\slash\n" +
		"< text: ok\r\n"
	turns, err := transcript.Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	in := func(kind, text, id string) dialog.Inbound { return dialog.Inbound{Kind: kind, Text: text, ReplyID: id} }
	want := []transcript.Turn{
		{Line: 3, In: in(dialog.KindText, "مرحبا", ""), Want: []string{"buttons: اختر | [lang:ar] العربية | [lang:en] English", "text: second"}},
		{Line: 7, In: in(dialog.KindButtonReply, "العربية", "lang:ar")},
		{Line: 8, In: in(dialog.KindButtonReply, "", "consent:agree")},
		{Line: 9, In: in(dialog.KindListReply, "Help", "menu:help")},
		{Line: 10, In: in(dialog.KindTemplateButton, "", "reorder:42")},
		{Line: 11, In: in(dialog.KindImage, "a caption\non two lines", "")},
		{Line: 12, In: in(dialog.KindDocument, "", "")},
		{Line: 13, In: in(dialog.KindAudio, "", "")},
		{Line: 14, In: in(dialog.KindVideo, "", "")},
		{Line: 15, In: in(dialog.KindSticker, "", "")},
		{Line: 16, In: in(dialog.KindLocation, "", "")},
		{Line: 17, In: in(dialog.KindOrder, "", "")},
		{Line: 18, In: in(dialog.KindReaction, "", "")},
		{Line: 19, In: in(dialog.KindUnknown, "", "")},
		{Line: 20, In: in(dialog.KindText, "[not a tag]", "")},
		{Line: 21, In: in(dialog.KindText, `back\slash`, ""), Want: []string{"text: ok"}},
	}
	if !reflect.DeepEqual(turns, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", turns, want)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{name: "bot first", src: "< text: hi\n", want: "line 1: bot message before any customer message"},
		{name: "stray line", src: "> hi\nhello\n", want: "line 2: want"},
		{name: "unknown tag", src: "> [photo]\n", want: "line 1: unknown tag [photo]"},
		{name: "button without id", src: "> [button]\n", want: "line 1: tag [button] needs an id"},
		{name: "button with empty id", src: "> [button:]\n", want: "needs an id"},
		{name: "unclosed tag", src: "> [button:x\n", want: "unclosed tag"},
		{name: "empty customer message", src: ">\n", want: "empty customer message"},
		{name: "empty bot message", src: "> hi\n<\n", want: "line 2: empty bot message"},
		{name: "missing space", src: ">hi\n", want: "line 1: want"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := transcript.Parse(strings.NewReader(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply dialog.Reply
		want  string
	}{
		{name: "text", reply: dialog.Reply{Kind: dialog.ReplyText, Body: "مرحبا بك"}, want: "text: مرحبا بك"},
		{name: "escapes", reply: dialog.Reply{Kind: dialog.ReplyText, Body: "a\nb | c \\ d"}, want: `text: a\nb \| c \\ d`},
		{name: "buttons", reply: dialog.Reply{Kind: dialog.ReplyButtons, Body: "body",
			Options: []dialog.Option{{ID: "lang:ar", Title: "العربية"}, {ID: "lang:en", Title: "English"}}},
			want: "buttons: body | [lang:ar] العربية | [lang:en] English"},
		{name: "list", reply: dialog.Reply{Kind: dialog.ReplyList, Body: "body", ListButton: "Menu",
			Options: []dialog.Option{{ID: "menu:cat", Title: "Browse", Description: "See products"}, {ID: "help", Title: "Help"}}},
			want: "list: body | Menu | [menu:cat] Browse — See products | [help] Help"},
		{name: "cta url", reply: dialog.Reply{Kind: dialog.ReplyCTAURL, Body: "Pay here", ListButton: "Pay", URL: "https://pay.example/1"},
			want: "cta_url: Pay here | Pay | https://pay.example/1"},
		{name: "image", reply: dialog.Reply{Kind: dialog.ReplyImage, ImageURL: "https://img.example/1.jpg", Body: "تمر"},
			want: "image: https://img.example/1.jpg | تمر"},
		{name: "image without caption", reply: dialog.Reply{Kind: dialog.ReplyImage, ImageURL: "https://img.example/1.jpg"},
			want: "image: https://img.example/1.jpg"},
		{name: "header and footer", reply: dialog.Reply{Kind: dialog.ReplyButtons, Body: "b", Header: "H", Footer: "F",
			Options: []dialog.Option{{ID: "x", Title: "X"}}},
			want: "buttons: b | [x] X | header: H | footer: F"},
		{name: "unknown kind", reply: dialog.Reply{Kind: "carousel", Body: "b", ListButton: "L", URL: "u", ImageURL: "i",
			Options: []dialog.Option{{ID: "x", Title: "X"}}},
			want: "carousel: b | button: L | [x] X | url: u | image: i"},
		{name: "product", reply: dialog.Reply{Kind: dialog.ReplyProduct, Body: "متوفر", CatalogID: "123", ProductRetailerID: "ABY-001-BLK-M", Footer: "F"},
			want: "product: متوفر | catalog 123 | sku ABY-001-BLK-M | footer: F"},
		{name: "product without body", reply: dialog.Reply{Kind: dialog.ReplyProduct, CatalogID: "123", ProductRetailerID: "X|1"},
			want: `product:  | catalog 123 | sku X\|1`},
		{name: "product list", reply: dialog.Reply{Kind: dialog.ReplyProductList, Header: "عبايات", Body: "اختر", CatalogID: "123",
			Sections: []dialog.ProductSection{{Title: "Abayas", SKUs: []string{"A-1", "A-2"}}, {Title: "Dresses", SKUs: []string{"D-1"}}}},
			want: "product_list: عبايات | اختر | catalog 123 | [Abayas] A-1, A-2 | [Dresses] D-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := transcript.Render(tc.reply); got != tc.want {
				t.Errorf("Render = %q, want %q", got, tc.want)
			}
		})
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func echo(in dialog.Inbound) []dialog.Reply {
	switch in.Text {
	case "silent":
		return nil
	case "two":
		return []dialog.Reply{{Kind: dialog.ReplyText, Body: "one"}, {Kind: dialog.ReplyText, Body: "two"}}
	}
	return []dialog.Reply{{Kind: dialog.ReplyText, Body: "echo " + in.Text}}
}

func TestRun(t *testing.T) {
	t.Parallel()
	pass := "> hi\n< text: echo hi\n> silent\n> two\n< text: one\n< text: two\n"
	turns, err := transcript.Parse(strings.NewReader(pass))
	if err != nil {
		t.Fatal(err)
	}
	transcript.Run(t, turns, echo)

	fail := "> hi\n< text: echo hi\n> two\n< text: one\n< text: three\n> never reached\n< text: x\n"
	turns, err = transcript.Parse(strings.NewReader(fail))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{TB: t}
	calls := 0
	transcript.Run(rec, turns, func(in dialog.Inbound) []dialog.Reply { calls++; return echo(in) })
	if len(rec.errors) != 1 {
		t.Fatalf("errors = %q, want one", rec.errors)
	}
	want := "line 3: > two\nbot messages differ (- want, + got):\n    < text: one\n  - < text: three\n  + < text: two\n"
	if rec.errors[0] != want {
		t.Errorf("report:\n%s\nwant:\n%s", rec.errors[0], want)
	}
	if calls != 2 {
		t.Errorf("drive called %d times, want 2 (stop at the first difference)", calls)
	}

	// An unexpected reply to a turn that expects none.
	turns, _ = transcript.Parse(strings.NewReader("> [reaction]\n"))
	rec = &recorder{TB: t}
	transcript.Run(rec, turns, echo)
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "line 1: > [reaction]\n") || !strings.Contains(rec.errors[0], "  + < text: echo\n") {
		t.Errorf("report = %q", rec.errors)
	}
}

func TestRewrite(t *testing.T) {
	t.Parallel()
	src := "# keep me\n> hi\n< text: stale\n\n# and me\n> two\n> silent\n< text: stale\n"
	out, err := transcript.Rewrite(strings.NewReader(src), echo)
	if err != nil {
		t.Fatal(err)
	}
	want := "# keep me\n> hi\n< text: echo hi\n\n# and me\n> two\n< text: one\n< text: two\n> silent\n"
	if string(out) != want {
		t.Errorf("Rewrite:\n%s\nwant:\n%s", out, want)
	}
	// The rewritten transcript passes.
	turns, err := transcript.Parse(strings.NewReader(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	transcript.Run(t, turns, echo)

	if _, err := transcript.Rewrite(strings.NewReader("hello\n"), echo); err == nil {
		t.Error("Rewrite accepted an invalid transcript")
	}
}
