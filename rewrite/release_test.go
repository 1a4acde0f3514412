package rewrite

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
)

func TestReleaseGatesTheOutput(t *testing.T) {
	mp, err := (&config.Config{Mirror: "registry.internal.example.com/m"}).Compile()
	if err != nil {
		t.Fatal(err)
	}
	refuse := errors.New("refused")
	tests := []struct {
		name, input string
		skip        bool
		objects     int
		release     error
	}{
		{"objects counted and released", "kind: A\n---\n# only a comment\n---\nkind: B\n", false, 2, nil},
		{"unparsed documents counted too", "kind: A\n---\n# only a comment\n---\nkind: B\n", true, 2, nil},
		{"a refusal keeps the output unwritten", "kind: A\n", false, 1, refuse},
		{"comments only", "---\n# nothing\n", false, 0, nil},
		// A list with no item holds no object, whatever its kind; one with
		// an item does (issue 23: the Argo CD empty-render guard).
		{"an empty List", "apiVersion: v1\nkind: List\nitems: []\n", false, 0, nil},
		{"an empty List, unparsed path", "apiVersion: v1\nkind: List\nitems: []\n", true, 0, nil},
		{"an empty ConfigMapList", "apiVersion: v1\nkind: ConfigMapList\nitems:\n", false, 1, nil},
		{"an empty XList", "kind: SecretList\nmetadata: {}\nitems: []\n---\nkind: PodList\nitems: []\n", true, 0, nil},
		{"a List with an item", "kind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n", true, 1, nil},
		{"an empty List and an object", "kind: List\nitems: []\n---\nkind: A\n", false, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen *Report
			var out bytes.Buffer
			_, err := Run(strings.NewReader(tt.input), &out, Options{
				Mapper: mp, SkipImageless: tt.skip,
				Observers: []Observer{{Release: func(r *Report) error { seen = r; return tt.release }}},
			})
			if !errors.Is(err, tt.release) {
				t.Fatalf("Run error = %v, want %v", err, tt.release)
			}
			if seen == nil || seen.Objects != tt.objects {
				t.Fatalf("Release saw %+v, want %d objects", seen, tt.objects)
			}
			if wrote := out.Len() > 0; wrote != (tt.release == nil) {
				t.Fatalf("wrote %d bytes with release error %v", out.Len(), tt.release)
			}
		})
	}
}
