package httpx_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestRequestIntegersAreBounded reads every request struct in the module (a
// struct with at least one `validate` tag) and fails when one of its integer
// fields has no explicit lower and upper bound: JSON numbers decode into Go's
// int64 range, while columns are int4 (or money is bounded far below int64 so
// sums cannot overflow), and an unbounded field reaches SQL as "integer out of
// range" — a 500.
func TestRequestIntegersAreBounded(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	fset := token.NewFileSet()
	var checked int
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
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok || !isRequest(st) {
				return true
			}
			for _, fld := range st.Fields.List {
				if !isInteger(fld.Type) {
					continue
				}
				checked++
				tag := tagOf(fld)
				v := reflect.StructTag(tag).Get("validate")
				if reflect.StructTag(tag).Get("json") == "-" {
					continue
				}
				lower := strings.Contains(v, "min=") || strings.Contains(v, "gte=") || strings.Contains(v, "oneof=")
				upper := strings.Contains(v, "max=") || strings.Contains(v, "lte=") || strings.Contains(v, "oneof=")
				if !lower || !upper {
					name := "?"
					if len(fld.Names) > 0 {
						name = fld.Names[0].Name
					}
					t.Errorf("%s: request field %s (%s) needs explicit bounds in its validate tag (min= and max=), has %q",
						fset.Position(fld.Pos()), name, types(fld.Type), v)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("found no integer request fields: the walk is broken")
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

func tagOf(f *ast.Field) string {
	if f.Tag == nil {
		return ""
	}
	s, err := strconv.Unquote(f.Tag.Value)
	if err != nil {
		return ""
	}
	return s
}

func isRequest(st *ast.StructType) bool {
	for _, f := range st.Fields.List {
		if reflect.StructTag(tagOf(f)).Get("validate") != "" {
			return true
		}
	}
	return false
}

func isInteger(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.StarExpr:
		return isInteger(x.X)
	case *ast.ArrayType:
		return isInteger(x.Elt)
	case *ast.Ident:
		switch x.Name {
		case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
			return true
		}
	}
	return false
}

func types(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return "*" + types(x.X)
	case *ast.ArrayType:
		return "[]" + types(x.Elt)
	case *ast.Ident:
		return x.Name
	}
	return "?"
}
