package rewrite

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/leakscan"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"go.yaml.in/yaml/v3"
)

// corpusHit is one image reference expected at a place in a render.
type corpusHit struct {
	Ref, Kind, Name, Path string
}

// forEachRender runs test on every real render in ../testdata/corpus
// (from ../shared/corpus; images.json, their ground truth, validates the
// oracle in internal/leakscan), one subtest per file.
func forEachRender(t *testing.T, test func(t *testing.T, render []byte)) {
	t.Helper()
	files, err := filepath.Glob("../testdata/corpus/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var renders []string
	for _, f := range files {
		if filepath.Base(f) != "airgap.yaml" {
			renders = append(renders, f)
		}
	}
	if len(renders) < 24 {
		t.Fatalf("found %d renders in ../testdata/corpus, want the whole shared corpus (24)", len(renders))
	}
	for _, file := range renders {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			test(t, data)
		})
	}
}

// corpusInternal is what counts as internal in the corpus config
// (testdata/corpus/airgap.yaml): the mirror's host.
var corpusInternal = []string{"registry.internal.example.com"}

// TestCorpus rewrites every real render with testdata/corpus/airgap.yaml
// (mirror only, as global.imageRegistry would do) and holds the output to
// the promise, judged by internal/leakscan, an oracle that shares no code
// with the engine and is itself checked against images.json:
//
//	(a) the run succeeds and no public reference of any class (a-g) is left;
//	(b) nothing but references and added imagePullSecrets changed;
//	(c) rewriting the output again changes no byte;
//	(d) every document comes out, in order, and the comments stay.
func TestCorpus(t *testing.T) {
	opts := engineOptionsFromFile(t, "../testdata/corpus/airgap.yaml")
	forEachRender(t, func(t *testing.T, data []byte) {
		if refs, err := leakscan.Find(data); err != nil || len(refs) == 0 {
			t.Fatalf("the oracle finds no reference in the render (%v): it proves nothing", err)
		}
		input := string(data)
		out, _, err := runOpts(t, opts, input)
		if err != nil {
			t.Fatalf("(a) Run: %v", err)
		}
		assertNoLeaks(t, out)                      // (a)
		compareStreams(t, opts.Mapper, input, out) // (b)
		again, _, err := runOpts(t, opts, out)     // (c)
		if err != nil {
			t.Fatalf("(c) rewriting the output: %v", err)
		}
		if again != out {
			t.Fatalf("(c) not idempotent at byte %d", firstDiff([]byte(again), []byte(out)))
		}
		assertSameDocuments(t, input, out) // (d)
		check := opts
		check.CheckOnly = true
		if _, _, err := runOpts(t, check, out); err != nil {
			t.Fatalf("check fails on the output: %v", err)
		}
	})
}

// TestCorpusBinary runs the real binary over every render, as a user
// would (`helm-airgap rewrite --mirror M` on stdin): exit 0, the same
// bytes as the library, and no public reference left.
func TestCorpusBinary(t *testing.T) {
	bin := testtool.Command(t, "helm-airgap")
	opts := engineOptionsFromFile(t, "../testdata/corpus/airgap.yaml")
	forEachRender(t, func(t *testing.T, data []byte) {
		cmd := exec.Command(bin, "rewrite", "--mirror", mirror, "--allow", corpusInternal[0])
		cmd.Stdin = bytes.NewReader(data)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("helm-airgap rewrite --mirror %s: %v\nstderr:\n%s", mirror, err, stderr.String())
		}
		assertNoLeaks(t, stdout.String())
		if lib, _, err := runOpts(t, opts, string(data)); err == nil && lib != stdout.String() {
			t.Errorf("the binary's output differs from the library's at byte %d", firstDiff(stdout.Bytes(), []byte(lib)))
		}
	})
}

// assertNoLeaks fails on every public image reference the oracle finds.
func assertNoLeaks(t *testing.T, out string) {
	t.Helper()
	leaks, err := leakscan.Leaks([]byte(out), corpusInternal...)
	if err != nil {
		t.Fatalf("(a) scanning the output: %v", err)
	}
	for _, l := range leaks {
		t.Errorf("(a) still public: %s", l)
	}
}

// assertSameDocuments: the output holds the input's objects in the same
// order, and every comment line, # Source: lines in order.
func assertSameDocuments(t *testing.T, input, output string) {
	t.Helper()
	in, err := leakscan.Documents([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	out, err := leakscan.Documents([]byte(output))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := documentIdentities(out), documentIdentities(in); !slices.Equal(got, want) {
		t.Errorf("(d) documents out of order or lost:\ninput:  %q\noutput: %q", want, got)
	}
	if got, want := commentLines(output, "# Source:"), commentLines(input, "# Source:"); !slices.Equal(got, want) {
		t.Errorf("(d) # Source: lines changed:\ninput:  %q\noutput: %q", want, got)
	}
	if got, want := len(commentLines(output, "#")), len(commentLines(input, "#")); got != want {
		t.Errorf("(d) the input has %d comment lines, the output %d", want, got)
	}
}

func documentIdentities(docs []*yaml.Node) []string {
	var ids []string
	for _, d := range docs {
		kind, namespace, name := leakscan.Identity(d)
		ids = append(ids, kind+" "+namespace+"/"+name)
	}
	return ids
}

// commentLines lists the lines that start (after indentation) with prefix.
func commentLines(stream, prefix string) []string {
	var lines []string
	for _, line := range strings.Split(stream, "\n") {
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, prefix) {
			lines = append(lines, trimmed)
		}
	}
	return lines
}

// TestCorpusGlobalRegistryGaps pins the images global.imageRegistry misses
// entirely (the (b) renders of temporal and cert-manager, hooks and the
// cert-manager solver argument included): the rewrite moves every one.
func TestCorpusGlobalRegistryGaps(t *testing.T) {
	opts := engineOptionsFromFile(t, "../testdata/corpus/airgap.yaml")
	tests := map[string][]corpusHit{
		"cert-manager-b-global-registry.yaml": {
			{Kind: "Deployment", Name: "cert-manager", Path: "spec.template.spec.containers[0].args[3]",
				Ref: "--acme-http01-solver-image=" + mirror + "/jetstack/cert-manager-acmesolver:v1.21.1"},
			{Kind: "Deployment", Name: "cert-manager", Path: "spec.template.spec.containers[0].image", Ref: mirror + "/jetstack/cert-manager-controller:v1.21.1"},
			{Kind: "Deployment", Name: "cert-manager-cainjector", Path: "spec.template.spec.containers[0].image", Ref: mirror + "/jetstack/cert-manager-cainjector:v1.21.1"},
			{Kind: "Deployment", Name: "cert-manager-webhook", Path: "spec.template.spec.containers[0].image", Ref: mirror + "/jetstack/cert-manager-webhook:v1.21.1"},
			{Kind: "Job", Name: "cert-manager-startupapicheck", Path: "spec.template.spec.containers[0].image", Ref: mirror + "/jetstack/cert-manager-startupapicheck:v1.21.1"},
		},
		"temporal-b-global-registry.yaml": {
			{Kind: "Job", Name: "temporal-schema", Path: "spec.template.spec.initContainers[0].image", Ref: mirror + "/temporalio/admin-tools:1.31.2"},
			{Kind: "Job", Name: "temporal-schema", Path: "spec.template.spec.initContainers[2].image", Ref: mirror + "/temporalio/admin-tools:1.31.2"},
			{Kind: "Job", Name: "temporal-namespace", Path: "spec.template.spec.containers[0].image", Ref: mirror + "/temporalio/admin-tools:1.31.2"},
			{Kind: "Pod", Name: "temporal-test-cluster-health", Path: "spec.containers[0].image", Ref: mirror + "/temporalio/admin-tools:1.31.2"},
			{Kind: "Deployment", Name: "temporal-frontend", Path: "spec.template.spec.containers[0].image", Ref: mirror + "/temporalio/server:1.31.2"},
			{Kind: "Deployment", Name: "temporal-web", Path: "spec.template.spec.containers[0].image", Ref: mirror + "/temporalio/ui:2.52.0"},
		},
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("../testdata/corpus", file))
			if err != nil {
				t.Fatal(err)
			}
			check := opts
			check.CheckOnly = true
			if _, _, err := runOpts(t, check, string(data)); err == nil {
				t.Fatal("check passes on the global.imageRegistry render; it must fail")
			}
			out, _, err := runOpts(t, opts, string(data))
			if err != nil {
				t.Fatal(err)
			}
			docs := decodeAll(t, out)
			for _, h := range want {
				got, err := valueAt(docs, h)
				if err != nil || got != h.Ref {
					t.Errorf("%s %s %s = %q (%v), want %q", h.Kind, h.Name, h.Path, got, err, h.Ref)
				}
			}
		})
	}
}

// valueAt finds the string at a hit's path in the object of its kind and name.
func valueAt(docs []any, h corpusHit) (string, error) {
	for _, doc := range docs {
		kind, name, _ := identity(doc)
		if kind != h.Kind || name != h.Name {
			continue
		}
		v, ok := lookupPath(doc, h.Path)
		if !ok {
			return "", fmt.Errorf("%s %s has no %s", h.Kind, h.Name, h.Path)
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%s %s %s is %T, not a string", h.Kind, h.Name, h.Path, v)
		}
		return s, nil
	}
	return "", fmt.Errorf("no %s %s in the output", h.Kind, h.Name)
}

func engineOptionsFromFile(t testing.TB, path string) Options {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return engineOptions(t, string(data))
}

// embeddedGoldenCases are the golden cases for issue 10 whose expected.yaml
// was written by hand, with how many public references (or composite
// prefixes) the oracle must find in each input.
var embeddedGoldenCases = map[string]int{
	"embedded-yaml":      3,
	"embedded-json":      4,
	"secret-base64":      1,
	"properties":         5,
	"shell-script":       4,
	"multi-ref":          7,
	"placeholder":        1,
	"dup-keys-identical": 1,
}

// TestGoldenExpectationsHold checks the hand-written expected.yaml of the
// embedded-text golden cases without the engine: the oracle finds the
// intended public references in the input and none in the expected output,
// and the expected output differs from the input only by those references
// replaced with their mappings.
func TestGoldenExpectationsHold(t *testing.T) {
	for name, public := range embeddedGoldenCases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("../testdata", name)
			input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			expected, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			leaks, err := leakscan.Leaks(input, corpusInternal...)
			if err != nil {
				t.Fatal(err)
			}
			if len(leaks) != public {
				t.Errorf("the oracle finds %d public references in the input, want %d:\n%v", len(leaks), public, leaks)
			}
			assertNoLeaks(t, string(expected))
			changes := compareStreams(t, goldenOptions(t, dir).Mapper, string(input), string(expected))
			if len(changes) == 0 {
				t.Error("expected.yaml changes nothing")
			}
			if !strings.HasPrefix(string(expected), "# "+name+": ") {
				t.Errorf("expected.yaml does not keep the input's header comment")
			}
		})
	}
}
