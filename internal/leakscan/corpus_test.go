package leakscan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDir holds real chart renders and images.json, the ground truth of
// the corpus's own scanner (../shared/corpus, see its README).
const corpusDir = "../../testdata/corpus"

// internalRegistry is where the corpus's (b)/(c) renders point their images.
const internalRegistry = "registry.internal.example.com"

type groundTruth struct {
	Ref   string `json:"ref"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Path  string `json:"path"`
	Class string `json:"class"`
	Parts []struct {
		Path  string `json:"path"`
		Value string `json:"value"`
	} `json:"parts"`
}

// key is how a hit and a finding are matched: resource, field path and
// value (for a composite, its repository prefix, as the oracle reports it).
func (h groundTruth) key() string {
	value := h.Ref
	if h.Class == "f" && len(h.Parts) > 0 {
		value = h.Parts[0].Value
	}
	return fmt.Sprintf("%s/%s %s = %s", h.Kind, h.Name, h.Path, value)
}

func findingKey(f Finding) string {
	return fmt.Sprintf("%s/%s %s = %s", f.Kind, f.Name, f.Path, f.Value)
}

func loadGroundTruth(t *testing.T) map[string][]groundTruth {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, "images.json"))
	if err != nil {
		t.Fatal(err)
	}
	var listed map[string]struct{ Hits []groundTruth }
	if err := json.Unmarshal(data, &listed); err != nil {
		t.Fatalf("images.json: %v", err)
	}
	truth := map[string][]groundTruth{}
	for file, entry := range listed {
		truth[file] = entry.Hits
	}
	return truth
}

// TestOracleMatchesCorpusGroundTruth validates the oracle against the
// corpus: on every render it finds exactly the references images.json
// lists, at the same resource and path (a composite as its repository
// prefix), no fewer and no more; on the (b)/(c) renders, whose images the
// chart already sent to the internal registry, exactly those still public
// are leaks.
func TestOracleMatchesCorpusGroundTruth(t *testing.T) {
	truth := loadGroundTruth(t)
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, file := range files {
		base := filepath.Base(file)
		want, ok := truth[base]
		if !ok {
			continue // airgap.yaml, the corpus config
		}
		checked++
		t.Run(strings.TrimSuffix(base, ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			found, err := Find(data, internalRegistry)
			if err != nil {
				t.Fatal(err)
			}
			var wantKeys, gotKeys, wantLeaks, gotLeaks []string
			for _, h := range want {
				wantKeys = append(wantKeys, h.key())
				if !strings.HasPrefix(h.Ref, internalRegistry+"/") {
					wantLeaks = append(wantLeaks, h.key())
				}
			}
			for _, f := range found {
				gotKeys = append(gotKeys, findingKey(f))
				if f.Public {
					gotLeaks = append(gotLeaks, findingKey(f))
				}
			}
			sameMultiset(t, "references", wantKeys, gotKeys)
			sameMultiset(t, "public references", wantLeaks, gotLeaks)
		})
	}
	if checked < 24 {
		t.Fatalf("checked %d renders, want all 24 of the corpus", checked)
	}
}

// sameMultiset reports what one list has more of than the other.
func sameMultiset(t *testing.T, what string, want, got []string) {
	t.Helper()
	count := map[string]int{}
	for _, k := range want {
		count[k]++
	}
	for _, k := range got {
		count[k]--
	}
	var missing, extra []string
	for k, n := range count {
		for ; n > 0; n-- {
			missing = append(missing, k)
		}
		for ; n < 0; n++ {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("%s the ground truth lists and the oracle missed:\n  %s", what, strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("%s the oracle found that the ground truth does not list:\n  %s", what, strings.Join(extra, "\n  "))
	}
}
