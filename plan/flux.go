package plan

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
	"go.yaml.in/yaml/v3"
)

// Flux's helm-controller cannot run a plugin as a post-renderer: it runs
// only kustomize, with an images: list and patches. The Flux format
// expresses the rewrite in those terms: one images: entry per rewritten
// repository whose container images kustomize's image transformer reaches,
// and, per object, a JSON 6902 patch of every other change the rewrite made
// (images in arguments, environment values, embedded files and
// custom-resource fields, pull secrets, issuer references): the difference
// between each object as it came in and as rewrite wrote it, so applying
// the post-renderer gives what rewrite gives.

// FluxPostRenderer is the kustomize post-renderer of a HelmRelease.
type FluxPostRenderer struct {
	Images  []KustomizeImage `yaml:"images,omitempty"`
	Patches []KustomizePatch `yaml:"patches,omitempty"`

	// Hooks are the Helm hooks the post-renderer changes ("Job ns/name"):
	// helm-controller built on the Helm 3 SDK does not post-render hooks.
	Hooks []string `yaml:"-"`
	// NoImages says why there is no images: list (kustomize's image
	// transformer would fail on an object of the stream), or is empty.
	NoImages string `yaml:"-"`
}

// KustomizeImage is one entry of a kustomize images: list.
type KustomizeImage struct {
	Name    string `yaml:"name"`
	NewName string `yaml:"newName,omitempty"`
	NewTag  string `yaml:"newTag,omitempty"`
	Digest  string `yaml:"digest,omitempty"`
}

// KustomizePatch is an inline JSON 6902 patch of one object.
type KustomizePatch struct {
	Target PatchTarget `yaml:"target"`
	Patch  string      `yaml:"patch"`
}

// PatchTarget selects the object a patch applies to. Kustomize reads the
// name and namespace as regular expressions, so they are quoted.
type PatchTarget struct {
	Group     string `yaml:"group,omitempty"`
	Version   string `yaml:"version,omitempty"`
	Kind      string `yaml:"kind"`
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace,omitempty"`
}

// patchOp is one JSON 6902 operation.
type patchOp struct {
	Op    string `yaml:"op"`
	Path  string `yaml:"path"`
	Value any    `yaml:"value"`
}

// kustomizeContainerImage matches the fields kustomize's image transformer
// rewrites by name: the image of any entry of a containers or
// initContainers list (its legacy filter walks the whole object).
var kustomizeContainerImage = regexp.MustCompile(`(^|\.)(containers|initContainers)\[\d+\]\.image$`)

// BuildFor builds the plan a format needs. Every format but Flux is Build;
// Flux runs the rewrite itself (not CheckOnly), keeping its input and its
// output, and builds the post-renderer from the engine's findings and the
// difference between the two.
func BuildFor(f Format, in io.Reader, opts rewrite.Options, origins bool) (*Plan, *rewrite.Report, error) {
	if f != Flux {
		return Build(in, opts, origins)
	}
	b := &Builder{Origins: origins}
	var mu sync.Mutex
	var found []rewrite.Occurrence
	opts.CheckOnly = false
	opts.Observe(rewrite.Observer{Image: func(o rewrite.Occurrence) {
		b.Add(o)
		mu.Lock()
		found = append(found, o)
		mu.Unlock()
	}})
	var input, output bytes.Buffer
	report, err := rewrite.Run(io.TeeReader(in, &input), &output, opts)
	if err != nil {
		return nil, report, err
	}
	renderer, err := NewFluxPostRenderer(found, input.Bytes(), output.Bytes())
	if err != nil {
		return nil, report, err
	}
	p := b.Plan()
	p.flux = renderer
	return p, report, nil
}

// NewFluxPostRenderer turns the engine's findings, the stream it read and
// the stream it wrote into a post-renderer.
func NewFluxPostRenderer(found []rewrite.Occurrence, input, rewritten []byte) (*FluxPostRenderer, error) {
	before, _, err := indexObjects(input)
	if err != nil {
		return nil, err
	}
	after, order, err := indexObjects(rewritten)
	if err != nil {
		return nil, err
	}
	r := &FluxPostRenderer{}
	var byName map[string]bool
	if r.NoImages = imageTransformerBreaksOn(before); r.NoImages == "" {
		r.Images, byName = kustomizeImages(found)
	}
	// The fields the images: entries rewrite need no patch.
	covered := map[string]bool{}
	changedByImages := map[string]bool{} // objects an images: entry changes
	for _, o := range found {
		if !byName[imageName(o.Mapping.Source)] || !kustomizeContainerImage.MatchString(o.Field) || o.Kind == "CustomResourceDefinition" {
			continue
		}
		key := objectKey(o.APIVersion, o.Kind, o.Namespace, o.Name)
		if obj, ok := after[key]; ok {
			if pointer, _, err := obj.lookup(o.Field); err == nil {
				covered[key+"\x00"+pointer] = true
				changedByImages[key] = true
			}
		}
	}
	for _, key := range order {
		obj, was := after[key], before[key]
		if obj.list || was.node == nil {
			continue // a List's items are objects of their own; a new object has nothing to patch
		}
		var ops []patchOp
		for _, op := range diffNodes(was.node, obj.node, "") {
			if !covered[key+"\x00"+op.Path] {
				ops = append(ops, op)
			}
		}
		id := identify(obj.node)
		if isHook(obj.node) && (len(ops) > 0 || changedByImages[key]) {
			r.Hooks = append(r.Hooks, id.String())
		}
		if len(ops) == 0 {
			continue
		}
		text, err := patchText(ops)
		if err != nil {
			return nil, fmt.Errorf("building the flux post-renderer: %s: %w", id, err)
		}
		r.Patches = append(r.Patches, KustomizePatch{Target: id.target(), Patch: string(text)})
	}
	return r, nil
}

// patchText writes operations as YAML. Multi-line strings are written
// double-quoted: kustomize trims a patch's white space, which would take
// the final line break of a block scalar at its end with it.
func patchText(ops []patchOp) (string, error) {
	var doc yaml.Node
	if err := doc.Encode(ops); err != nil {
		return "", err
	}
	quoteMultiline(&doc)
	text, err := yaml.Marshal(&doc)
	return string(text), err
}

func quoteMultiline(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && strings.Contains(n.Value, "\n") {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		quoteMultiline(c)
	}
}

// diffNodes lists the JSON 6902 operations that turn a into b, at pointer.
func diffNodes(a, b *yaml.Node, pointer string) []patchOp {
	a, b = deref(a), deref(b)
	if a == nil || b == nil {
		return nil
	}
	if a.Kind != b.Kind {
		return []patchOp{{Op: "replace", Path: pointer, Value: decoded(b)}}
	}
	var ops []patchOp
	switch b.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(b.Content); i += 2 {
			key := b.Content[i].Value
			at := pointer + "/" + escapePointer(key)
			if old := yamlnode.Lookup(a, key); old == nil {
				ops = append(ops, patchOp{Op: "add", Path: at, Value: decoded(b.Content[i+1])})
			} else {
				ops = append(ops, diffNodes(old, b.Content[i+1], at)...)
			}
		}
		for i := 0; i+1 < len(a.Content); i += 2 {
			if yamlnode.Lookup(b, a.Content[i].Value) == nil {
				ops = append(ops, patchOp{Op: "remove", Path: pointer + "/" + escapePointer(a.Content[i].Value)})
			}
		}
	case yaml.SequenceNode:
		if len(a.Content) != len(b.Content) {
			return []patchOp{{Op: "replace", Path: pointer, Value: decoded(b)}}
		}
		for i := range b.Content {
			ops = append(ops, diffNodes(a.Content[i], b.Content[i], pointer+"/"+strconv.Itoa(i))...)
		}
	default:
		if a.Value != b.Value || a.ShortTag() != b.ShortTag() {
			ops = append(ops, patchOp{Op: "replace", Path: pointer, Value: decoded(b)})
		}
	}
	return ops
}

// decoded is a node as a plain value, for marshalling into a patch.
func decoded(n *yaml.Node) any {
	var v any
	if err := n.Decode(&v); err != nil {
		return n.Value
	}
	return v
}

func escapePointer(key string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}

// imageTransformerBreaksOn names an object kustomize's image transformer
// would fail on (an images: list applies to every object), or returns "".
// It walks every containers and initContainers list, and the fixed paths
// of its field specs, and fails where a value there has the wrong shape:
// a CloudNativePG Database's "spec.template: template1" is a string where
// it expects a pod template.
func imageTransformerBreaksOn(objects map[string]indexedObject) string {
	var names []string
	for _, obj := range objects {
		if obj.list || yamlnode.ScalarAt(obj.node, "kind") == "CustomResourceDefinition" {
			continue
		}
		if where := transformerMisfit(obj.node); where != "" {
			names = append(names, identify(obj.node).String()+" ("+where+")")
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return names[0]
}

// imageFieldSpecs are the paths of kustomize's images field specs, up to
// their list (api/internal/konfig/builtinpluginconsts/images.go).
var imageFieldSpecs = [][]string{
	{"spec", "containers"}, {"spec", "initContainers"}, {"spec", "volumes"},
	{"spec", "template", "spec", "containers"}, {"spec", "template", "spec", "initContainers"},
	{"spec", "template", "spec", "volumes"}, {"spec", "jobTemplate", "spec", "template", "spec", "volumes"},
}

func transformerMisfit(obj *yaml.Node) string {
	for _, path := range imageFieldSpecs {
		n := obj
		for i, key := range path {
			if n = yamlnode.Lookup(n, key); n == nil {
				break
			}
			last := i == len(path)-1
			if !last && n.Kind != yaml.MappingNode {
				return strings.Join(path[:i+1], ".") + " is not an object"
			}
			if last && n.Kind != yaml.SequenceNode && !yamlnode.IsNull(n) {
				return strings.Join(path, ".") + " is not a list"
			}
		}
	}
	return containersMisfit(obj, "")
}

// containersMisfit finds a containers or initContainers list below n whose
// items are not objects or whose image is not a string.
func containersMisfit(n *yaml.Node, path string) string {
	n = deref(n)
	if n == nil {
		return ""
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if where := containersMisfit(item, path); where != "" {
				return where
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i].Value, deref(n.Content[i+1])
			at := strings.TrimPrefix(path+"."+key, ".")
			if (key == "containers" || key == "initContainers") && value != nil && value.Kind == yaml.SequenceNode {
				for _, item := range value.Content {
					item = deref(item)
					if item == nil || item.Kind != yaml.MappingNode {
						return at + " holds an item that is not an object"
					}
					if image := yamlnode.Lookup(item, "image"); image != nil && image.Kind != yaml.ScalarNode {
						return at + " holds an image that is not a string"
					}
				}
			}
			if where := containersMisfit(value, at); where != "" {
				return where
			}
		}
	}
	return ""
}

// isHook reports a Helm hook (a helm.sh/hook annotation).
func isHook(obj *yaml.Node) bool {
	return yamlnode.Lookup(yamlnode.Lookup(yamlnode.Lookup(obj, "metadata"), "annotations"), "helm.sh/hook") != nil
}

// imageName is a reference as written without its tag or digest: the name
// kustomize matches an images: entry against.
func imageName(r reference.Ref) string { return strings.TrimSuffix(r.Written, r.Suffix) }

// kustomizeImages makes one images: entry per name as written whose every
// container occurrence lands on one destination repository with its tag and
// digest unchanged (newName), or on one and the same reference (newName
// with newTag and digest). Names that fit neither are left to patches.
func kustomizeImages(found []rewrite.Occurrence) ([]KustomizeImage, map[string]bool) {
	type group struct {
		dests    map[string]bool // destination references
		repos    map[string]bool // destination repositories
		keepsTag bool            // every destination keeps the source's tag and digest
	}
	groups := map[string]*group{}
	var names []string
	for _, o := range found {
		if o.Mapping.Status != mapper.Rewritten || !kustomizeContainerImage.MatchString(o.Field) {
			continue
		}
		name := imageName(o.Mapping.Source)
		g, ok := groups[name]
		if !ok {
			g = &group{dests: map[string]bool{}, repos: map[string]bool{}, keepsTag: true}
			groups[name] = g
			names = append(names, name)
		}
		g.dests[o.Mapping.Dest] = true
		g.repos[o.Mapping.DestRepo] = true
		if o.Mapping.Dest != o.Mapping.DestRepo+o.Mapping.Source.Suffix {
			g.keepsTag = false
		}
	}
	sort.Strings(names)
	var images []KustomizeImage
	covered := map[string]bool{}
	for _, name := range names {
		g := groups[name]
		if len(g.repos) != 1 {
			continue
		}
		var entry KustomizeImage
		switch {
		case g.keepsTag:
			entry = KustomizeImage{Name: name, NewName: only(g.repos)}
		case len(g.dests) == 1:
			p := parts(only(g.dests))
			entry = KustomizeImage{Name: name, NewName: only(g.repos), NewTag: p.tag, Digest: p.digest}
		default:
			continue
		}
		images = append(images, entry)
		covered[name] = true
	}
	return images, covered
}

func only(set map[string]bool) string {
	for k := range set {
		return k
	}
	return ""
}

// objectID is an object's identity in a stream.
type objectID struct{ apiVersion, kind, namespace, name string }

func identify(obj *yaml.Node) objectID {
	meta := yamlnode.Lookup(obj, "metadata")
	return objectID{yamlnode.ScalarAt(obj, "apiVersion"), yamlnode.ScalarAt(obj, "kind"), yamlnode.ScalarAt(meta, "namespace"), yamlnode.ScalarAt(meta, "name")}
}

// String reads "Kind namespace/name".
func (id objectID) String() string {
	name := id.name
	if id.namespace != "" {
		name = id.namespace + "/" + name
	}
	return id.kind + " " + name
}

// target selects the object in a patch. Kustomize reads the name and
// namespace as regular expressions, so they are quoted.
func (id objectID) target() PatchTarget {
	group, version := splitAPIVersion(id.apiVersion)
	t := PatchTarget{Group: group, Version: version, Kind: id.kind, Name: regexp.QuoteMeta(id.name)}
	if id.namespace != "" {
		t.Namespace = regexp.QuoteMeta(id.namespace)
	}
	return t
}

func splitAPIVersion(v string) (group, version string) {
	if i := strings.LastIndexByte(v, '/'); i >= 0 {
		return v[:i], v[i+1:]
	}
	return "", v
}

func objectKey(apiVersion, kind, namespace, name string) string {
	return apiVersion + "\x00" + kind + "\x00" + namespace + "\x00" + name
}

// indexedObject is one object of a stream; prefix is the path of a List
// item ("items[3]"), which kustomize sees as an object of its own, and list
// marks the List itself.
type indexedObject struct {
	node   *yaml.Node
	prefix string
	list   bool
}

// indexObjects reads a stream into its objects by identity, and their keys
// in stream order.
func indexObjects(stream []byte) (map[string]indexedObject, []string, error) {
	objects := map[string]indexedObject{}
	var order []string
	add := func(n *yaml.Node, prefix string, list bool) {
		id := identify(n)
		key := objectKey(id.apiVersion, id.kind, id.namespace, id.name)
		if _, dup := objects[key]; !dup {
			order = append(order, key)
		}
		objects[key] = indexedObject{node: n, prefix: prefix, list: list}
	}
	dec := yaml.NewDecoder(bytes.NewReader(stream))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			return objects, order, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("building the flux post-renderer: reading the manifests: %w", err)
		}
		root := deref(&doc)
		if root == nil || root.Kind != yaml.MappingNode {
			continue
		}
		items := yamlnode.Lookup(root, "items")
		isList := yamlnode.ScalarAt(root, "kind") == "List" && items != nil && items.Kind == yaml.SequenceNode
		add(root, "", isList)
		if isList {
			for i, item := range items.Content {
				if item = deref(item); item != nil && item.Kind == yaml.MappingNode {
					add(item, "items["+strconv.Itoa(i)+"]", false)
				}
			}
		}
	}
}

// lookup follows an engine field path ("spec.containers[0].args[2]") in the
// object and returns it as a JSON pointer. Keys are matched whole, longest
// first, so a key holding a dot is still found.
func (obj indexedObject) lookup(field string) (string, *yaml.Node, error) {
	path := field
	if obj.prefix != "" {
		path = strings.TrimPrefix(strings.TrimPrefix(path, obj.prefix), ".")
	}
	n := obj.node
	var pointer strings.Builder
	for path != "" {
		n = deref(n)
		if n == nil {
			break
		}
		if strings.HasPrefix(path, "[") {
			end := strings.IndexByte(path, ']')
			i, err := strconv.Atoi(path[1:max(end, 1)])
			if end < 0 || err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return "", nil, fmt.Errorf("%s not found in the rewritten output", field)
			}
			pointer.WriteString("/" + strconv.Itoa(i))
			n, path = n.Content[i], strings.TrimPrefix(path[end+1:], ".")
			continue
		}
		key, value := longestKey(n, path)
		if value == nil {
			return "", nil, fmt.Errorf("%s not found in the rewritten output", field)
		}
		pointer.WriteString("/" + escapePointer(key))
		n, path = value, strings.TrimPrefix(path[len(key):], ".")
	}
	if n = deref(n); n == nil {
		return "", nil, fmt.Errorf("%s not found in the rewritten output", field)
	}
	return pointer.String(), n, nil
}

// longestKey finds the longest key of a mapping the path starts with.
func longestKey(m *yaml.Node, path string) (string, *yaml.Node) {
	if m.Kind != yaml.MappingNode {
		return "", nil
	}
	best, bestValue := "", (*yaml.Node)(nil)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		if len(k) <= len(best) || !strings.HasPrefix(path, k) {
			continue
		}
		if rest := path[len(k):]; rest == "" || rest[0] == '.' || rest[0] == '[' {
			best, bestValue = k, m.Content[i+1]
		}
	}
	return best, bestValue
}

// deref is a document's root, or a node itself, with aliases followed.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	return yamlnode.Resolve(n)
}

// writeFlux prints the post-renderer as the spec.postRenderers block of a
// HelmRelease.
func writeFlux(w *bufio.Writer, p *Plan) error {
	if p.flux == nil {
		return fmt.Errorf("the flux format needs the rewritten manifests: build the plan with BuildFor")
	}
	entries, patches := "images: entries", "patches"
	if len(p.flux.Images) == 1 {
		entries = "images: entry"
	}
	if len(p.flux.Patches) == 1 {
		patches = "patch"
	}
	fmt.Fprintf(w, "# Flux HelmRelease post-renderer written by helm-airgap (%d %s, %d %s).\n", len(p.flux.Images), entries, len(p.flux.Patches), patches)
	fmt.Fprintf(w, "# Mirror the %d image(s) of the plan first; merge this under the HelmRelease's spec\n", len(p.Copies()))
	fmt.Fprintf(w, "# (helm.toolkit.fluxcd.io/v2). Regenerate it whenever the chart or its values change.\n")
	if p.flux.NoImages != "" {
		fmt.Fprintf(w, "# No images: list: kustomize's image transformer fails on %s,\n", commentSafe(p.flux.NoImages))
		fmt.Fprintf(w, "# so every image is patched.\n")
	}
	if len(p.flux.Hooks) > 0 {
		fmt.Fprintf(w, "# Helm hooks: helm-controller built on the Helm 3 SDK does not post-render them, so\n")
		fmt.Fprintf(w, "# these keep their images unless the chart's values move them (docs/flux.md):\n")
		for _, h := range p.flux.Hooks {
			fmt.Fprintf(w, "#   %s\n", commentSafe(h))
		}
	}
	doc := map[string]any{"spec": map[string]any{"postRenderers": []any{map[string]any{"kustomize": p.flux}}}}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return enc.Close()
}
