package rewrite

import (
	"sort"
	"strconv"
	"strings"

	"github.com/plexicus/helm-airgap/rules"
	"go.yaml.in/yaml/v3"
)

// site is one image reference found in a document: the scalar that holds it
// and, for "--flag=REF" arguments, the part of the scalar that is the
// reference.
type site struct {
	node       *yaml.Node
	start, end int // the reference is node.Value[start:end]
	res        *resource
	container  string
	field      string // path from the resource root: spec.template.spec.containers[0].image
}

func (s site) ref() string { return s.node.Value[s.start:s.end] }

// podSpec is a pod template's spec, which gets imagePullSecrets.
type podSpec struct {
	node  *yaml.Node // the spec mapping
	res   *resource
	field string
}

// isCandidate decides whether a free-form string (an argument or env value)
// is an image reference. flag is the flag or variable name it belongs to.
type isCandidate func(ref, flag string) bool

// finder walks one document and collects the image sites and pod specs in it.
type finder struct {
	fields    []rules.ImageField
	candidate isCandidate
	budget    int // node visits left; aliases can make a small document huge
	doc       *document

	res   *resource
	path  []step
	sites []site
	pods  []podSpec
}

// step is one element of the path to the node being walked.
type step struct {
	key   string
	index int // -1 for a mapping key
}

func (f *finder) fieldPath(extra ...string) string {
	var b strings.Builder
	for _, s := range f.path {
		if s.index >= 0 {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	for _, e := range extra {
		if !strings.HasPrefix(e, "[") && b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e)
	}
	return b.String()
}

// find walks the document and leaves the sites in stream order, which is
// the order Options.OnImage promises: the walk itself visits configured
// fields first and containers before initContainers.
func (f *finder) find() error {
	if err := f.findAll(); err != nil {
		return err
	}
	sort.SliceStable(f.sites, func(i, j int) bool {
		a, b := f.sites[i], f.sites[j]
		if a.node.Line != b.node.Line {
			return a.node.Line < b.node.Line
		}
		if a.node.Column != b.node.Column {
			return a.node.Column < b.node.Column
		}
		return a.start < b.start
	})
	return nil
}

// findAll walks the document. A kind: List is a list of objects, each its own
// resource for naming and for kind-specific fields.
func (f *finder) findAll() error {
	root := f.doc.root
	if identify(root).Kind == "List" {
		if items := lookup(root, "items"); items != nil && items.Kind == yaml.SequenceNode {
			f.path = []step{{key: "items", index: -1}}
			for i, item := range items.Content {
				f.path = append(f.path[:1], step{index: i})
				if err := f.object(resolve(item)); err != nil {
					return err
				}
			}
			f.path = nil
			list := identify(root)
			f.res = &list
			return f.checkKeys(root)
		}
	}
	return f.object(root)
}

// object walks one Kubernetes object.
func (f *finder) object(obj *yaml.Node) error {
	if obj == nil || obj.Kind != yaml.MappingNode {
		return nil
	}
	res := identify(obj)
	f.res = &res
	base := len(f.path)
	for _, field := range f.fields {
		if field.Matches(res.APIVersion, res.Kind) {
			steps, _ := rules.ParseFieldPath(field.Path) // validated with the config
			f.customField(obj, steps)
		}
	}
	f.path = f.path[:base]
	return f.walk(obj, "", false, podKinds[res.Kind])
}

// customField follows a configured path to the scalars it names.
func (f *finder) customField(n *yaml.Node, steps []rules.PathStep) {
	if len(steps) == 0 {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
			f.addSite(n, 0, len(n.Value), "", f.fieldPath())
		}
		return
	}
	v := lookup(n, steps[0].Key)
	if v == nil {
		return
	}
	f.path = append(f.path, step{key: steps[0].Key, index: -1})
	defer func() { f.path = f.path[:len(f.path)-1] }()
	if !steps[0].Each {
		f.customField(v, steps[1:])
		return
	}
	if v.Kind != yaml.SequenceNode {
		return
	}
	for i, item := range v.Content {
		f.path = append(f.path, step{index: i})
		f.customField(resolve(item), steps[1:])
		f.path = f.path[:len(f.path)-1]
	}
}

func (f *finder) addSite(n *yaml.Node, start, end int, container, field string) {
	f.sites = append(f.sites, site{node: n, start: start, end: end, res: f.res, container: container, field: field})
}

// walk visits every node below n. via is the key n was reached by; a mapping
// is a pod template (its "spec" a pod spec) when it is a Pod object or the
// value of a "template" key: inTemplate says that of n's parent mapping,
// isTemplate of n itself.
func (f *finder) walk(n *yaml.Node, via string, inTemplate, isTemplate bool) error {
	if f.budget--; f.budget < 0 {
		return inputErrorf("%s: %s: too many nodes after expanding aliases (an alias bomb?)", f.doc.where(), f.res)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return f.walk(n.Alias, via, inTemplate, isTemplate)
	case yaml.SequenceNode:
		for i, item := range n.Content {
			f.path = append(f.path, step{index: i})
			err := f.walk(item, "", false, false)
			f.path = f.path[:len(f.path)-1]
			if err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		if err := f.checkKeys(n); err != nil {
			return err
		}
		holds, err := f.holdsContainers(n, via == keySpec && inTemplate)
		if err != nil {
			return err
		}
		if holds {
			if err := f.containers(n); err != nil {
				return err
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			f.path = append(f.path, step{key: key, index: -1})
			err := f.walk(n.Content[i+1], key, isTemplate, templateKeys[key])
			f.path = f.path[:len(f.path)-1]
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// holdsContainers reports whether a mapping is pod-spec shaped, and records
// it as a pod spec when it is a pod template's spec.
func (f *finder) holdsContainers(m *yaml.Node, templateSpec bool) (bool, error) {
	holds := false
	for _, key := range containerLists {
		if list := lookup(m, key); list != nil && list.Kind == yaml.SequenceNode {
			holds = true
		}
	}
	if holds && templateSpec {
		// Pull secrets are merged into a list; anything else but an empty
		// value is a mistake that merging would hide or make worse.
		if ps := lookup(m, keyImagePullSecrets); ps != nil && ps.Kind != yaml.SequenceNode && !isNull(ps) {
			return false, inputErrorf("%s: %s: %s: want a list of {name: SECRET}, found %s",
				f.doc.where(), f.res, f.fieldPath(keyImagePullSecrets), describe(ps))
		}
		f.pods = append(f.pods, podSpec{node: m, res: f.res, field: f.fieldPath()})
	}
	return holds, nil
}

// isNull reports whether a node is an empty value ("", "~", "null").
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// imageSite records a container's or volume's image scalar. A null image is
// no reference (an operator fills it in); any other non-string is an error,
// since rewriting "1.0" or "true" would change its type.
func (f *finder) imageSite(n *yaml.Node, container, field string) error {
	if isNull(n) {
		return nil
	}
	if n.Tag != "!!str" {
		where := field
		if container != "" {
			where = "container " + container + " (" + field + ")"
		}
		return inputErrorf("%s: %s: %s: an image reference must be a string, found %s (line %d)",
			f.doc.where(), f.res, where, describe(n), f.doc.streamLine(n.Line))
	}
	f.addSite(n, 0, len(n.Value), container, field)
	return nil
}

// containers collects the images of a pod-spec shaped mapping.
func (f *finder) containers(spec *yaml.Node) error {
	for _, listKey := range containerLists {
		list := lookup(spec, listKey)
		if list == nil || list.Kind != yaml.SequenceNode {
			continue
		}
		for i, item := range list.Content {
			c := resolve(item)
			if c.Kind != yaml.MappingNode {
				continue
			}
			name := scalarAt(c, "name")
			prefix := listKey + "[" + strconv.Itoa(i) + "]"
			if img := lookup(c, keyImage); img != nil && img.Kind == yaml.ScalarNode {
				if err := f.imageSite(img, name, f.fieldPath(prefix, keyImage)); err != nil {
					return err
				}
			}
			f.argImages(c, name, prefix)
			f.envImages(c, name, prefix)
		}
	}
	if volumes := lookup(spec, keyVolumes); volumes != nil && volumes.Kind == yaml.SequenceNode {
		for i, v := range volumes.Content {
			ref := lookup(lookup(v, keyImage), "reference")
			if ref != nil && ref.Kind == yaml.ScalarNode {
				field := f.fieldPath(keyVolumes+"["+strconv.Itoa(i)+"]", keyImage, "reference")
				if err := f.imageSite(ref, "volume "+scalarAt(v, "name"), field); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// argImages finds references in command and args: "--flag=REF", "--flag REF"
// and a whole-value REF.
func (f *finder) argImages(c *yaml.Node, container, prefix string) {
	for _, key := range containerArgLists {
		list := lookup(c, key)
		if list == nil || list.Kind != yaml.SequenceNode {
			continue
		}
		flag := ""
		for i, item := range list.Content {
			item = resolve(item)
			if item.Kind != yaml.ScalarNode || item.Tag != "!!str" {
				flag = ""
				continue
			}
			v := item.Value
			field := func() string { return f.fieldPath(prefix, key+"["+strconv.Itoa(i)+"]") }
			switch name, value, hasValue := strings.Cut(v, "="); {
			case strings.HasPrefix(v, "-") && hasValue:
				if f.candidate(value, name) {
					f.addSite(item, len(name)+1, len(v), container, field())
				}
				flag = ""
			case strings.HasPrefix(v, "-"):
				flag = v
			default:
				if f.candidate(v, flag) {
					f.addSite(item, 0, len(v), container, field())
				}
				flag = ""
			}
		}
	}
}

// envImages finds env values that are whole references.
func (f *finder) envImages(c *yaml.Node, container, prefix string) {
	env := lookup(c, keyEnv)
	if env == nil || env.Kind != yaml.SequenceNode {
		return
	}
	for i, e := range env.Content {
		v := lookup(e, "value")
		if v != nil && v.Kind == yaml.ScalarNode && v.Tag == "!!str" && f.candidate(v.Value, scalarAt(e, "name")) {
			f.addSite(v, 0, len(v.Value), container, f.fieldPath(prefix, keyEnv+"["+strconv.Itoa(i)+"]", "value"))
		}
	}
}

// checkKeys rejects duplicate keys, which YAML forbids and which parsers
// resolve differently (the API server would see one value, a reviewer the
// other).
func (f *finder) checkKeys(m *yaml.Node) error {
	n := len(m.Content) / 2
	if n < 2 {
		return nil
	}
	if n <= 12 {
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				if err := f.sameKey(m.Content[2*i], m.Content[2*j]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	seen := make(map[string]*yaml.Node, n)
	for i := 0; i < n; i++ {
		k := m.Content[2*i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if first, dup := seen[k.Value]; dup {
			if err := f.sameKey(first, k); err != nil {
				return err
			}
		}
		seen[k.Value] = k
	}
	return nil
}

func (f *finder) sameKey(a, b *yaml.Node) error {
	if a.Kind != yaml.ScalarNode || b.Kind != yaml.ScalarNode || a.Value != b.Value || a.Tag == "!!merge" {
		return nil
	}
	name := "document"
	if f.res != nil {
		name = f.res.String()
	}
	return inputErrorf("%s: %s: duplicate key %q at line %d (first at line %d)",
		f.doc.where(), name, b.Value, f.doc.streamLine(b.Line), f.doc.streamLine(a.Line))
}
