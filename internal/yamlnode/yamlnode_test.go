package yamlnode

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func parse(t testing.TB, text string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("parsing %q: %v", text, err)
	}
	return doc.Content[0]
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name, doc string
		path      []string
		want      string
	}{
		{"own key", "a: {b: x}", []string{"a", "b"}, "x"},
		{"missing", "a: {b: x}", []string{"a", "c"}, ""},
		{"through a scalar", "a: x", []string{"a", "b"}, ""},
		{"alias", "base: &b {k: v}\nuse: *b", []string{"use", "k"}, "v"},
		{"merge key", "base: &b {k: v}\nuse: {<<: *b, o: w}", []string{"use", "k"}, "v"},
		{"own key after the merge wins", "base: &b {k: v}\nuse: {<<: *b, k: own}", []string{"use", "k"}, "own"},
		{"merge after the own key wins, as in Kubernetes", "base: &b {k: v}\nuse: {k: own, <<: *b}", []string{"use", "k"}, "v"},
		{"merge list, first wins", "a: &a {k: 1}\nb: &b {k: 2, j: 3}\nuse: {<<: [*a, *b]}", []string{"use", "k"}, "1"},
		{"merge list, later holds it", "a: &a {k: 1}\nb: &b {k: 2, j: 3}\nuse: {<<: [*a, *b]}", []string{"use", "j"}, "3"},
		{"nested merge", "a: &a {k: deep}\nb: &b {<<: *a}\nuse: {<<: *b}", []string{"use", "k"}, "deep"},
		{"quoted << is a plain key", "use: {\"<<\": {k: v}}", []string{"use", "k"}, ""},
		{"not a scalar", "a: {b: [1]}", []string{"a", "b"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ScalarAt(parse(t, tt.doc), tt.path...); got != tt.want {
				t.Errorf("ScalarAt(%v) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestLookupBoundsAHandBuiltCycle(t *testing.T) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!merge", Value: "<<"}, m}
	if v := Lookup(m, "k"); v != nil {
		t.Errorf("Lookup in a merge cycle = %v, want nil", v)
	}
	a := &yaml.Node{Kind: yaml.AliasNode}
	a.Alias = a
	if Resolve(a) == nil {
		t.Error("Resolve of an alias cycle returned nil; want it to stop at the bound")
	}
}

func TestIdentify(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}", "Pod ns/p"},
		{"kind: Pod\nmetadata: {name: p}", "Pod p"},
		{"metadata: {}", "(no kind) (unnamed)"},
		{"meta: &m {name: n}\nkind: ConfigMap\nmetadata: {<<: *m}", "ConfigMap n"},
	}
	for _, tt := range tests {
		if got := Identify(parse(t, tt.doc)).String(); got != tt.want {
			t.Errorf("Identify(%q) = %q, want %q", tt.doc, got, tt.want)
		}
	}
}

func TestListItems(t *testing.T) {
	items, ok := ListItems(parse(t, "kind: List\nitems:\n- &p {kind: Pod}\n- *p\n- {kind: Service}"))
	if !ok || len(items) != 3 {
		t.Fatalf("ListItems = %d items, %v; want 3, true", len(items), ok)
	}
	if got := ScalarAt(items[1], "kind"); got != "Pod" {
		t.Errorf("the aliased item's kind = %q, want Pod (resolved)", got)
	}
	for _, doc := range []string{"kind: Pod", "kind: List\nitems: {}", "kind: List"} {
		if _, ok := ListItems(parse(t, doc)); ok {
			t.Errorf("ListItems(%q) = true, want false", doc)
		}
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		list string
		want string // flag|value|offset per item, "flag!" for a bare flag
	}{
		{`[--image=q.io/a:1, --img, q.io/b:2, q.io/c:3]`, "--image|q.io/a:1|8 --img! --img|q.io/b:2|0 |q.io/c:3|0"},
		{`[--a, --b, v]`, "--a! --b! --b|v|0"},
		{`[--a, {x: 1}, v]`, "--a! <node> |v|0"},
		{`[--port, 8080, x]`, "--port! --port|8080|0 |x|0"},
		{`[-f=x]`, "-f|x|3"},
	}
	for _, tt := range tests {
		var got []string
		for _, a := range Args(parse(t, "l: "+tt.list).Content[1]) {
			switch {
			case a.Node.Kind != yaml.ScalarNode:
				got = append(got, "<node>")
			case a.IsFlag:
				got = append(got, a.Flag+"!")
			default:
				got = append(got, fmt.Sprintf("%s|%s|%d", a.Flag, a.Value, a.Offset))
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("Args(%s) = %q, want %q", tt.list, strings.Join(got, " "), tt.want)
		}
	}
	if Args(parse(t, "l: x").Content[1]) != nil {
		t.Error("Args of a scalar: want nil")
	}
}

func FuzzArgs(f *testing.F) {
	f.Add("[--image=q.io/a:1, --img, q.io/b:2, *x]")
	f.Add("[-=, --, '', =a]")
	f.Fuzz(func(t *testing.T, list string) {
		var doc yaml.Node
		if yaml.Unmarshal([]byte("l: "+list), &doc) != nil || len(doc.Content) == 0 {
			return
		}
		for _, a := range Args(Lookup(doc.Content[0], "l")) {
			if a.Node == nil || a.Node.Kind != yaml.ScalarNode {
				continue
			}
			if !a.IsFlag && a.Node.Value[a.Offset:] != a.Value {
				t.Fatalf("item %q: value %q is not at offset %d", a.Node.Value, a.Value, a.Offset)
			}
		}
	})
}

func TestIsNull(t *testing.T) {
	for src, want := range map[string]bool{
		"v:\n": true, "v: ~\n": true, "v: null\n": true, "v: Null\n": true, "v: !!null x\n": true,
		`v: ""` + "\n": false, `v: "null"` + "\n": false, "v: 0\n": false, "v: []\n": false, "v: {}\n": false,
	} {
		if got := IsNull(Lookup(parse(t, src), "v")); got != want {
			t.Errorf("IsNull(%q) = %v, want %v", src, got, want)
		}
	}
	if !IsNull(nil) {
		t.Error("IsNull(nil) = false, want true: no node is no value")
	}
}

// Names come from the chart: one holding a line break or an escape sequence
// is printed quoted, so it cannot forge a line of output or drive the
// terminal (issue 23).
func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"web", "web"},
		{"a name with spaces", "a name with spaces"},
		{"café-ünïcode", "café-ünïcode"},
		{"x\nERROR forged line", `"x\nERROR forged line"`},
		{"\x1b[31mred", `"\x1b[31mred"`},
		{"a\u202eb", `"a\u202eb"`},
		{"tab\there", `"tab\there"`},
	} {
		if got := Printable(tc.in); got != tc.want {
			t.Errorf("Printable(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	r := Resource{Kind: "Pod", Namespace: "ns\n", Name: "p\x1b"}
	if got, want := r.String(), `Pod "ns\n"/"p\x1b"`; got != want {
		t.Errorf("Resource.String() = %s, want %s", got, want)
	}
	if got, want := Where("c\r", "spec.containers[0].image"), `container "c\r" (spec.containers[0].image)`; got != want {
		t.Errorf("Where = %s, want %s", got, want)
	}
}
