package rewrite

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/leakscan"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"go.yaml.in/yaml/v3"
)

// The semantic comparison behind "nothing but references changed": the
// input and output streams are parsed, walked side by side (aliases and
// merge keys followed), and every scalar that differs must be one whose
// references, as the independent oracle internal/leakscan finds them in the
// input, were replaced by what the mapper makes of them, and nothing else:
// the old text with each reference replaced must equal the new text exactly
// (embedded YAML/JSON, scripts and properties included; Secret data compared
// decoded). The only key that may appear is imagePullSecrets, holding only
// configured pull secrets.

// change is one value the rewrite changed.
type change struct {
	doc       int
	path      string
	from, to  string
	kind      string
	name      string
	namespace string
}

// assertSameExceptImages fails on any difference that is not an image
// rewrite or a pull-secret merge, and returns the image rewrites.
func assertSameExceptImages(t testing.TB, input, output string) []change {
	t.Helper()
	return compareStreams(t, engineOptions(t, testConfig).Mapper, input, output)
}

func compareStreams(t testing.TB, m *mapper.Mapper, input, output string) []change {
	t.Helper()
	changes, diffs, err := diffStreams(m, input, output)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("%d value(s) changed that are not image references:\n  %s", len(diffs), strings.Join(diffs, "\n  "))
	}
	return changes
}

// diffStreams lists the reference rewrites between input and output, and
// every other difference.
func diffStreams(m *mapper.Mapper, input, output string) ([]change, []string, error) {
	in, err := leakscan.Documents([]byte(input))
	if err != nil {
		return nil, nil, fmt.Errorf("input: %w", err)
	}
	out, err := leakscan.Documents([]byte(output))
	if err != nil {
		return nil, nil, fmt.Errorf("output does not parse as YAML: %w\n%s", err, output)
	}
	if len(in) != len(out) {
		return nil, nil, fmt.Errorf("input has %d objects, output %d", len(in), len(out))
	}
	found, err := leakscan.Find([]byte(input))
	if err != nil {
		return nil, nil, fmt.Errorf("scanning the input for references: %w", err)
	}
	c := &comparer{m: m, refs: map[refSite][]leakscan.Finding{}}
	for _, f := range found {
		site := refSite{f.Document, f.Path, f.Key && f.Inner == ""} // a key inside embedded text changes the text
		c.refs[site] = append(c.refs[site], f)
	}
	for i := range in {
		c.doc = i + 1
		c.kind, c.namespace, c.name = leakscan.Identity(in[i])
		c.node("", in[i], out[i])
	}
	sort.Strings(c.diffs)
	return c.changes, c.diffs, nil
}

// refSite is a scalar (or, with key set, a mapping key) the oracle found
// references in.
type refSite struct {
	doc  int
	path string
	key  bool
}

type comparer struct {
	m                     *mapper.Mapper
	refs                  map[refSite][]leakscan.Finding
	doc                   int
	kind, name, namespace string
	changes               []change
	diffs                 []string
}

func (c *comparer) fail(path, format string, args ...any) {
	c.diffs = append(c.diffs, fmt.Sprintf("document %d %s %s: %s", c.doc, c.kind, c.name, path)+": "+fmt.Sprintf(format, args...))
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func (c *comparer) node(path string, a, b *yaml.Node) {
	a, b = resolveAlias(a), resolveAlias(b)
	if a.Kind == yaml.DocumentNode && b.Kind == yaml.DocumentNode && len(a.Content) == 1 && len(b.Content) == 1 {
		c.node(path, a.Content[0], b.Content[0])
		return
	}
	if a.Kind != b.Kind {
		c.fail(path, "%s became %s", nodeKind(a), nodeKind(b))
		return
	}
	switch a.Kind {
	case yaml.MappingNode:
		c.mapping(path, a, b)
	case yaml.SequenceNode:
		if len(a.Content) != len(b.Content) {
			c.fail(path, "sequence of %d became %d", len(a.Content), len(b.Content))
			return
		}
		for i := range a.Content {
			c.node(path+"["+strconv.Itoa(i)+"]", a.Content[i], b.Content[i])
		}
	case yaml.ScalarNode:
		if a.ShortTag() != b.ShortTag() {
			c.fail(path, "%s %q became %s %q", a.ShortTag(), a.Value, b.ShortTag(), b.Value)
			return
		}
		if a.Value != b.Value {
			c.scalar(path, refSite{c.doc, path, false}, a.Value, b.Value)
		}
	}
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		return "scalar " + strconv.Quote(n.Value)
	}
	return fmt.Sprintf("node kind %d", n.Kind)
}

// mapping pairs the keys in order: the rewrite keeps key order, may rewrite
// a key that is a reference, and may add imagePullSecrets.
func (c *comparer) mapping(path string, a, b *yaml.Node) {
	inKeys := map[string]bool{}
	for i := 0; i+1 < len(a.Content); i += 2 {
		inKeys[a.Content[i].Value] = true
	}
	i, j := 0, 0
	for j+1 < len(b.Content) {
		bk, bv := b.Content[j], b.Content[j+1]
		ak := ""
		if i+1 < len(a.Content) {
			ak = a.Content[i].Value
		}
		keySite := refSite{c.doc, leakscan.JoinPath(path, ak), true}
		switch {
		case i+1 < len(a.Content) && ak == bk.Value:
			c.pair(path, ak, a.Content[i+1], bv)
			i, j = i+2, j+2
		case bk.Value == "imagePullSecrets" && !inKeys[bk.Value]:
			c.pullSecrets(leakscan.JoinPath(path, bk.Value), nil, bv)
			j += 2
		case i+1 < len(a.Content) && len(c.refs[keySite]) > 0:
			c.scalar(leakscan.JoinPath(path, ak)+" (key)", keySite, ak, bk.Value) // a key that is a reference
			c.pair(path, ak, a.Content[i+1], bv)
			i, j = i+2, j+2
		case i+1 >= len(a.Content) || !inKeys[bk.Value]:
			c.fail(leakscan.JoinPath(path, bk.Value), "key added")
			j += 2
		default:
			c.fail(leakscan.JoinPath(path, ak), "key removed")
			i += 2
		}
	}
	for ; i+1 < len(a.Content); i += 2 {
		c.fail(leakscan.JoinPath(path, a.Content[i].Value), "key removed")
	}
}

func (c *comparer) pair(path, key string, a, b *yaml.Node) {
	switch key {
	case "<<":
		c.node(path, a, b) // merged keys sit in the mapping itself
	case "imagePullSecrets":
		c.pullSecrets(leakscan.JoinPath(path, key), a, b)
	default:
		c.node(leakscan.JoinPath(path, key), a, b)
	}
}

// scalar accepts old -> new only when new is old with each of the oracle's
// references at that site replaced by its mapping.
func (c *comparer) scalar(path string, site refSite, old, new string) {
	refs := c.refs[site]
	if len(refs) == 0 {
		c.fail(path, "%q became %q, and the input holds no reference there", old, new)
		return
	}
	if c.kind == "Secret" && (strings.HasPrefix(site.path, "data.") || strings.HasPrefix(site.path, "data['")) && !site.key {
		oldText, err1 := base64.StdEncoding.DecodeString(old)
		newText, err2 := base64.StdEncoding.DecodeString(new)
		if err1 != nil || err2 != nil {
			c.fail(path, "Secret data %q became %q, which is not base64 (%v)", old, new, err2)
			return
		}
		old, new = string(oldText), string(newText)
	}
	want := c.replaceRefs(old, refs)
	if want != new {
		var values []string
		for _, f := range refs {
			values = append(values, f.Value)
		}
		c.fail(path, "%q became %q, want %q (only the references %q replaced)", old, new, want, values)
		return
	}
	c.changes = append(c.changes, change{doc: c.doc, path: path, from: old, to: new, kind: c.kind, name: c.name, namespace: c.namespace})
}

// replaceRefs replaces every occurrence of each reference in text that
// stands alone (no reference character right before or after it) by its
// mapping; references the mapper leaves where they are stay.
func (c *comparer) replaceRefs(text string, refs []leakscan.Finding) string {
	dest := map[string]string{}
	var order []string
	for _, f := range refs {
		mapped, ok := c.mapFinding(f)
		if !ok {
			continue
		}
		if _, seen := dest[f.Value]; !seen {
			order = append(order, f.Value)
		}
		dest[f.Value] = mapped
	}
	sort.Slice(order, func(i, j int) bool { return len(order[i]) > len(order[j]) }) // longest first
	var b strings.Builder
	for i := 0; i < len(text); {
		replaced := false
		for _, r := range order {
			end := i + len(r)
			if strings.HasPrefix(text[i:], r) && (i == 0 || !isRefChar(text[i-1])) && endsToken(text, end) {
				b.WriteString(dest[r])
				i, replaced = end, true
				break
			}
		}
		if !replaced {
			b.WriteByte(text[i])
			i++
		}
	}
	return b.String()
}

// mapFinding is what the mapper makes of a finding: a reference or a
// repository maps as it is; a registry or hub prefix (docker.io/istio) maps
// as the prefix of the repositories under it, so Docker Hub's implicit
// library/ never enters it.
func (c *comparer) mapFinding(f leakscan.Finding) (string, bool) {
	const probe = "/probe"
	value := f.Value
	if f.Registry {
		value += probe
	}
	mapping, err := c.m.Map(value)
	if err != nil || mapping.Status != mapper.Rewritten {
		return "", false
	}
	if f.Registry {
		return strings.TrimSuffix(mapping.Dest, probe), true
	}
	return mapping.Dest, true
}

// endsToken says whether a reference ending at end stands alone: nothing
// follows, or no reference character, or a '.' or ':' that ends a sentence
// or a key ("quay.io/x:1: helper").
func endsToken(text string, end int) bool {
	switch {
	case end == len(text) || !isRefChar(text[end]):
		return true
	case text[end] == '.' || text[end] == ':':
		return end+1 == len(text) || !isRefChar(text[end+1])
	}
	return false
}

func isRefChar(ch byte) bool {
	return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("._/:@+-", ch) >= 0
}

// pullSecrets allows the configured names to be appended to a list (or to
// replace an empty one), nothing else.
func (c *comparer) pullSecrets(path string, a, b *yaml.Node) {
	var before []*yaml.Node
	if a != nil {
		a = resolveAlias(a)
		if a.Kind != yaml.SequenceNode && !(a.Kind == yaml.ScalarNode && a.ShortTag() == "!!null") {
			c.node(path, a, b) // not a list: must stay as it is
			return
		}
		before = a.Content
	}
	b = resolveAlias(b)
	if b.Kind != yaml.SequenceNode {
		c.fail(path, "imagePullSecrets became %s", nodeKind(b))
		return
	}
	if len(b.Content) < len(before) {
		c.fail(path, "imagePullSecrets lost entries: %d -> %d", len(before), len(b.Content))
		return
	}
	for i := range before {
		c.node(path+"["+strconv.Itoa(i)+"]", before[i], b.Content[i])
	}
	allowed := map[string]bool{}
	for _, s := range c.m.PullSecrets() {
		allowed[s] = true
	}
	for _, item := range b.Content[len(before):] {
		item = resolveAlias(item)
		name := ""
		if item.Kind == yaml.MappingNode && len(item.Content) == 2 && item.Content[0].Value == "name" {
			name = item.Content[1].Value
		}
		if !allowed[name] {
			c.fail(path, "added an entry that is not a configured pull secret (%s)", nodeKind(item))
		}
		delete(allowed, name)
	}
}

// identity reads kind, name and namespace of a decoded object.
func identity(v any) (kind, name, namespace string) {
	obj, _ := v.(map[string]any)
	kind, _ = obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ = meta["name"].(string)
	namespace, _ = meta["namespace"].(string)
	return
}

// lookupPath follows "spec.template.spec.containers[0].args[3]" in a
// decoded object.
func lookupPath(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[key]; !ok {
				return nil, false
			}
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(idx)
			list, ok := v.([]any)
			if err != nil || !ok || i >= len(list) {
				return nil, false
			}
			v = list[i]
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return v, true
}

// TestDiffStreams holds the comparison itself to account: the rewrites it
// must accept, and the changes it must refuse.
func TestDiffStreams(t *testing.T) {
	m := engineOptions(t, testConfig).Mapper
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	const script = "exec injector \\\n  -consul-image=\"hashicorp/consul:2.0.3\" \\\n  -log-level=info\n"
	tests := []struct {
		name, input, output string
		diffs               int
	}{
		{
			name:   "pod image, flag and pull secret",
			input:  "kind: Pod\nspec:\n  containers:\n    - image: nginx:1\n      args: [--x-image=quay.io/x/y:1]\n",
			output: "kind: Pod\nspec:\n  imagePullSecrets:\n    - name: my-registry-secret\n  containers:\n    - image: " + mirror + "/library/nginx:1\n      args: [--x-image=" + mirror + "/x/y:1]\n",
		},
		{
			name:   "embedded JSON, script and base64 Secret data",
			input:  "kind: Secret\ndata:\n  a: " + b64("image=quay.io/x/y:1\nreplicas=2\n") + "\nstringData:\n  values.json: '{\"imageK8S\": \"hashicorp/k8s:1\", \"other\": \"hashicorp/k8s:1x\"}'\n  run.sh: |\n    " + strings.ReplaceAll(script, "\n", "\n    ") + "\n",
			output: "kind: Secret\ndata:\n  a: " + b64("image="+mirror+"/x/y:1\nreplicas=2\n") + "\nstringData:\n  values.json: '{\"imageK8S\": \"" + mirror + "/hashicorp/k8s:1\", \"other\": \"hashicorp/k8s:1x\"}'\n  run.sh: |\n    " + strings.ReplaceAll(strings.Replace(script, "hashicorp/", mirror+"/hashicorp/", 1), "\n", "\n    ") + "\n",
		},
		{
			name:   "a key that is a reference",
			input:  "kind: ConfigMap\ndata:\n  t.yaml: |\n    quay.io/x/y:1: helper\n",
			output: "kind: ConfigMap\ndata:\n  t.yaml: |\n    " + mirror + "/x/y:1: helper\n",
		},
		{
			name:   "a value that holds no reference",
			input:  "kind: ConfigMap\ndata:\n  replicas: \"2\"\n",
			output: "kind: ConfigMap\ndata:\n  replicas: \"3\"\n",
			diffs:  1,
		},
		{
			name:   "more than the reference changed in embedded text",
			input:  "kind: ConfigMap\ndata:\n  x: |\n    image: vendor/x:1\n    replicas: 2\n",
			output: "kind: ConfigMap\ndata:\n  x: |\n    image: " + mirror + "/vendor/x:1\n    replicas: 3\n",
			diffs:  1,
		},
		{
			name:   "a reference sent somewhere else than its mapping",
			input:  "kind: Pod\nspec:\n  containers:\n    - image: nginx:1\n",
			output: "kind: Pod\nspec:\n  containers:\n    - image: registry.internal.example.com/other/nginx:1\n",
			diffs:  1,
		},
		{
			name:   "a placeholder rewritten",
			input:  "kind: Pod\nspec:\n  containers:\n    - image: auto\n",
			output: "kind: Pod\nspec:\n  containers:\n    - image: " + mirror + "/library/auto\n",
			diffs:  1,
		},
		{
			name:   "a key renamed, an unknown pull secret",
			input:  "kind: Pod\nmetadata: {name: p, labels: {a: b}}\nspec:\n  containers: []\n",
			output: "kind: Pod\nmetadata: {name: p, annotations: {a: b}}\nspec:\n  imagePullSecrets: [{name: other}]\n  containers: []\n",
			diffs:  3,
		},
		{
			name:   "a key added, a key removed",
			input:  "kind: Pod\nmetadata: {name: p, labels: {a: b}}\n",
			output: "kind: Pod\nmetadata: {labels: {a: b}, extra: x}\n",
			diffs:  2,
		},
		{
			name:   "Secret data no longer base64",
			input:  "kind: Secret\ndata:\n  a: " + b64("image=quay.io/x/y:1") + "\n",
			output: "kind: Secret\ndata:\n  a: image=" + mirror + "/x/y:1\n",
			diffs:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diffs, err := diffStreams(m, tt.input, tt.output)
			if err != nil {
				t.Fatal(err)
			}
			if len(diffs) != tt.diffs {
				t.Errorf("%d difference(s), want %d:\n  %s", len(diffs), tt.diffs, strings.Join(diffs, "\n  "))
			}
		})
	}
}
