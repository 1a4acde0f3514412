package leakscan

import (
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSharesNoCodeWithTheEngine keeps the oracle independent: no file of
// the package imports the engine's packages or its reference parser.
func TestSharesNoCodeWithTheEngine(t *testing.T) {
	forbidden := []string{
		"github.com/plexicus/helm-airgap/rules",
		"github.com/plexicus/helm-airgap/rewrite",
		"github.com/plexicus/helm-airgap/egress",
		"github.com/distribution/reference",
	}
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files (%v)", err)
	}
	for _, file := range files {
		f, err := parser.ParseFile(gotoken.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %s: the oracle must share no code with the engine", file, path)
				}
			}
		}
	}
}
