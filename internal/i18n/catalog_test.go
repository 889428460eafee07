package i18n_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"concierge/internal/errs"
	"concierge/internal/i18n"
)

func TestCatalogIsComplete(t *testing.T) {
	t.Parallel()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Missing(); len(m) > 0 {
		t.Fatalf("messages missing in a language: %v", m)
	}
	if len(c.IDs()) < 50 {
		t.Fatalf("only %d messages: the embedded files were not read", len(c.IDs()))
	}
	for _, id := range c.IDs() {
		for _, l := range i18n.Languages {
			if got := c.Text(l, id, nil); strings.TrimSpace(got) == "" {
				t.Errorf("%s (%s) renders empty", id, l)
			}
		}
	}
}

// TestTextsRenderAsGoI18nDoes holds the catalog's shortcut for texts without
// template or plural forms to go-i18n's own rendering: every message, in
// every language, with and without data, reads the same both ways.
func TestTextsRenderAsGoI18nDoes(t *testing.T) {
	t.Parallel()
	c := i18n.MustLoad()
	b := goi18n.NewBundle(language.Arabic)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := filepath.Glob("messages/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("message files: %v %v", files, err)
	}
	for _, f := range files {
		if _, err := b.LoadMessageFile(f); err != nil {
			t.Fatal(err)
		}
	}
	data := map[string]any{"Name": "x", "Count": 3, "param": 7}
	for _, l := range i18n.Languages {
		loc := goi18n.NewLocalizer(b, l, i18n.AR)
		for _, id := range c.IDs() {
			for _, d := range []map[string]any{nil, data} {
				want, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: d})
				if err != nil {
					want = id
				}
				if got := c.Text(l, id, d); got != want {
					t.Errorf("%s (%s) with %v: %q, go-i18n renders %q", id, l, d, got, want)
				}
			}
		}
	}
}

func TestLoadRefusesAHalfTranslatedCatalog(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"m/a.ar.toml": {Data: []byte("[\"x.one\"]\nother = \"واحد\"\n[\"x.two\"]\nother = \"اثنان\"\n")},
		"m/a.en.toml": {Data: []byte("[\"x.one\"]\nother = \"one\"\n")},
	}
	if _, err := i18n.LoadFS(fsys, "m"); err == nil || !strings.Contains(err.Error(), "x.two (en)") {
		t.Fatalf("a message only in Arabic must fail the load: %v", err)
	}
	fsys["m/a.en.toml"] = &fstest.MapFile{Data: []byte("[\"x.one\"]\nother = \"one\"\n[\"x.two\"]\nother = \"two\"\n")}
	if _, err := i18n.LoadFS(fsys, "m"); err != nil {
		t.Fatal(err)
	}
}

func TestRendering(t *testing.T) {
	t.Parallel()
	c := i18n.MustLoad()
	if got := c.Text(i18n.EN, "field.max", map[string]any{"param": 300}); got != "must be at most 300" {
		t.Errorf("en: %q", got)
	}
	if got := c.Text(i18n.AR, "field.max", map[string]any{"param": 300}); got != "يجب ألا يزيد عن 300" {
		t.Errorf("ar: %q", got)
	}
	if got := c.Message(i18n.AR, errs.M("field.required")); got != "مطلوب" {
		t.Errorf("message: %q", got)
	}
	if got := c.Text("fr", "field.required", nil); got != "مطلوب" {
		t.Errorf("an unknown language falls back to Arabic: %q", got)
	}
	if got := c.Text(i18n.EN, "no.such.id", nil); got != "no.such.id" {
		t.Errorf("an unknown id renders as itself: %q", got)
	}
	for _, tc := range []struct{ header, want string }{
		{"", i18n.AR}, {"en", i18n.EN}, {"en-GB,en;q=0.9", i18n.EN}, {"ar-SA,en;q=0.5", i18n.AR},
		{"fr-FR,en;q=0.8,ar;q=0.5", i18n.EN}, {"fr", i18n.AR}, {"*", i18n.AR}, {"garbage;;;", i18n.AR},
	} {
		if got := i18n.Lang(tc.header); got != tc.want {
			t.Errorf("Lang(%q) = %s, want %s", tc.header, got, tc.want)
		}
	}
	if i18n.Number(i18n.AR, 125) != "١٢٥" || i18n.Number(i18n.EN, 125) != "125" {
		t.Error("Number")
	}
}

// TestEveryMessageIDExists reads the module's Go files and fails on a call
// that names a message the catalog does not have: errs.New, errs.Wrap,
// errs.Field and errs.M with a literal id, a catalog's Text or Count with a
// literal id, and a dialog.Words Text or Count with a literal bot key
// (message "bot.<key>"). It also fails on person-facing text written inline
// (message_ar fields and the like) outside the HTTP edge.
func TestEveryMessageIDExists(t *testing.T) {
	t.Parallel()
	c := i18n.MustLoad()
	root := moduleRoot(t)
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".data", "node_modules", "testdata", "bin", "bench-results":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if strings.Contains(string(src), "MessageAr") && !strings.HasPrefix(rel, "internal/httpx") {
			t.Errorf("%s writes an Arabic message inline (MessageAr): use the catalog", rel)
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		// Names of imported packages: strings.Count is not a catalog call.
		pkgs := map[string]bool{}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			name := p[strings.LastIndex(p, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			pkgs[name] = true
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			recv := ""
			if id, ok := sel.X.(*ast.Ident); ok {
				recv = id.Name
			}
			check := func(i int, prefix string) {
				if i >= len(call.Args) {
					return
				}
				lit, ok := call.Args[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return
				}
				id, err := strconv.Unquote(lit.Value)
				if err != nil || id == "" {
					return
				}
				checked++
				if !c.Has(prefix + id) {
					t.Errorf("%s: message %q is not in the catalog (internal/i18n/messages)", fset.Position(lit.Pos()), prefix+id)
				}
			}
			switch {
			case recv == "errs" && (sel.Sel.Name == "New"):
				check(1, "")
			case recv == "errs" && sel.Sel.Name == "Wrap":
				check(2, "")
			case recv == "errs" && sel.Sel.Name == "Field":
				check(2, "")
			case recv == "errs" && sel.Sel.Name == "M":
				check(0, "")
			case pkgs[recv]:
				// another package's function (strings.Count, ...)
			case sel.Sel.Name == "Text" || sel.Sel.Name == "Count":
				// Catalog.Text(lang, id, ...), Words.Text(ctx, locale, key, ...)
				// and dialog.Turn's Text(key, pairs...): the literal's position
				// tells them apart (a locale literal is two letters).
				if len(call.Args) >= 1 {
					if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING && len(lit.Value) > 6 {
						check(0, "bot.")
						return true
					}
				}
				if len(call.Args) >= 2 {
					if lit, ok := call.Args[1].(*ast.BasicLit); ok && strings.HasPrefix(lit.Value, `"{`) {
						return true // Turn.Text(key, "{placeholder}", value): a key chosen at run time
					}
					if _, ok := call.Args[1].(*ast.BasicLit); ok {
						check(1, "")
						return true
					}
				}
				check(2, "bot.")
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d message ids found in the code: the walk is broken", checked)
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// TestPlaceholdersMatchAcrossLanguages fails when a message's Arabic and
// English forms name different template values ({{.x}}): the one missing a
// value would print it as "<no value>" or drop what the other shows.
func TestPlaceholdersMatchAcrossLanguages(t *testing.T) {
	t.Parallel()
	root := filepath.Join(moduleRoot(t), "internal", "i18n", "messages")
	vars := map[string]map[string]string{} // lang → id → sorted names
	action := regexp.MustCompile(`\{\{(.*?)\}\}`)
	field := regexp.MustCompile(`(?:^|[\s(])\.(\w+)`)
	files, err := filepath.Glob(filepath.Join(root, "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no message files: %v", err)
	}
	for _, f := range files {
		lang := strings.TrimPrefix(filepath.Ext(strings.TrimSuffix(filepath.Base(f), ".toml")), ".")
		var msgs map[string]map[string]string
		if _, err := toml.DecodeFile(f, &msgs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if vars[lang] == nil {
			vars[lang] = map[string]string{}
		}
		for id, forms := range msgs {
			set := map[string]bool{}
			for _, text := range forms {
				for _, a := range action.FindAllStringSubmatch(text, -1) {
					for _, m := range field.FindAllStringSubmatch(a[1], -1) {
						set[m[1]] = true
					}
				}
			}
			names := make([]string, 0, len(set))
			for n := range set {
				names = append(names, n)
			}
			sort.Strings(names)
			vars[lang][id] = strings.Join(names, ",")
		}
	}
	for id, ar := range vars[i18n.AR] {
		if en, ok := vars[i18n.EN][id]; ok && en != ar {
			t.Errorf("%s: Arabic uses {%s}, English {%s}", id, ar, en)
		}
	}
}
