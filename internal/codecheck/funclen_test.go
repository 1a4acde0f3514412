package codecheck

import (
	"go/ast"
	"strings"
	"testing"
)

// maxFuncLines is the house limit on a non-test function, signature and
// closing brace included.
const maxFuncLines = 80

// TestNoLongFunctions: no non-test function (method, function literal
// bodies counted in their enclosing function) is over maxFuncLines lines.
func TestNoLongFunctions(t *testing.T) {
	files := moduleFiles(t, func(name string) bool { return !strings.HasSuffix(name, "_test.go") })
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
			t.Errorf("%s:%d: %s is %d lines (at most %d): split it", f.pkg, start.Line, funcName(fn), lines, maxFuncLines)
		}
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
