package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestLayersRunOneWay holds the import rules of the layout
// (docs/architecture.md): internal/ is plumbing and imports nothing above it;
// tenants sits on internal/; modules, plugins, admin and storefront never
// reach into the composition root or the UIs; plugins know only internal/.
// Only the product's own imports count: tests may reach up to wire real
// parts together.
func TestLayersRunOneWay(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "concierge/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := map[string][]string{
		"internal":   {"tenants", "modules", "plugins", "admin", "storefront", "cmd"},
		"tenants":    {"modules", "plugins", "admin", "storefront", "cmd"},
		"modules":    {"admin", "storefront", "cmd"},
		"plugins":    {"tenants", "modules", "admin", "storefront", "cmd"},
		"admin":      {"storefront", "cmd"},
		"storefront": {"admin", "cmd"},
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	checked := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		layer := topDir(p.ImportPath)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, "concierge/") {
				continue
			}
			for _, bad := range forbidden[layer] {
				if topDir(imp) == bad {
					t.Errorf("%s imports %s: %s/ may not import %s/", p.ImportPath, imp, layer, bad)
				}
			}
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("go list found only %d packages", checked)
	}
}

// topDir is the first folder of a package path inside the module.
func topDir(importPath string) string {
	rest := strings.TrimPrefix(importPath, "concierge/")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[:i]
	}
	return rest
}
