package codecheck

import (
	"fmt"
	"go/ast"
	"sort"
	"strings"
	"testing"
)

// maxFuncLines is the house limit on a non-test function, signature and
// closing brace included.
const maxFuncLines = 80

// redesigning are the packages (directory prefixes) whose long functions
// are listed but do not fail the test yet: they are being split up
// (issue 20). Remove an entry once its package is done.
var redesigning = []string{"rewrite", "rules"}

// pendingFuncs are single functions ("dir.Func") listed but not failed yet, for
// the same reason: runFiles is in the CLI being reworked (issue 20).
var pendingFuncs = map[string]bool{"cmd/helm-airgap.runFiles": true}

// TestNoLongFunctions: no non-test function (method, function literal
// bodies counted in their enclosing function) is over maxFuncLines lines.
func TestNoLongFunctions(t *testing.T) {
	files := moduleFiles(t, func(name string) bool { return !strings.HasSuffix(name, "_test.go") })
	var pending []string
	for _, f := range files {
		for _, decl := range f.file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			start, end := f.fset.Position(fn.Pos()), f.fset.Position(fn.End())
			lines := end.Line - start.Line + 1
			if lines <= maxFuncLines {
				continue
			}
			msg := fmt.Sprintf("%s:%d: %s is %d lines (at most %d)", f.pkg, start.Line, funcName(fn), lines, maxFuncLines)
			if underAny(f.pkg, redesigning) || pendingFuncs[f.pkg+"."+funcName(fn)] {
				pending = append(pending, msg)
				continue
			}
			t.Errorf("%s: split it", msg)
		}
	}
	sort.Strings(pending)
	if len(pending) > 0 {
		t.Logf("over %d lines in packages being redesigned (not failed yet):\n%s", maxFuncLines, strings.Join(pending, "\n"))
	}
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if index, ok := typ.(*ast.IndexExpr); ok {
		typ = index.X
	}
	if index, ok := typ.(*ast.IndexListExpr); ok {
		typ = index.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// underAny tells whether the directory pkg is one of dirs or inside one.
func underAny(pkg string, dirs []string) bool {
	for _, d := range dirs {
		if pkg == d || strings.HasPrefix(pkg, d+"/") {
			return true
		}
	}
	return false
}
