package rewrite

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusHit is one image reference the corpus's own scanner found
// (testdata/corpus/images.json, from ../shared/corpus).
type corpusHit struct {
	Ref       string `json:"ref"`
	Where     string `json:"where"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Container string `json:"container"`
	Path      string `json:"path"`
}

func corpusFiles(t *testing.T) ([]string, map[string][]corpusHit) {
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
	if len(renders) < 10 {
		t.Fatalf("found %d renders in ../testdata/corpus, want the whole shared corpus", len(renders))
	}
	data, err := os.ReadFile("../testdata/corpus/images.json")
	if err != nil {
		t.Fatal(err)
	}
	var listed map[string]struct{ Hits []corpusHit }
	if err := json.Unmarshal(data, &listed); err != nil {
		t.Fatalf("images.json: %v", err)
	}
	hits := map[string][]corpusHit{}
	for file, entry := range listed {
		hits[file] = entry.Hits
	}
	return renders, hits
}

// TestCorpus rewrites every real render with testdata/corpus/airgap.yaml
// (mirror only, as global.imageRegistry would do): every image images.json
// lists for the file ends on the mirror at the same place, nothing else
// changes, the document count is kept, check passes on the output and the
// rewrite is idempotent.
func TestCorpus(t *testing.T) {
	renders, hits := corpusFiles(t)
	opts := engineOptionsFromFile(t, "../testdata/corpus/airgap.yaml")
	for _, file := range renders {
		base := filepath.Base(file)
		t.Run(strings.TrimSuffix(base, ".yaml"), func(t *testing.T) {
			want, ok := hits[base]
			if !ok || len(want) == 0 {
				t.Fatalf("%s has no images in images.json", base)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input := string(data)
			found := map[string]string{} // "Kind/name path" -> reference as written
			run := opts
			run.OnImage = func(o Occurrence) { found[o.Kind+"/"+o.Name+" "+o.Field] = o.Mapping.Source.Written }
			out, report, err := runOpts(t, run, input)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}

			// The engine finds exactly the references the corpus scanner lists.
			var listed []string
			for _, h := range want {
				key := h.Kind + "/" + h.Name + " " + h.Path
				listed = append(listed, key)
				if found[key] != h.Ref {
					t.Errorf("%s %s (%s): images.json lists %q, the engine found %q", h.Kind, h.Name, h.Path, h.Ref, found[key])
				}
			}
			if len(found) != len(want) {
				var extra []string
				for key, ref := range found {
					if !contains(listed, key) {
						extra = append(extra, key+": "+ref)
					}
				}
				sort.Strings(extra)
				t.Errorf("the engine found %d references, images.json lists %d; extra:\n  %s", len(found), len(want), strings.Join(extra, "\n  "))
			}

			// Every listed image is on the mirror in the output, at its place.
			outDocs := decodeAll(t, out)
			for _, h := range want {
				got, err := valueAt(outDocs, h)
				if err != nil {
					t.Errorf("%v", err)
					continue
				}
				if h.Where != "container.image" && h.Where != "initContainer.image" {
					flag := strings.TrimSuffix(strings.TrimPrefix(h.Where, "container.arg("), ")")
					if !strings.HasPrefix(got, flag+"=") {
						t.Errorf("%s %s %s = %q, want the %s flag kept", h.Kind, h.Name, h.Path, got, flag)
						continue
					}
					got = strings.TrimPrefix(got, flag+"=")
				}
				mapping, err := opts.Mapper.Map(h.Ref)
				if err != nil {
					t.Fatal(err)
				}
				if got != mapping.Dest || !strings.HasPrefix(got, mirror+"/") {
					t.Errorf("%s %s %s = %q, want %q on the mirror", h.Kind, h.Name, h.Path, got, mapping.Dest)
				}
			}

			// Nothing else changed, and the stream keeps its documents.
			compareStreams(t, opts.Mapper, input, out)
			again, againReport, err := runOpts(t, opts, out)
			if err != nil {
				t.Fatalf("rewriting the output: %v", err)
			}
			if again != out {
				t.Fatalf("not idempotent at byte %d", firstDiff([]byte(again), []byte(out)))
			}
			if againReport.Documents != report.Documents || len(decodeAll(t, input)) != len(outDocs) {
				t.Fatalf("documents: input %d, output %d", report.Documents, againReport.Documents)
			}
			check := opts
			check.CheckOnly = true
			if _, _, err := runOpts(t, check, out); err != nil {
				t.Fatalf("check fails on the output: %v", err)
			}
		})
	}
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

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}
