package rewrite

import (
	"strings"
	"testing"
)

// TestBadInputWithoutImages: the same faults in documents with no image or
// container key still fail the run: every document is parsed by default
// (only Options.SkipImageless copies such documents unparsed).
func TestBadInputWithoutImages(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"malformed YAML", "apiVersion: v1\nkind: ConfigMap\ndata: {a: [b}\n", []string{"document 2 (line 7)", "invalid YAML"}},
		{"duplicate key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: 1}\ndata: {x: 2}\n", []string{"document 2 (line 7)", "ConfigMap a", `duplicate key "data"`}},
		{"alias bomb", billionLaughs, []string{"document 2 (line 7)", "ConfigMap lol", "alias bomb"}},
		{"scalar document", "just a scalar\n", []string{"document 2 (line 7)", "expected a Kubernetes object", `the scalar "just a scalar"`}},
		{"sequence document", "- a\n- b\n", []string{"document 2 (line 7)", "expected a Kubernetes object", "a sequence"}},
	}
	opts := engineOptions(t, testConfig)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runOpts(t, opts, first+"---\n"+tt.doc)
			if err == nil {
				t.Fatalf("accepted bad input; output:\n%s", out)
			}
			inputError(t, err, tt.want...)
		})
	}
}

// TestDocumentLimitMessage: a limit under 1 MiB is stated in bytes, not as
// "the 0 MiB document limit".
func TestDocumentLimitMessage(t *testing.T) {
	opts := engineOptions(t, testConfig)
	opts.MaxDocumentSize = 1000
	_, _, err := runOpts(t, opts, "data: "+strings.Repeat("a", 2000)+"\n")
	if err == nil || strings.Contains(err.Error(), " 0 MiB") {
		t.Fatalf("error %v misstates a 1000-byte limit", err)
	}
}
