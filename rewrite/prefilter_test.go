package rewrite

import (
	"bytes"
	"errors"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
)

// TestPrefilter: a document is skipped only when it holds no trigger at all;
// text embedded in block scalars is searched for images like any value.
func TestPrefilter(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		parse bool
	}{
		{"no trigger", "kind: Service\nspec:\n  ports: [80]\n", false},
		{"no trigger in a ConfigMap", "kind: ConfigMap\ndata:\n  greeting: hello\n", false},
		{"image in a ConfigMap block scalar", "kind: ConfigMap\ndata:\n  pod.yaml: |\n    containers:\n    - image: nginx\n", true},
		{"image in a folded scalar in a list", "kind: ConfigMap\ndata:\n  - >-\n    image: nginx\n", true},
		{"explicit registry in prose", "kind: ConfigMap\ndata:\n  a: pull quay.io/x:1\n", true},
		{"upper-case variable", "kind: X\nenv:\n  SIDECAR_IMAGE: nginx\n", true},
		{"composite repository", "kind: X\ndata:\n  trivy.repository: mirror.gcr.io/aquasec/trivy\n", true},
		{"Secret data", "kind: Secret\ndata:\n  a: cXVheS5pby94OjE=\n", true},
		{"block scalar ends, then a real key", "kind: X\ndata:\n  a: |\n    text\nspec:\n  containers: []\n", true},
		{"real containers key", "kind: Pod\nspec:\n  containers:\n  - image: nginx\n", true},
		{"trigger in a quoted one-line JSON value", "kind: ConfigMap\ndata:\n  c.json: '{\"image\": \"nginx\"}'\n", true},
		{"block indicator with a comment", "kind: ConfigMap\ndata:\n  a: | # note\n    image: x\n", true},
		{"explicit indentation indicator", "kind: ConfigMap\ndata:\n  a: |2\n    image: x\n", true},
		{"multi-line double-quoted scalar", "kind: ConfigMap\ndata:\n  a: \"x\n  b: |\n    image: y\"\n", true},
		{"multi-line flow mapping", "kind: X\nspec: {a: 1,\n  containers: [{image: nginx}]}\n", true},
		{"escaped key", "kind: Pod\nspec:\n  \"\\x63ontainers\": []\n", true},
		{"tab indentation", "kind: X\ndata:\n  a: |\n\timage: x\n", true},
		{"less-indented line inside a block", "kind: X\ndata:\n  a: |\n      text\n    image: x\n", true},
		{"quoted key before a block", "kind: X\ndata:\n  \"a\": |\n    image: x\n", true},
		{"document-level block scalar", "--- |\n  image: x\n", true},
	}
	p := &processor{triggers: triggers(nil)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.mayHoldImages([]byte(tt.doc)); got != tt.parse {
				t.Fatalf("mayHoldImages = %v, want %v for:\n%s", got, tt.parse, tt.doc)
			}
		})
	}
}

// FuzzPrefilter checks that skipping documents never changes what a run
// produces: whenever the full parse succeeds, the fast path succeeds with
// the same bytes. (The fast path may accept a malformed document that holds
// no image reference; it copies such documents without judging them.)
func FuzzPrefilter(f *testing.F) {
	seeds := []string{
		"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: |\n    containers:\n    - image: nginx\n---\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: nginx\n",
		"kind: Pod\nspec:\n  containers:\n  - image: \"quay.io/a/b:1\"\n    args: [\"--x-image=quay.io/c/d:2\"]\n",
		"kind: List\nitems:\n- kind: Pod\n  spec:\n    containers:\n    - image: busybox\n",
		"kind: X\ndata:\n  s: >-\n    image: a\n  t: |+\n    containers:\n\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	for _, s := range hiddenByLineBreaks {
		f.Add([]byte(s))
	}
	cfg := &config.Config{Mirror: "registry.internal.example.com/m", PullSecrets: []string{"regcred"}}
	mp, err := cfg.Compile()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		run := func(parseAll bool) ([]byte, error) {
			var out bytes.Buffer
			_, err := Run(bytes.NewReader(input), &out, Options{Mapper: mp, SkipImageless: !parseAll, MaxDocumentSize: 1 << 20})
			return out.Bytes(), err
		}
		full, fullErr := run(true)
		fast, fastErr := run(false)
		if fullErr != nil {
			var input *InputError
			if fastErr != nil && !errors.As(fastErr, &input) && errors.As(fullErr, &input) {
				t.Fatalf("fast path failed differently: %v (full parse: %v)", fastErr, fullErr)
			}
			return
		}
		if fastErr != nil {
			t.Fatalf("fast path failed where the full parse succeeded: %v", fastErr)
		}
		if !bytes.Equal(fast, full) {
			t.Fatalf("outputs differ:\nfast:\n%s\nfull:\n%s", fast, full)
		}
	})
}
