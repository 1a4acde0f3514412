package rewrite

import (
	"sort"
	"strconv"
	"strings"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rules/detect"
	"go.yaml.in/yaml/v3"
)

// siteKind is what a site's text is.
type siteKind int

const (
	siteImage      siteKind = iota // a whole reference
	siteRepository                 // a repository whose tag is elsewhere
	sitePrefix                     // a registry or namespace prefix joined with names at run time
	sitePair                       // the registry half of a registry + repository composite
)

// site is one image reference found in a document: the document scalar
// that holds it and where in its value (its decoded value, for base64
// Secret data) the reference is.
type site struct {
	node       *yaml.Node
	start, end int
	value      string // the reference text (also for sites inside embedded text)
	kind       siteKind
	partner    *site // sitePair: the repository site it is joined with
	enc        encoding
	res        *resource
	container  string
	field      string // path from the resource root; " > " steps into embedded text
	refuse     string // why the reference cannot be rewritten exactly, or ""
	strict     bool   // found where only an image may be (a container's image)
}

// encoding says how a scalar's value holds its text.
type encoding int

const (
	plainText encoding = iota
	base64Text
)

// podSpec is a mapping that gets imagePullSecrets: a pod template's spec, or
// a catalogued custom resource's (a Prometheus spec).
type podSpec struct {
	node  *yaml.Node
	res   *resource
	field string
}

// finder walks one document and collects the image sites and pod specs in it.
type finder struct {
	catalogue *detect.Catalogue
	names     *nameRoles
	budget    int // node visits left; aliases can make a small document huge
	doc       *document

	res         *resource
	objectDepth int  // len(path) at the object being walked (an item of a kind: List is deeper)
	skip        bool // a CustomResourceDefinition: its schema mentions are not images
	path        []step
	sites       []site
	pods        []podSpec
	warnings    []string
	seen        map[*yaml.Node]bool   // scalars already taken as a whole by a stricter rule
	inside      map[*yaml.Node]string // container mappings -> the container's name
	container   string                // the container being walked, for messages
	host        *hostText             // set while walking text embedded in a scalar
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
	switch {
	case f.host == nil:
		return b.String()
	case b.Len() == 0:
		return f.host.path // the host's value as a whole (decoded Secret data)
	default:
		return f.host.path + " > " + b.String()
	}
}

// find walks the document and leaves the sites in stream order, which is
// the order Observer.Image promises.
func (f *finder) find() error {
	f.seen, f.inside = map[*yaml.Node]bool{}, map[*yaml.Node]string{}
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
	if yamlnode.Identify(root).Kind == "List" {
		if items := yamlnode.Lookup(root, "items"); items != nil && items.Kind == yaml.SequenceNode {
			f.path = []step{{key: "items", index: -1}}
			for i, item := range items.Content {
				f.path = append(f.path[:1], step{index: i})
				if err := f.object(yamlnode.Resolve(item)); err != nil {
					return err
				}
			}
			f.path = nil
			list := yamlnode.Identify(root)
			f.res = &list
			return f.checkKeys(root)
		}
	}
	return f.object(root)
}

// object walks one Kubernetes object: its catalogued fields first, then
// every node.
func (f *finder) object(obj *yaml.Node) error {
	if obj == nil || obj.Kind != yaml.MappingNode {
		return nil
	}
	res := yamlnode.Identify(obj)
	f.res = &res
	f.skip = res.Kind == "CustomResourceDefinition"
	base := len(f.path)
	f.objectDepth = base
	for _, field := range f.catalogue.ImageFields(res.APIVersion, res.Kind) {
		steps, _ := detect.ParseFieldPath(field.Path) // validated with the config
		if err := f.catalogued(obj, steps); err != nil {
			return err
		}
		f.path = f.path[:base]
	}
	for _, p := range f.catalogue.PullSecretPaths(res.APIVersion, res.Kind) {
		steps, _ := detect.ParseFieldPath(p)
		if m := f.follow(obj, steps); m != nil && m.Kind == yaml.MappingNode {
			if err := f.addPodSpec(m); err != nil {
				return err
			}
		}
		f.path = f.path[:base]
	}
	return f.walk(obj, "", false, podKinds[res.Kind])
}

// follow walks a path of plain keys to the node it names, leaving f.path
// pointing at it.
func (f *finder) follow(n *yaml.Node, steps []detect.PathStep) *yaml.Node {
	for _, s := range steps {
		if n = yamlnode.Lookup(n, s.Key); n == nil || s.Each {
			return nil
		}
		f.path = append(f.path, step{key: s.Key, index: -1})
	}
	return n
}

// catalogued follows a catalogued path to the scalars it names; each must
// be a string reference.
func (f *finder) catalogued(n *yaml.Node, steps []detect.PathStep) error {
	if len(steps) == 0 {
		return f.imageSite(n, "", f.fieldPath(), true)
	}
	v := yamlnode.Lookup(n, steps[0].Key)
	if v == nil {
		return nil
	}
	f.path = append(f.path, step{key: steps[0].Key, index: -1})
	defer func() { f.path = f.path[:len(f.path)-1] }()
	if !steps[0].Each {
		return f.catalogued(v, steps[1:])
	}
	if v.Kind != yaml.SequenceNode {
		return nil
	}
	for i, item := range v.Content {
		f.path = append(f.path, step{index: i})
		err := f.catalogued(yamlnode.Resolve(item), steps[1:])
		f.path = f.path[:len(f.path)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// walk visits every node below n. name is the key, flag or variable name n
// sits under; a mapping is a pod template (its "spec" a pod spec) when it is
// a Pod object or the value of a "template" key: inTemplate says that of n's
// parent mapping, isTemplate of n itself.
func (f *finder) walk(n *yaml.Node, name string, inTemplate, isTemplate bool) error {
	if f.budget--; f.budget < 0 {
		return inputErrorf("%s: %s: too many nodes after expanding aliases (an alias bomb?)", f.doc.where(), f.res)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return f.walk(n.Alias, name, inTemplate, isTemplate)
	case yaml.ScalarNode:
		return f.scalar(n, name)
	case yaml.SequenceNode:
		return f.sequence(n, name)
	case yaml.MappingNode:
		return f.mapping(n, name, inTemplate, isTemplate)
	}
	return nil
}

// sequence walks the items of a list; a "--flag" item names the item after
// it ("--engine-image", "vendor/engine:v1").
func (f *finder) sequence(n *yaml.Node, name string) error {
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
		f.path = append(f.path, step{index: i})
		err := f.walk(item, itemName, false, false)
		f.path = f.path[:len(f.path)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// mapping walks a mapping: its containers when it is pod-spec shaped, its
// composite image parts, its keys and its values.
func (f *finder) mapping(n *yaml.Node, name string, inTemplate, isTemplate bool) error {
	if err := f.checkKeys(n); err != nil {
		return err
	}
	templateSpec := name == keySpec && inTemplate
	holds, err := f.holdsContainers(n, templateSpec)
	if err != nil {
		return err
	}
	if holds && !f.skip {
		if err := f.containers(n, templateSpec); err != nil {
			return err
		}
	}
	savedContainer := f.container
	if c, ok := f.inside[n]; ok {
		f.container = c
	}
	if !f.skip {
		f.composites(n, name)
	}
	// {name: X, value: V}: an env variable or a parameter; V sits under X.
	valueName := ""
	if v := yamlnode.Lookup(n, "name"); v != nil && v.Kind == yaml.ScalarNode && yamlnode.Lookup(n, "value") != nil {
		valueName = v.Value
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		key := k.Value
		if k.Kind == yaml.ScalarNode && !f.skip && strings.IndexByte(key, '/') >= 0 {
			f.keySite(k, name)
		}
		childName := key
		if key == "value" && valueName != "" {
			childName = valueName
		}
		f.path = append(f.path, step{key: key, index: -1})
		err := f.walk(n.Content[i+1], childName, isTemplate, templateKeys[key])
		f.path = f.path[:len(f.path)-1]
		if err != nil {
			return err
		}
	}
	f.container = savedContainer
	return nil
}

// keySite takes a mapping key that is a reference: a table of helper images
// kept as the keys of a map.
func (f *finder) keySite(k *yaml.Node, parent string) {
	if f.seen[k] {
		return
	}
	if _, ok := detect.Classify(k.Value, detect.Context{Role: f.names.role(parent)}, f.catalogue.IsPlaceholder); ok {
		f.seen[k] = true
		f.textSite(k, 0, len(k.Value), siteImage, "", f.fieldPath()+" (key "+strconv.Quote(k.Value)+")")
	}
}

// holdsContainers reports whether a mapping is pod-spec shaped, and records
// it as a pod spec when it is a pod template's spec.
func (f *finder) holdsContainers(m *yaml.Node, templateSpec bool) (bool, error) {
	holds := false
	for _, key := range containerLists {
		if list := yamlnode.Lookup(m, key); list != nil && list.Kind == yaml.SequenceNode {
			holds = true
		}
	}
	if holds && templateSpec && f.host == nil && !f.skip {
		return true, f.addPodSpec(m)
	}
	return holds, nil
}

// addPodSpec records a mapping that gets imagePullSecrets. Pull secrets are
// merged into a list; anything else but an empty value is a mistake that
// merging would hide or make worse.
func (f *finder) addPodSpec(m *yaml.Node) error {
	if ps := yamlnode.Lookup(m, keyImagePullSecrets); ps != nil && ps.Kind != yaml.SequenceNode && !yamlnode.IsNull(ps) {
		return inputErrorf("%s: %s: %s: want a list of {name: SECRET}, found %s",
			f.doc.where(), f.res, f.fieldPath(keyImagePullSecrets), describe(ps))
	}
	f.pods = append(f.pods, podSpec{node: m, res: f.res, field: f.fieldPath()})
	return nil
}

// imageSite records a scalar that can only hold an image: a container's or
// volume's image, a catalogued field. Anything but a string is an error: a
// template left unquoted ("image: {{ .Values.x }}" parses as a mapping), a
// list, null or a number would reach the cluster as something no runtime
// can pull, and rewriting "1.0" or "true" would change its type. Null is
// accepted only where the caller says a patch may leave the image out.
func (f *finder) imageSite(n *yaml.Node, container, field string, nullOK bool) error {
	n = yamlnode.Resolve(n)
	if nullOK && yamlnode.IsNull(n) {
		return nil
	}
	if !isString(n) {
		where := field
		if container != "" {
			where = "container " + container + " (" + field + ")"
		}
		return inputErrorf("%s: %s: %s: an image reference must be a string, found %s (line %d)",
			f.doc.where(), f.res, where, describe(n), f.doc.streamLine(n.Line))
	}
	f.seen[n] = true
	if f.catalogue.IsPlaceholder(n.Value) {
		return nil
	}
	st := f.makeSite(n, 0, len(n.Value), siteImage, container, field)
	st.strict = true
	f.sites = append(f.sites, st)
	return nil
}

// containers collects the images of a pod-spec shaped mapping. Their args,
// command and env are found by the general walk. Outside pod templates (a
// Prometheus CR's container patches) an image may be left out as null.
func (f *finder) containers(spec *yaml.Node, templateSpec bool) error {
	for _, listKey := range containerLists {
		list := yamlnode.Lookup(spec, listKey)
		if list == nil || list.Kind != yaml.SequenceNode {
			continue
		}
		for i, item := range list.Content {
			c := yamlnode.Resolve(item)
			if c.Kind != yaml.MappingNode {
				continue
			}
			name := yamlnode.ScalarAt(c, "name")
			f.inside[c] = name
			if img := yamlnode.Lookup(c, keyImage); img != nil {
				if err := f.containerImage(img, name, f.fieldPath(listKey+"["+strconv.Itoa(i)+"]", keyImage), !templateSpec); err != nil {
					return err
				}
			}
		}
	}
	if volumes := yamlnode.Lookup(spec, keyVolumes); volumes != nil && volumes.Kind == yaml.SequenceNode {
		for i, v := range volumes.Content {
			if ref := yamlnode.Lookup(yamlnode.Lookup(v, keyImage), "reference"); ref != nil {
				field := f.fieldPath(keyVolumes+"["+strconv.Itoa(i)+"]", keyImage, "reference")
				if err := f.containerImage(ref, "volume "+yamlnode.ScalarAt(v, "name"), field, !templateSpec); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// containerImage takes a container's image; inside embedded text (a pod
// template in a ConfigMap) it is found like any image-named value instead,
// since the text may hold templates of its own.
func (f *finder) containerImage(img *yaml.Node, container, field string, nullOK bool) error {
	if f.host != nil {
		img = yamlnode.Resolve(img)
		if isString(img) && !f.seen[img] {
			f.seen[img] = true
			if _, ok := detect.Classify(img.Value, detect.Context{Strict: true}, f.catalogue.IsPlaceholder); ok {
				f.textSite(img, 0, len(img.Value), siteImage, container, field)
			}
		}
		return nil
	}
	return f.imageSite(img, container, field, nullOK)
}

// checkKeys rejects duplicate keys with different values, which YAML
// forbids and which parsers resolve differently (the API server would see
// one value, a reviewer the other). A key repeated with the same value (a
// label Helm renders twice) means the same to every parser: a warning.
func (f *finder) checkKeys(m *yaml.Node) error {
	n := len(m.Content) / 2
	if n < 2 || f.host != nil {
		// Embedded text is the application's, not a manifest: every value of
		// a repeated key is searched, so nothing hides behind the repeat.
		return nil
	}
	if n <= 12 {
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				if err := f.sameKey(m, 2*i, 2*j); err != nil {
					return err
				}
			}
		}
		return nil
	}
	seen := make(map[string]int, n)
	for i := 0; i < n; i++ {
		k := m.Content[2*i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if first, dup := seen[k.Value]; dup {
			if err := f.sameKey(m, first, 2*i); err != nil {
				return err
			}
		}
		seen[k.Value] = 2 * i
	}
	return nil
}

func (f *finder) sameKey(m *yaml.Node, i, j int) error {
	a, b := m.Content[i], m.Content[j]
	if a.Kind != yaml.ScalarNode || b.Kind != yaml.ScalarNode || a.Value != b.Value || a.Tag == "!!merge" {
		return nil
	}
	name := "document"
	if f.res != nil {
		name = f.res.String()
	}
	if sameValue(m.Content[i+1], m.Content[j+1]) {
		f.warnings = append(f.warnings, f.doc.where()+": "+name+": key "+strconv.Quote(b.Value)+
			" repeated with the same value at line "+strconv.Itoa(f.doc.streamLine(b.Line))+
			" (first at line "+strconv.Itoa(f.doc.streamLine(a.Line))+"); accepted")
		return nil
	}
	return inputErrorf("%s: %s: duplicate key %q at line %d (first at line %d)",
		f.doc.where(), name, b.Value, f.doc.streamLine(b.Line), f.doc.streamLine(a.Line))
}

// sameValue reports whether two values are the same scalar.
func sameValue(a, b *yaml.Node) bool {
	a, b = yamlnode.Resolve(a), yamlnode.Resolve(b)
	return a.Kind == yaml.ScalarNode && b.Kind == yaml.ScalarNode && a.Tag == b.Tag && a.Value == b.Value
}
