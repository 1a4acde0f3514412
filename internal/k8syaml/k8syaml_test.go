package k8syaml

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

func parse(t *testing.T, s string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return &n
}

// lookup follows plain keys through a normalised tree (no merges left).
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	n = resolve(n)
	if n.Kind == yaml.DocumentNode {
		n = resolve(n.Content[0])
	}
	for _, key := range keys {
		var next *yaml.Node
		for i := 0; n != nil && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = resolve(n.Content[i+1])
			}
		}
		if n = next; n == nil {
			return nil
		}
	}
	return n
}

func TestNormalizeReadsAsKubernetes(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		path      []string
		want      string
		tag       string
	}{
		{"merge after explicit keys overrides them", "kind: CustomResourceDefinition\n<<: {kind: Pod}\n", []string{"kind"}, "Pod", "!!str"},
		{"explicit key after the merge wins", "<<: {kind: Pod}\nkind: Secret\n", []string{"kind"}, "Secret", "!!str"},
		{"merge in a container overrides the image", "c:\n  image: m.example.com/ok:1\n  <<: {image: busybox}\n", []string{"c", "image"}, "busybox", "!!str"},
		{"merge list: the first mapping wins", "a: &a {k: 1}\nb: &b {k: 2}\nu: {<<: [*a, *b]}\n", []string{"u", "k"}, "1", "!!int"},
		{"nested merges", "a: &a {k: deep}\nb: &b {<<: *a}\nu: {<<: *b}\n", []string{"u", "k"}, "deep", "!!str"},
		{"quoted << is a plain key", "u: {\"<<\": {k: v}}\n", []string{"u", "<<", "k"}, "v", "!!str"},
		{"unknown tag reads as a string", "a: !foo \"--x-image=quay.io/a/b:1\"\n", []string{"a"}, "--x-image=quay.io/a/b:1", "!!str"},
		{"unknown tag on a plain scalar", "a: !app 12\n", []string{"a"}, "12", "!!str"},
		{"binary keeps its tag", "a: !!binary cXVheS5pby94L3k6MQ==\n", []string{"a"}, "cXVheS5pby94L3k6MQ==", "!!binary"},
		{"an alias key is its scalar", "a: &k kind\n*k : Pod\n", []string{"kind"}, "Pod", "!!str"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := parse(t, tc.doc)
			if _, err := Normalize(root, 1000); err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			got := lookup(root, tc.path...)
			if got == nil || got.Value != tc.want || got.Tag != tc.tag {
				t.Fatalf("at %v got %+v, want %q (%s)", tc.path, got, tc.want, tc.tag)
			}
			if err := Check([]byte(tc.doc), root); err != nil {
				t.Fatalf("Check after Normalize: %v", err)
			}
		})
	}
}

func TestNormalizeRefuses(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"binary key", "!!binary a2luZA==: Pod\n", "!!binary key"},
		{"merge of a scalar", "a: {<<: x}\n", "merge key must name a mapping"},
		{"merge of a list holding a scalar", "a: {<<: [{k: v}, x]}\n", "merge key must name a mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Normalize(parse(t, tc.doc), 1000)
			var kerr *Error
			if !errors.As(err, &kerr) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Normalize(%q) = %v, want an *Error containing %q", tc.doc, err, tc.want)
			}
		})
	}
}

func TestNormalizeBoundsMergeGrowth(t *testing.T) {
	var b strings.Builder
	b.WriteString("m0: &m0 {a: 1, b: 2, c: 3, d: 4}\n")
	for i := 1; i < 200; i++ {
		b.WriteString("m" + itoa(i) + ": &m" + itoa(i) + " {<<: *m" + itoa(i-1) + ", k" + itoa(i) + ": v}\n")
	}
	_, err := Normalize(parse(t, b.String()), 1000)
	if err == nil || !strings.Contains(err.Error(), "too many keys") {
		t.Fatalf("a quadratic merge chain: got %v, want the budget refusal", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestReading(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want Reading
	}{
		{"a: b\n", Reading{}},
		{"a: &x b\nc: *x\n", Reading{Anchors: true}},
		{"a: !foo b\n", Reading{Tags: true}},
		{"a: {<<: {b: c}}\n", Reading{Merges: true}},
		{"a: .nan\n", Reading{Special: true}},
	} {
		got, err := Normalize(parse(t, tc.doc), 1000)
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%q) = %+v, %v; want %+v", tc.doc, got, err, tc.want)
		}
	}
}

func TestCheckRefusesWhatKubernetesReadsDifferently(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"kubernetes cannot read it", "a: !!int abc\n", "Kubernetes cannot read"},
		{"invalid binary", "a: !!binary '***'\n", "Kubernetes cannot read"},
		{"an int key v2 formats otherwise", "a: {1.0: x}\n", "does not read the key"},
		{"infinity has no JSON number", "a: -.inf\n", "Kubernetes cannot read"},
		{"null key", "~: x\n", "Kubernetes cannot read"},
		{"collection key", "? [a]\n: x\n", "Kubernetes cannot read"},
		{"a YAML 1.1 boolean read as a string", "a: !!str x\nb: &y yes\nc: {k: *y}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := parse(t, tc.doc)
			if _, err := Normalize(root, 1000); err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			err := Check([]byte(tc.doc), root)
			if tc.want == "" && err != nil {
				t.Fatalf("Check(%q) = %v, want nil", tc.doc, err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Check(%q) = %v, want %q", tc.doc, err, tc.want)
			}
		})
	}
}

// FuzzNormalize checks Normalize against the reading it stands for: for a
// document both YAML libraries accept and Normalize does not refuse, Check
// (which decodes with sigs.k8s.io/yaml itself) either agrees or refuses; it
// never panics, and a document Kubernetes cannot read is refused.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"kind: CustomResourceDefinition\n<<: {apiVersion: v1, kind: Pod}\n",
		"c: {image: m/ok:1, <<: {image: busybox}}\n",
		"a: &a {k: 1}\nb: &b {k: 2}\nu: {<<: [*a, *b], j: 3}\n",
		"args: [!foo \"--x-image=quay.io/a/b:1\"]\n",
		"value: !!binary cXVheS5pby94L3k6MQ==\n",
		"!!binary a2luZA==: Pod\n",
		"a: yes\nb: &x on\nc: *x\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var n yaml.Node
		if yaml.Unmarshal([]byte(doc), &n) != nil || len(n.Content) == 0 || strings.Contains(doc, "\n---") || strings.HasPrefix(doc, "---") {
			return
		}
		if _, err := Normalize(&n, 10*len(doc)+1000); err != nil {
			return
		}
		err := Check([]byte(doc), &n)
		if _, kerr := sigsyaml.YAMLToJSON([]byte(doc)); kerr != nil && err == nil {
			t.Fatalf("Kubernetes cannot read %q (%v) but Check accepts it", doc, kerr)
		}
	})
}
