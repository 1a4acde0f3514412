package plan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/reference"
)

// TestCorpus builds the plan of every real render in testdata/corpus with
// the sample config. The images must be exactly the ones the corpus's own
// scanner lists in images.json (no more, no fewer), every copy must land on
// an internal registry, and the plain --why output is pinned in
// testdata/corpus/<file>.txt (-update rewrites it).
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("../testdata/corpus/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus renders in ../testdata/corpus (%v)", err)
	}
	var listed map[string]struct {
		Hits []struct {
			Ref string `json:"ref"`
		} `json:"hits"`
	}
	data, err := os.ReadFile("../testdata/corpus/images.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &listed); err != nil {
		t.Fatal(err)
	}
	cfgText, err := os.ReadFile("../testdata/charts/airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opts := engineOptions(t, string(cfgText))
	for _, file := range files {
		base := filepath.Base(file)
		if base == "airgap.yaml" {
			continue // the corpus's sample config, not a render
		}
		t.Run(strings.TrimSuffix(base, ".yaml"), func(t *testing.T) {
			entry, ok := listed[base]
			if !ok {
				t.Fatalf("%s is not in images.json", base)
			}
			want := map[string]bool{}
			for _, hit := range entry.Hits {
				ref, err := reference.Parse(hit.Ref)
				if err != nil {
					t.Fatalf("images.json: %v", err)
				}
				want[ref.Repository()+ref.Suffix] = true
			}
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p, _, err := Build(f, opts, true)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, img := range p.Images {
				if img.Status == Runtime {
					// A composite's repository: the images.json entry joins it with its tag.
					if !hasPrefixKey(want, img.Source) {
						t.Errorf("runtime entry %s matches no image of images.json", img.Source)
					}
					if want[img.Source] { // listed without a tag: the program adds one
						got[img.Source] = true
					}
					continue
				}
				got[img.Source] = true
				dst, err := reference.Parse(img.Destination)
				if err != nil {
					t.Errorf("%s: destination %v", img.Source, err)
				} else if !opts.Mapper.IsInternal(dst.Domain) {
					t.Errorf("%s goes to %s, which is not internal", img.Source, img.Destination)
				}
				if len(img.Origins) == 0 {
					t.Errorf("%s has no origin", img.Source)
				}
			}
			if missing, extra := diff(want, got), diff(got, want); len(missing)+len(extra) > 0 {
				t.Errorf("plan differs from images.json:\n  missing %v\n  extra %v", missing, extra)
			}
			var b strings.Builder
			if err := Write(&b, p, Plain); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "corpus", strings.TrimSuffix(base, ".yaml")+".txt"), b.String())
		})
	}
}

func hasPrefixKey(m map[string]bool, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func diff(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
