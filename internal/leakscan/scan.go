package leakscan

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Finding is one image reference in a stream.
type Finding struct {
	Document  int // 1-based, counting the stream's non-empty documents
	Line      int // line of the scalar (or key) in the stream
	Kind      string
	Namespace string
	Name      string
	// Path is the field path of the scalar in its document, keys joined by
	// dots, indexes in brackets, keys holding '.', '/' or ' ' as ['key']:
	// spec.template.spec.containers[0].env[3].value, data['values.json'].
	Path string
	// Inner says where inside the value the reference is: the path inside
	// embedded YAML/JSON, the line and the name it sits under in text, or
	// "(base64)" for Secret data. Empty when the reference is the whole value.
	Inner string
	// Value is the reference as written; for a composite, the
	// repository/registry prefix.
	Value string
	// Composite: Value is a repository joined at run time with a tag kept
	// elsewhere (trivy.repository + trivy.tag), or, with Registry, a
	// registry or hub that repositories are appended to (hub: docker.io/istio).
	Composite bool
	Registry  bool
	Key       bool // the reference is a mapping key, not a value
	Public    bool // under none of the internal prefixes Find was given
}

// Resource names the finding's object as "Kind namespace/name".
func (f Finding) Resource() string {
	if f.Namespace == "" {
		return f.Kind + " " + f.Name
	}
	return f.Kind + " " + f.Namespace + "/" + f.Name
}

func (f Finding) String() string {
	at := f.Path
	if f.Inner != "" {
		at += " (" + f.Inner + ")"
	}
	what := "reference"
	switch {
	case f.Registry:
		what = "registry prefix"
	case f.Composite:
		what = "composite repository"
	}
	return fmt.Sprintf("document %d (line %d) %s %s: %s %q", f.Document, f.Line, f.Resource(), at, what, f.Value)
}

// Leaks lists the public image references in a stream: every finding that
// is under none of the internal prefixes (registry hosts such as
// "registry.internal.example.com", or host/path prefixes).
func Leaks(stream []byte, internal ...string) ([]Finding, error) {
	all, err := Find(stream, internal...)
	var public []Finding
	for _, f := range all {
		if f.Public {
			public = append(public, f)
		}
	}
	return public, err
}

// Find lists every image reference in a stream, internal or not.
func Find(stream []byte, internal ...string) ([]Finding, error) {
	docs, err := Documents(stream)
	if err != nil {
		return nil, err
	}
	var all []Finding
	for i, doc := range docs {
		w := &walker{doc: i + 1, internal: internal, budget: maxVisits}
		w.kind, w.namespace, w.name = Identity(doc)
		if w.kind == "CustomResourceDefinition" {
			w.crdDefaults(doc, place{}, "", false) // only what the schema writes into resources
		} else {
			w.walk(doc, place{})
		}
		if w.budget < 0 {
			return nil, fmt.Errorf("scanning document %d (%s %s): more than %d nodes or %d levels, aliases expanded", i+1, w.kind, w.name, maxVisits, maxDepth)
		}
		all = append(all, w.findings...)
	}
	return all, nil
}

// Documents parses a stream into its non-empty documents, numbered as Find
// numbers them.
func Documents(stream []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(stream))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parsing document %d: %w", len(docs)+1, err)
		}
		if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null") {
			continue
		}
		if readsDifferently(&doc) {
			k8s, err := asKubernetesReadsIt(&doc)
			if err != nil {
				return nil, fmt.Errorf("document %d: %w", len(docs)+1, err)
			}
			doc = *k8s
		}
		docs = append(docs, &doc)
	}
}

func hasKey(keys []string, key string) bool {
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
}

// Identity reads kind, metadata.namespace and metadata.name of a document.
func Identity(doc *yaml.Node) (kind, namespace, name string) {
	root := resolve(doc)
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = resolve(root.Content[0])
	}
	kind = scalarAt(root, "kind")
	meta := valueOf(root, "metadata")
	return kind, scalarAt(meta, "namespace"), scalarAt(meta, "name")
}

// maxVisits bounds the nodes walked in one document, aliases expanded.
const maxVisits = 2_000_000

// maxDepth bounds how deep a walk goes (a recursive alias never ends).
const maxDepth = 1000

// maxNesting bounds text embedded in text embedded in text.
const maxNesting = 8

type walker struct {
	doc                   int
	kind, namespace, name string
	internal              []string
	findings              []Finding
	budget                int
	depth                 int
	nesting               int
}

// place is where a node sits and the names around it.
type place struct {
	path     string   // field path in the document
	inner    string   // path inside embedded text
	embedded bool     // inside embedded text: keys extend inner, not path
	line     int      // line of the outermost scalar
	key      string   // the name governing the value: its key, env name or flag
	siblings []string // the other keys of the mapping holding the value
	base64   bool     // Secret data: decode before scanning
}

func (p place) child(key string) place {
	c := p
	c.base64 = false
	if p.embedded {
		c.inner = JoinPath(p.inner, key)
	} else {
		c.path = JoinPath(p.path, key)
	}
	return c
}

func (p place) index(i int) place {
	c := p
	c.base64 = false
	if p.embedded {
		c.inner += "[" + strconv.Itoa(i) + "]"
	} else {
		c.path += "[" + strconv.Itoa(i) + "]"
	}
	return c
}

// JoinPath appends a key the way the corpus's images.json writes paths.
func JoinPath(path, key string) string {
	if strings.ContainsAny(key, "./ ") {
		return path + "['" + key + "']"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func (w *walker) walk(n *yaml.Node, p place) {
	if w.budget--; w.budget < 0 {
		return
	}
	if w.depth++; w.depth > maxDepth {
		w.budget = -1 // a recursive alias: give up on the document
		return
	}
	defer func() { w.depth-- }()
	if p.line == 0 || !p.embedded {
		p.line = n.Line
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			w.walk(c, p)
		}
	case yaml.AliasNode:
		w.walk(n.Alias, p)
	case yaml.MappingNode:
		w.mapping(n, p)
	case yaml.SequenceNode:
		w.sequence(n, p)
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			w.scalar(n.Value, p)
		}
	}
}

// crdDefaults walks a CustomResourceDefinition for the one part of it that
// reaches the cluster as a value: a "default" in its schema, which the API
// server writes into every resource that leaves the field out. Each is
// governed by the name of the property it belongs to; descriptions and
// examples are documentation. inProperties says n is a "properties" map,
// whose keys are property names.
func (w *walker) crdDefaults(n *yaml.Node, p place, property string, inProperties bool) {
	if w.budget--; w.budget < 0 {
		return
	}
	n = resolve(n)
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			cp := p
			if n.Kind == yaml.SequenceNode {
				cp = p.index(i)
			}
			w.crdDefaults(c, cp, property, false)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			c := p.child(k)
			switch {
			case inProperties:
				w.crdDefaults(v, c, k, false)
			case k == "default" && property != "":
				c.key, c.line = property, n.Content[i].Line
				w.walk(v, c)
			default:
				w.crdDefaults(v, c, property, k == "properties")
			}
		}
	}
}

func (w *walker) mapping(n *yaml.Node, p place) {
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	// {name: X, value: Y} (env entries and their like): Y is governed by X.
	envName := scalarAt(n, "name")
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" {
			w.walk(v, p) // merge key: the merged keys belong here
			continue
		}
		c := p.child(k.Value)
		if !p.embedded {
			c.line = k.Line
		}
		if judge(k.Value, "", "", nil) == reference {
			w.add(c, k.Value, reference, true)
		}
		c.key, c.siblings = k.Value, keys
		switch {
		case k.Value == "name" && imageNamed(p.key) && (hasKey(keys, "tag") || hasKey(keys, "version")):
			c.key, c.siblings = "repository", []string{"repository", "tag"} // image: {name: REPO, version: TAG}
		case k.Value == "value" && envName != "":
			c.key = envName
		case k.Value == "reference" && imageNamed(p.key):
			c.key = p.key // image volume source: image.reference
		}
		if w.kind == "Secret" && !p.embedded && p.path == "data" {
			c.base64 = true
		}
		w.walk(v, c)
	}
}

// sequence walks a list; in args/command lists a flag that names an image
// governs the element after it ("--x-image", "vendor/x:1").
func (w *walker) sequence(n *yaml.Node, p place) {
	flag := ""
	for i, c := range n.Content {
		cp := p.index(i)
		if flag != "" {
			cp.key = flag
		}
		w.walk(c, cp)
		flag = ""
		if c.Kind == yaml.ScalarNode && strings.HasPrefix(c.Value, "-") && !strings.Contains(c.Value, "=") && imageNamed(c.Value) {
			flag = c.Value
		}
	}
}

// scalar scans a string value: embedded YAML/JSON is parsed and walked,
// anything else is tokenised.
func (w *walker) scalar(s string, p place) {
	w.budget -= len(s) / 16 // text is parsed and tokenised: it costs by its size
	if p.base64 {
		decoded, ok := decodeBase64(s)
		if !ok {
			return
		}
		s = decoded
		p.inner = joinInner(p.inner, "(base64)")
	}
	if w.nesting < maxNesting && w.embeddedText(s, p) {
		return
	}
	w.text(s, p)
}

// embeddedText walks s as YAML or JSON when it is a multi-line or
// bracketed text holding at least one mapping or list.
func (w *walker) embeddedText(s string, p place) bool {
	trimmed := strings.TrimSpace(s)
	if !strings.Contains(trimmed, "\n") && !strings.HasPrefix(trimmed, "{") && !strings.HasPrefix(trimmed, "[") {
		return false
	}
	dec := yaml.NewDecoder(strings.NewReader(s))
	var docs []*yaml.Node
	structured := false
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return false
		}
		if len(doc.Content) > 0 {
			kind := doc.Content[0].Kind
			structured = structured || kind == yaml.MappingNode || kind == yaml.SequenceNode
		}
		docs = append(docs, &doc)
	}
	if !structured {
		return false
	}
	w.nesting++
	defer func() { w.nesting-- }()
	for _, doc := range docs {
		ep := p
		ep.embedded, ep.base64 = true, false
		w.walk(doc, ep)
	}
	return true
}

func decodeBase64(s string) (string, bool) {
	clean := strings.Join(strings.Fields(s), "")
	b, err := base64.StdEncoding.DecodeString(clean)
	if err != nil || !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

func joinInner(inner, more string) string {
	if inner == "" {
		return more
	}
	return inner + " " + more
}

// add records a finding; Public says whether it is under no internal prefix.
func (w *walker) add(p place, value string, v verdict, isKey bool) {
	w.findings = append(w.findings, Finding{
		Document: w.doc, Line: p.line, Kind: w.kind, Namespace: w.namespace, Name: w.name,
		Path: p.path, Inner: p.inner, Value: value, Key: isKey,
		Composite: v == composite || v == registryPrefix, Registry: v == registryPrefix,
		Public: !w.isInternal(value),
	})
}

func (w *walker) isInternal(value string) bool {
	repo := value
	if r, ok := parseRef(value); ok && !isDomain(value) {
		repo = r.repository()
	}
	for _, prefix := range w.internal {
		prefix = strings.TrimSuffix(prefix, "/")
		if repo == prefix || strings.HasPrefix(repo, prefix+"/") {
			return true
		}
	}
	return false
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func valueOf(m *yaml.Node, key string) *yaml.Node {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return resolve(m.Content[i+1])
		}
	}
	return nil
}

func scalarAt(m *yaml.Node, key string) string {
	v := valueOf(m, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}
