package codecheck

import (
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
)

const module = "github.com/plexicus/helm-airgap/"

// importClaim is what a package's doc.go says about its imports, written
// down as data: keep the two in step.
type importClaim struct {
	pkg string // relative to the module
	// mustNot are import-path prefixes the package must not depend on,
	// directly or not.
	mustNot []string
	// only, when set, are all the non-standard packages it may import
	// directly (prefixes, module ones relative to the module).
	only []string
	// importers, when set, are all the module's packages that may import it
	// (tests aside); an empty non-nil list means none.
	importers []string
}

// Module packages that run only under tests: their importers are other
// test helpers.
var testHelpers = []string{"internal/argocdtest", "internal/controlplane", "internal/helmtest", "internal/registrytest", "internal/testproc", "internal/testtool", "internal/doctest", "internal/leakscan", "internal/configschema", "e2e"}

var importClaims = []importClaim{
	{pkg: "inputs", only: []string{"github.com/spf13/pflag"}, mustNot: []string{"helm.sh/", "github.com/google/go-containerregistry"}},
	{pkg: "internal/cli", only: []string{"github.com/spf13/cobra", "github.com/spf13/pflag", "github.com/agnivade/levenshtein"}},
	{pkg: "internal/k8syaml", only: []string{"go.yaml.in/yaml/v3", "sigs.k8s.io/yaml"}},
	{pkg: "internal/yamlnode", only: []string{"go.yaml.in/yaml/v3"}},
	{pkg: "lock", mustNot: []string{"github.com/google/go-containerregistry", "helm.sh/", "k8s.io/", "sigs.k8s.io/"}},
	{pkg: "plan", mustNot: []string{"github.com/google/go-containerregistry", module + "mirror"}},
	{pkg: "egress", mustNot: []string{"sigs.k8s.io/kustomize/kyaml", "helm.sh/", "k8s.io/client-go", "github.com/google/go-containerregistry", "golang.org/x/net/publicsuffix", "net/http"}},
	{pkg: "rules/reference", only: []string{"github.com/distribution/reference"}},
	{pkg: "rules/detect", only: []string{"rules/reference", "go.yaml.in/yaml/v3"}},
	{pkg: "rules/mapper", only: []string{"rules/reference", "github.com/distribution/reference"}},
	{pkg: "rules/config", only: []string{"rules/", "egress/egressconfig", "internal/yamlnode", "github.com/agnivade/levenshtein", "go.yaml.in/yaml/v3"}},
	{pkg: "egress/egressconfig", only: []string{"go.yaml.in/yaml/v3"}},
	{pkg: "internal/leakscan", mustNot: []string{module + "rules", module + "rewrite", module + "egress", "github.com/distribution/reference"}, importers: testHelpers},
	{pkg: "internal/argocdtest", only: []string{"internal/testproc", "internal/testtool", "go.yaml.in/yaml/v3"}, importers: testHelpers},
	{pkg: "internal/controlplane", only: []string{"internal/testproc", "internal/testtool", "k8s.io/"}, importers: testHelpers},
	{pkg: "internal/testproc", only: []string{}, importers: testHelpers},
	{pkg: "internal/testtool", importers: testHelpers},
	{pkg: "internal/helmtest", importers: testHelpers},
	{pkg: "internal/registrytest", importers: testHelpers},
	{pkg: "internal/configschema", importers: testHelpers},
	{pkg: "internal/sidecar", only: []string{"mirror", "internal/release", "plan", "rules", "github.com/google/go-containerregistry"}, importers: []string{}},
	{pkg: "internal/release", importers: []string{"internal/dist", "internal/sidecar"}},
	{pkg: "mirror", importers: []string{"cmd/helm-airgap-registry", "internal/sidecar"}},
	{pkg: "cmd/helm-airgap-helm", importers: []string{}},
}

// TestDocImportClaims checks importClaims against go list: the doc.go of
// each package says the same in words.
func TestDocImportClaims(t *testing.T) {
	graph := importGraph(t)
	for _, c := range importClaims {
		path := module + c.pkg
		if _, ok := graph[path]; !ok {
			t.Errorf("%s: no such package; update importClaims and its doc.go", c.pkg)
			continue
		}
		for _, dep := range graph.deps(path) {
			if hasAnyPrefix(dep, c.mustNot, "") {
				t.Errorf("%s depends on %s, which its doc.go says it must not", c.pkg, dep)
			}
		}
		if c.only != nil {
			for _, imp := range graph[path] {
				if isStd(imp) || hasAnyPrefix(imp, c.only, module) {
					continue
				}
				t.Errorf("%s imports %s, which its doc.go does not allow (%v)", c.pkg, imp, c.only)
			}
		}
		if c.importers != nil {
			for _, by := range graph.importers(path) {
				if !hasAnyPrefix(by, c.importers, module) {
					t.Errorf("%s is imported by %s; its doc.go says only %v may", c.pkg, by, c.importers)
				}
			}
		}
	}
}

// imports maps every package the module builds (dependencies included) to
// its direct imports, tests aside.
type imports map[string][]string

func importGraph(t *testing.T) imports {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Dir = testtool.ModuleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./...: %v", err)
	}
	g := imports{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		g[fields[0]] = fields[1:]
	}
	return g
}

// deps is every package path depends on, sorted.
func (g imports) deps(path string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, imp := range g[p] {
			if !seen[imp] {
				seen[imp] = true
				walk(imp)
			}
		}
	}
	walk(path)
	return sortedKeys(seen)
}

// importers are the module's packages importing path directly.
func (g imports) importers(path string) []string {
	seen := map[string]bool{}
	for p, imps := range g {
		if !strings.HasPrefix(p, module) {
			continue
		}
		for _, imp := range imps {
			if imp == path {
				seen[p] = true
			}
		}
	}
	return sortedKeys(seen)
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// hasAnyPrefix tells whether path is one of prefixes, or under one; a
// prefix without a dot in its first element is relative to base.
func hasAnyPrefix(path string, prefixes []string, base string) bool {
	for _, p := range prefixes {
		if !strings.Contains(strings.Split(p, "/")[0], ".") {
			p = base + p
		}
		if path == p || strings.HasPrefix(path, strings.TrimSuffix(p, "/")+"/") || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			return true
		}
	}
	return false
}

// isStd tells a standard-library package by its first element, which has
// no dot.
func isStd(path string) bool {
	return !strings.Contains(strings.Split(path, "/")[0], ".")
}
