package catalog

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"concierge/internal/i18n"
)

// TestMessagesExist reads the catalog's code (and its shell command) and
// fails on a "catalog.…" literal that is neither a message of the catalog
// nor a bot text (bot.<key>), whatever helper it is passed through: job
// kinds and dialog state keys are the only other such literals.
func TestMessagesExist(t *testing.T) {
	t.Parallel()
	cat := i18n.MustLoad()
	notMessages := map[string]bool{
		"catalog.sync": true, "catalog.schedule": true, "catalog.consistency": true, // job kinds
		dataCategory: true, dataProduct: true, dataVariant: true, dataQuery: true, // dialog state keys
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "..", "cmd", "concierge", "catalog.go"))
	literal := regexp.MustCompile(`"(catalog\.[a-z0-9_.]+)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			id := m[1]
			if notMessages[id] || strings.HasSuffix(id, ".") {
				continue
			}
			n++
			if !cat.Has(id) && !cat.Has("bot."+id) {
				t.Errorf("%s: %q is not a message of the catalog", f, id)
			}
		}
	}
	if n < 100 {
		t.Fatalf("found only %d message ids: the scan is broken", n)
	}
}
