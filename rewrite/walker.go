package rewrite

import (
	"sort"
	"strconv"
	"strings"

	"github.com/plexicus/helm-airgap/internal/k8syaml"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rules/detect"
	"go.yaml.in/yaml/v3"
)

// walker visits every node of one document once and offers each to the
// locators (locate.go). It keeps what every locator needs and none should
// keep for itself: the path from the object's root, the name each node
// sits under (its key, the "--flag" before a list item, the variable of a
// {name, value} pair), the container being walked, the node budget that
// bounds alias expansion and, inside embedded text, the host scalar and the
// offsets that place the text's bytes in it (hostText).
type walker struct {
	locators  []locator
	catalogue *detect.Catalogue
	names     *nameRoles
	budget    int // node visits left; aliases can make a small document huge
	doc       *document

	res         *resource
	objectDepth int  // len(path) at the object being walked (an item of a kind: List is deeper)
	skip        bool // a CustomResourceDefinition: its schema mentions are not images
	path        []step
	container   string                // the container being walked, for messages
	containers  map[*yaml.Node]string // container mappings -> the container's name
	host        *hostText             // set while walking text embedded in a scalar
	seen        map[*yaml.Node]bool   // scalars already taken whole by a stricter locator

	sites    []site
	pods     []podSpec
	warnings []string
}

// newWalker is a walker of d with every locator.
func newWalker(d *document, catalogue *detect.Catalogue, names *nameRoles) *walker {
	return &walker{
		locators: locators, catalogue: catalogue, names: names, doc: d,
		budget: d.nodeBudget(), seen: map[*yaml.Node]bool{}, containers: map[*yaml.Node]string{},
	}
}

// step is one element of the path to the node being walked.
type step struct {
	key   string
	index int // -1 for a mapping key
}

// fieldPath is the path to the node being walked, with extra steps.
func (w *walker) fieldPath(extra ...string) string {
	var b strings.Builder
	for _, s := range w.path {
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
	switch {
	case w.host == nil:
		return b.String()
	case b.Len() == 0:
		return w.host.path // the host's value as a whole (decoded Secret data)
	default:
		return w.host.path + " > " + b.String()
	}
}

// find walks the document and leaves the sites in stream order, which is
// the order Observer.Image promises.
func (w *walker) find() error {
	if err := w.objects(); err != nil {
		return err
	}
	sort.SliceStable(w.sites, func(i, j int) bool {
		a, b := w.sites[i], w.sites[j]
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

// objects walks the document's objects. A kind: List is a list of objects,
// each its own resource for naming and for kind-specific fields.
func (w *walker) objects() error {
	root := w.doc.root
	if yamlnode.Identify(root).Kind == "List" {
		if items := yamlnode.Lookup(root, "items"); items != nil && items.Kind == yaml.SequenceNode {
			w.path = []step{{key: "items", index: -1}}
			for i, item := range items.Content {
				w.path = append(w.path[:1], step{index: i})
				if err := w.object(yamlnode.Resolve(item)); err != nil {
					return err
				}
			}
			w.path = nil
			list := yamlnode.Identify(root)
			w.res = &list
			return w.checkKeys(root)
		}
	}
	return w.object(root)
}

// object offers one Kubernetes object to the locators, then walks it.
func (w *walker) object(obj *yaml.Node) error {
	if obj == nil || obj.Kind != yaml.MappingNode {
		return nil
	}
	res := yamlnode.Identify(obj)
	w.res = &res
	w.skip = res.Kind == "CustomResourceDefinition"
	w.objectDepth = len(w.path)
	for _, l := range w.locators {
		if err := l.object(w, obj); err != nil {
			return err
		}
		w.path = w.path[:w.objectDepth]
	}
	return w.walk(obj, "", false, podKinds[res.Kind])
}

// walk visits every node below n. name is the key, flag or variable name n
// sits under; a mapping is a pod template (its "spec" a pod spec) when it is
// a Pod object or the value of a "template" key: inTemplate says that of n's
// parent mapping, isTemplate of n itself.
func (w *walker) walk(n *yaml.Node, name string, inTemplate, isTemplate bool) error {
	if w.budget--; w.budget < 0 {
		return inputErrorf("%s: %s: too many nodes after expanding aliases (an alias bomb?)", w.doc.where(), w.res)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return w.walk(n.Alias, name, inTemplate, isTemplate)
	case yaml.ScalarNode:
		if w.skip || n.Value == "" || w.seen[n] || !k8syaml.ReadsAsString(n) {
			return nil
		}
		return w.value(n, name)
	case yaml.SequenceNode:
		return w.sequence(n, name)
	case yaml.MappingNode:
		return w.mapping(n, name, inTemplate, isTemplate)
	}
	return nil
}

// value offers a string value to the locators until one takes it.
func (w *walker) value(n *yaml.Node, name string) error {
	for _, l := range w.locators {
		if took, err := l.value(w, n, name); took || err != nil {
			return err
		}
	}
	return nil
}

// sequence walks the items of a list; a "--flag" item names the item after
// it ("--engine-image", "vendor/engine:v1").
func (w *walker) sequence(n *yaml.Node, name string) error {
	flag := ""
	for i, item := range n.Content {
		itemName := name
		if flag != "" {
			itemName = flag
		}
		flag = ""
		if v := yamlnode.Resolve(item); v.Kind == yaml.ScalarNode && strings.HasPrefix(v.Value, "-") && !strings.ContainsAny(v.Value, "= \n") {
			flag = v.Value
		}
		w.path = append(w.path, step{index: i})
		err := w.walk(item, itemName, false, false)
		w.path = w.path[:len(w.path)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// mapping offers a mapping to the locators, then walks its values, each
// under its key ({name: X, value: V}, an env variable or a parameter, puts
// V under X).
func (w *walker) mapping(n *yaml.Node, name string, inTemplate, isTemplate bool) error {
	if err := w.checkKeys(n); err != nil {
		return err
	}
	saved := w.container
	defer func() { w.container = saved }()
	if c, ok := w.containers[n]; ok {
		w.container = c
	}
	at := mappingAt{name: name, templateSpec: name == keySpec && inTemplate}
	for _, l := range w.locators {
		if err := l.mapping(w, n, at); err != nil {
			return err
		}
	}
	valueName := ""
	if v := yamlnode.Lookup(n, "name"); v != nil && v.Kind == yaml.ScalarNode && yamlnode.Lookup(n, "value") != nil {
		valueName = v.Value
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		childName := key
		if key == "value" && valueName != "" {
			childName = valueName
		}
		w.path = append(w.path, step{key: key, index: -1})
		err := w.walk(n.Content[i+1], childName, isTemplate, templateKeys[key])
		w.path = w.path[:len(w.path)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// within walks fn inside embedded text h: paths restart at the text's root
// (h.path names the host), and everything is restored after.
func (w *walker) within(h *hostText, fn func() error) error {
	savedHost, savedPath, savedSkip := w.host, w.path, w.skip
	w.host, w.path = h, nil
	defer func() { w.host, w.path, w.skip = savedHost, savedPath, savedSkip }()
	return fn()
}
