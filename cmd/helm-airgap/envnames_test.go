package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestSettingsFromEnv: the shared settings' variables are the same outside
// Argo CD as in its plugin env (HELM_AIRGAP_RULES, HELM_AIRGAP_PULL_SECRETS:
// lists), config says which variable set a value, and the generic name of a
// repeatable flag is refused rather than ignored.
func TestSettingsFromEnv(t *testing.T) {
	dir := t.TempDir()
	env := []string{
		"HELM_AIRGAP_MIRROR=e.example.com/m",
		"HELM_AIRGAP_RULES=docker.io=e.example.com/d, quay.io=e.example.com/q",
		"HELM_AIRGAP_PULL_SECRETS=one,two",
		"HELM_AIRGAP_ALLOW=internal.example.com",
	}
	r := runCLI(t, dir, env, "", "config", "--pull-secret", "three")
	r.want(t, 0)
	for _, want := range []string{
		"# from env HELM_AIRGAP_MIRROR\nmirror: e.example.com/m\n",
		"  # from env HELM_AIRGAP_RULES docker.io=e.example.com/d\n  - from: docker.io\n",
		"  # from env HELM_AIRGAP_RULES quay.io=e.example.com/q\n  - from: quay.io\n",
		// A flag given on the command line replaces the variable.
		"pullSecrets:\n  # from --pull-secret three\n  - three\n",
		"allow:\n  # from env HELM_AIRGAP_ALLOW internal.example.com\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("config lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runCLI(t, dir, env, "", "config")
	r.want(t, 0)
	if !strings.Contains(r.stdout, "  # from env HELM_AIRGAP_PULL_SECRETS one\n  - one\n  # from env HELM_AIRGAP_PULL_SECRETS two\n  - two\n") {
		t.Errorf("HELM_AIRGAP_PULL_SECRETS=one,two is not two pull secrets:\n%s", r.stdout)
	}
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: nginx:1.27}\n"
	r = runCLI(t, dir, env, pod, "rewrite")
	r.want(t, 0)
	if !strings.Contains(r.stdout, "image: e.example.com/d/library/nginx:1.27") || !strings.Contains(r.stdout, "- name: two") {
		t.Errorf("rewrite does not follow the variables:\n%s", r.stdout)
	}
	for _, generic := range []string{"HELM_AIRGAP_PULL_SECRET", "HELM_AIRGAP_RULE"} {
		r = runCLI(t, dir, []string{"HELM_AIRGAP_MIRROR=e.example.com/m", generic + "=x"}, pod, "rewrite")
		r.want(t, 2)
		if !strings.Contains(r.stderr, "$"+generic+" is not read: the variable of --") || !strings.Contains(r.stderr, generic+"S") {
			t.Errorf("%s: %s", generic, r.stderr)
		}
	}
	r = runCLI(t, dir, nil, "", "rewrite", "-h")
	for _, want := range []string{"(env HELM_AIRGAP_RULES)", "(env HELM_AIRGAP_PULL_SECRETS)", "(env HELM_AIRGAP_MIRROR)", "(env HELM_AIRGAP_MAX_DOCUMENT_SIZE)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("rewrite -h does not name %s:\n%s", want, r.stdout)
		}
	}
}

// variablesRead are the HELM_AIRGAP_ variables the code reads that are no
// flag's: each must be in the non-test source (checked below).
var variablesRead = []string{"HELM_AIRGAP_CONFIG", "HELM_AIRGAP_REPORT", "HELM_AIRGAP_NO_HOOK_WARNING", "HELM_AIRGAP_ALLOW_EMPTY"}

// TestDocumentedVariablesExist: every HELM_AIRGAP_ variable the user docs
// name is one a command reads: a flag's (as --help names it) or one of
// variablesRead.
func TestDocumentedVariablesExist(t *testing.T) {
	root := filepath.Join("..", "..")
	known := map[string]bool{}
	source := readSources(t, root)
	for _, v := range variablesRead {
		if !strings.Contains(source, `"`+v+`"`) {
			t.Errorf("%s is listed as read but no source file names it", v)
		}
		known[v] = true
	}
	// The docs name the singular forms to say they are refused
	// (TestSettingsFromEnv).
	known["HELM_AIRGAP_PULL_SECRET"], known["HELM_AIRGAP_RULE"] = true, true
	envInHelp := regexp.MustCompile(`\(env (HELM_AIRGAP_[A-Z_]+)\)`)
	for _, cmd := range []string{"rewrite", "check", "images", "init", "config"} {
		for _, m := range envInHelp.FindAllStringSubmatch(runCLI(t, t.TempDir(), nil, "", cmd, "-h").stdout, -1) {
			known[m[1]] = true
		}
	}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	docs = append(docs, filepath.Join(root, "README.md"))
	name := regexp.MustCompile(`HELM_AIRGAP_[A-Z][A-Z_]*[A-Z]`)
	var unknown []string
	for _, doc := range docs {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range name.FindAllString(string(data), -1) {
			if !known[v] {
				unknown = append(unknown, filepath.Base(doc)+": "+v)
			}
		}
	}
	sort.Strings(unknown)
	for _, u := range unknown {
		t.Errorf("%s is no variable helm-airgap reads (known: %v)", u, known)
	}
}

// readSources is the module's non-test Go source, concatenated.
func readSources(t *testing.T, root string) string {
	var b strings.Builder
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "build" || d.Name() == "testdata" || d.Name() == "tools" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			b.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
