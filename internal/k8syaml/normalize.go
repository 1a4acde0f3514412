package k8syaml

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Short forms of the YAML core schema's tags, as yaml.v3 reports them.
const (
	tagStr       = "!!str"
	tagBinary    = "!!binary"
	tagMerge     = "!!merge"
	tagNull      = "!!null"
	tagBool      = "!!bool"
	tagInt       = "!!int"
	tagFloat     = "!!float"
	tagTimestamp = "!!timestamp"
	tagMap       = "!!map"
	tagSeq       = "!!seq"
)

// Reading says which constructs a document uses on which the YAML
// libraries may differ; Check is needed when any is set.
type Reading struct {
	Merges  bool // a "<<" merge key
	Tags    bool // an explicit tag
	Anchors bool // an anchor (and so possibly aliases)
	// Special is what Kubernetes cannot read: a value JSON cannot hold
	// (.inf, .nan), a null or collection key. Check refuses the document.
	Special bool
}

// Differs reports whether the document uses any construct the libraries
// may read differently.
func (r Reading) Differs() bool { return r.Merges || r.Tags || r.Anchors || r.Special }

// Error is a document Kubernetes reads differently from its YAML text as
// helm-airgap reads it, or cannot read at all. Path names the node.
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	where := e.Path
	if where == "" {
		where = "the document"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", where, e.Line, e.Msg)
	}
	return where + ": " + e.Msg
}

// Normalize rewrites the tree under root, in place, into the reading
// Kubernetes has of it. budget bounds the key/value pairs merges may copy
// (a chain of merges can grow a small document quadratically).
func Normalize(root *yaml.Node, budget int) (Reading, error) {
	n := &normalizer{done: map[*yaml.Node]bool{}, budget: budget}
	err := n.node(root, "", 0)
	return n.reading, err
}

// maxDepth bounds nesting, aliases and merges included.
const maxDepth = 1000

type normalizer struct {
	done    map[*yaml.Node]bool // collections already normalised (shared through aliases)
	budget  int
	reading Reading
}

func (z *normalizer) node(n *yaml.Node, path string, depth int) error {
	if n == nil {
		return nil
	}
	if depth > maxDepth {
		return &Error{Path: path, Line: n.Line, Msg: "nested too deeply"}
	}
	if n.Anchor != "" {
		z.reading.Anchors = true
	}
	if n.Style&yaml.TaggedStyle != 0 {
		z.reading.Tags = true
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := z.node(c, path, depth+1); err != nil {
				return err
			}
		}
	case yaml.AliasNode:
		return z.node(n.Alias, path, depth+1)
	case yaml.ScalarNode:
		z.scalar(n)
	case yaml.SequenceNode:
		return z.sequence(n, path, depth)
	case yaml.MappingNode:
		return z.mapping(n, path, depth)
	}
	return nil
}

// scalar reads a scalar with a tag go-yaml v2 does not resolve as the
// string it spells, as v2 does. "!!binary" keeps its tag: its value is the
// decoded bytes, which the reader of the node decodes.
func (z *normalizer) scalar(n *yaml.Node) {
	if n.Tag == tagFloat && strings.Contains(strings.ToLower(n.Value), "n") {
		z.reading.Special = true // .inf or .nan: no JSON number
	}
	if !ReadsAsString(n) || n.Tag == tagStr || n.Tag == tagBinary {
		return
	}
	n.Tag = tagStr
}

// ReadsAsString reports whether Kubernetes reads a scalar as a string: the
// core schema's string (or a timestamp, which go-yaml v2 keeps as its
// text), or a scalar with a tag outside the core schema, which go-yaml v2
// decodes as the text it spells. A "!!binary" scalar is a string of its
// decoded bytes.
func ReadsAsString(n *yaml.Node) bool {
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	switch n.Tag {
	case tagStr, tagBinary, tagTimestamp:
		return true
	case tagNull, tagBool, tagInt, tagFloat, tagMerge:
		return false
	case tagMap, tagSeq:
		return true // v2 resolves neither on a scalar: the text stays
	}
	return true
}

func (z *normalizer) sequence(n *yaml.Node, path string, depth int) error {
	if z.done[n] {
		return nil
	}
	z.done[n] = true
	for i, item := range n.Content {
		if err := z.node(item, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
			return err
		}
	}
	return nil
}

// mapping normalises a mapping's keys and values, then applies its merge
// keys the way go-yaml v2 does: every pair in document order, each setting
// its key, a merge setting every key of the mapping it names (of each
// mapping it lists, the last first, so the first wins).
func (z *normalizer) mapping(n *yaml.Node, path string, depth int) error {
	if z.done[n] {
		return nil
	}
	z.done[n] = true
	merges := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			merges = true
			if err := z.node(v, path, depth+1); err != nil {
				return err
			}
			continue
		}
		key, err := z.key(n, i, path)
		if err != nil {
			return err
		}
		if err := z.node(v, join(path, key.Value), depth+1); err != nil {
			return err
		}
	}
	if !merges {
		return nil
	}
	z.reading.Merges = true
	return z.applyMerges(n, path)
}

// key checks and resolves the key at n.Content[i]: an alias to a scalar is
// the scalar; a binary, null or collection key is refused, as helm-airgap
// would have to decode or guess what go-yaml v2 and the JSON conversion make
// of it.
func (z *normalizer) key(n *yaml.Node, i int, path string) (*yaml.Node, error) {
	k := n.Content[i]
	if k.Anchor != "" {
		z.reading.Anchors = true
	}
	if k.Style&yaml.TaggedStyle != 0 {
		z.reading.Tags = true
	}
	if k.Kind == yaml.AliasNode && k.Alias != nil && k.Alias.Kind == yaml.ScalarNode {
		k = k.Alias
		n.Content[i] = k
	}
	switch {
	case k.Kind != yaml.ScalarNode || k.Tag == tagNull:
		// Kubernetes cannot read it (go-yaml v2 refuses collection keys, the
		// JSON conversion null ones); Check says so, after the reader of the
		// tree had its say on what the key holds (an unquoted template).
		z.reading.Special = true
		return k, nil
	case k.Tag == tagBinary:
		return nil, &Error{Path: path, Line: k.Line, Msg: fmt.Sprintf("the !!binary key %q is refused: Kubernetes reads it as its decoded bytes", k.Value)}
	}
	z.scalar(k)
	return k, nil
}

// applyMerges replaces n's pairs with the pairs go-yaml v2 ends with: the
// first position of each key, holding the last value set for it.
func (z *normalizer) applyMerges(n *yaml.Node, path string) error {
	var pairs []*yaml.Node
	at := map[string]int{}
	set := func(k, v *yaml.Node) error {
		if z.budget--; z.budget < 0 {
			return &Error{Path: path, Line: n.Line, Msg: "too many keys after applying merge keys"}
		}
		if i, ok := at[k.Value]; ok {
			pairs[i+1] = v
			return nil
		}
		at[k.Value] = len(pairs)
		pairs = append(pairs, k, v)
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMerge(k) {
			if err := set(k, v); err != nil {
				return err
			}
			continue
		}
		sources, err := mergeSources(v, path)
		if err != nil {
			return err
		}
		for _, m := range sources {
			for j := 0; j+1 < len(m.Content); j += 2 {
				if err := set(m.Content[j], m.Content[j+1]); err != nil {
					return err
				}
			}
		}
	}
	n.Content = pairs
	return nil
}

// mergeSources lists the mappings a merge value names, in the order go-yaml
// v2 applies them: a mapping, or a sequence of mappings last first.
func mergeSources(v *yaml.Node, path string) ([]*yaml.Node, error) {
	v = resolve(v)
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}, nil
	case yaml.SequenceNode:
		out := make([]*yaml.Node, 0, len(v.Content))
		for i := len(v.Content) - 1; i >= 0; i-- {
			m := resolve(v.Content[i])
			if m.Kind != yaml.MappingNode {
				break
			}
			out = append(out, m)
		}
		if len(out) == len(v.Content) {
			return out, nil
		}
	}
	return nil, &Error{Path: path, Line: v.Line, Msg: "a merge key must name a mapping or a list of mappings"}
}

// isMerge reports whether a key is the merge key: "<<" unquoted and
// untagged, or tagged !!merge (both libraries agree on this).
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == tagMerge
}

func resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < maxDepth; depth++ {
		n = n.Alias
	}
	return n
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
