package codecheck

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
)

var update = flag.Bool("update", false, "rewrite the generated lists (CONTRIBUTING.md's fuzz targets)")

// goFile is one parsed Go file of the module; pkg is its directory relative
// to the module root ("rewrite", "cmd/helm-airgap").
type goFile struct {
	pkg, path string
	fset      *token.FileSet
	file      *ast.File
}

// moduleFiles parses every Go file of the main module for which keep (given
// the file's base name) is true. tools/ holds modules of their own, build/
// and dist/ are outputs, testdata/ is data.
func moduleFiles(t *testing.T, keep func(name string) bool) []goFile {
	t.Helper()
	root := testtool.ModuleRoot(t)
	var files []goFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "tools" || name == "build" || name == "dist" || name == "testdata" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || !keep(name) {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		files = append(files, goFile{pkg: filepath.ToSlash(rel), path: path, fset: fset, file: f})
		return nil
	})
	if err != nil {
		t.Fatalf("reading the module's Go files: %v", err)
	}
	return files
}

// fuzzFuncs are the fuzz targets a test file declares: FuzzX(*testing.F).
func fuzzFuncs(f goFile) []string {
	var names []string
	for _, decl := range f.file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") {
			continue
		}
		params := fn.Type.Params.List
		if len(params) != 1 {
			continue
		}
		star, ok := params[0].Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		sel, ok := star.X.(*ast.SelectorExpr)
		if ok && sel.Sel.Name == "F" {
			names = append(names, fn.Name.Name)
		}
	}
	return names
}
