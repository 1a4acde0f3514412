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

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules"
	"go.yaml.in/yaml/v3"
)

// Flux's helm-controller cannot run a plugin as a post-renderer: it runs
// only kustomize, with an images: list and patches. The Flux format
// expresses the rewrite in those terms: one images: entry per rewritten
// repository whose container images kustomize's image transformer reaches,
// and a JSON 6902 patch per object for every other reference (arguments,
// environment values, custom-resource fields, ephemeral containers, image
// volumes) and for the pull secrets. The values come from the rewrite's own
// output, so applying the post-renderer gives the images rewrite gives.

// FluxPostRenderer is the kustomize post-renderer of a HelmRelease.
type FluxPostRenderer struct {
	Images  []KustomizeImage `yaml:"images,omitempty"`
	Patches []KustomizePatch `yaml:"patches,omitempty"`

	// Hooks are the Helm hooks with rewritten images ("Job ns/name"):
	// helm-controller built on the Helm 3 SDK does not post-render hooks.
	Hooks []string `yaml:"-"`
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

// podSpecOf finds the pod spec a container image belongs to, for its pull
// secrets.
var podSpecOf = regexp.MustCompile(`^(.*)\.(containers|initContainers|ephemeralContainers)\[\d+\]\.image$`)

// BuildFor builds the plan a format needs. Every format but Flux is Build;
// Flux runs the rewrite itself (not CheckOnly) and keeps its output, since
// a patch must carry the whole rewritten value of an argument or variable,
// and builds the post-renderer from the engine's findings and that output.
func BuildFor(f Format, in io.Reader, opts rewrite.Options, origins bool) (*Plan, *rewrite.Report, error) {
	if f != Flux {
		return Build(in, opts, origins)
	}
	b := &Builder{Origins: origins}
	var mu sync.Mutex
	var found []rewrite.Occurrence
	opts.CheckOnly = false
	opts.OnImage = func(o rewrite.Occurrence) {
		b.Add(o)
		mu.Lock()
		found = append(found, o)
		mu.Unlock()
	}
	var out bytes.Buffer
	report, err := rewrite.Run(in, &out, opts)
	if err != nil {
		return nil, report, err
	}
	var secrets []string
	if opts.Mapper != nil {
		secrets = opts.Mapper.PullSecrets()
	}
	renderer, err := NewFluxPostRenderer(found, out.Bytes(), len(secrets) > 0)
	if err != nil {
		return nil, report, err
	}
	p := b.Plan()
	p.flux = renderer
	return p, report, nil
}

// NewFluxPostRenderer turns the engine's findings and the rewritten stream
// into a post-renderer. pullSecrets adds each pod spec's pull secrets as
// the rewrite wrote them.
func NewFluxPostRenderer(found []rewrite.Occurrence, rewritten []byte, pullSecrets bool) (*FluxPostRenderer, error) {
	objects, err := indexObjects(rewritten)
	if err != nil {
		return nil, err
	}
	images, byName := kustomizeImages(found)
	patches := newPatchSet()
	podSpecs := map[string]bool{}
	var hooks []string
	hookSeen := map[string]bool{}
	for _, o := range found {
		if o.Mapping.Status != rules.Rewritten {
			continue
		}
		obj, ok := objects[objectKey(o.APIVersion, o.Kind, o.Namespace, o.Name)]
		if !ok {
			return nil, fmt.Errorf("building the flux post-renderer: %s is not in the rewritten output", o.Resource())
		}
		if isHook(obj.node) && !hookSeen[o.Resource()] {
			hookSeen[o.Resource()] = true
			hooks = append(hooks, o.Resource())
		}
		if pullSecrets {
			if m := podSpecOf.FindStringSubmatch(o.Field); m != nil && !podSpecs[o.Resource()+"\x00"+m[1]] {
				podSpecs[o.Resource()+"\x00"+m[1]] = true
				if err := patches.addPullSecrets(o, obj, m[1]); err != nil {
					return nil, err
				}
			}
		}
		if byName[imageName(o.Mapping.Source)] && kustomizeContainerImage.MatchString(o.Field) && o.Kind != "CustomResourceDefinition" {
			continue // the images: entry rewrites it
		}
		if err := patches.replace(o, obj); err != nil {
			return nil, err
		}
	}
	return &FluxPostRenderer{Images: images, Patches: patches.list(), Hooks: hooks}, nil
}

// isHook reports a Helm hook (a helm.sh/hook annotation).
func isHook(obj *yaml.Node) bool {
	return lookupKey(lookupKey(lookupKey(obj, "metadata"), "annotations"), "helm.sh/hook") != nil
}

// imageName is a reference as written without its tag or digest: the name
// kustomize matches an images: entry against.
func imageName(r rules.Ref) string { return strings.TrimSuffix(r.Written, r.Suffix) }

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
		if o.Mapping.Status != rules.Rewritten || !kustomizeContainerImage.MatchString(o.Field) {
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

// patchSet gathers JSON 6902 operations per object, in stream order.
type patchSet struct {
	order []string
	by    map[string]*objectPatch
}

type objectPatch struct {
	target PatchTarget
	ops    []patchOp
	paths  map[string]bool
}

func newPatchSet() *patchSet { return &patchSet{by: map[string]*objectPatch{}} }

func (s *patchSet) object(o rewrite.Occurrence) *objectPatch {
	key := objectKey(o.APIVersion, o.Kind, o.Namespace, o.Name)
	p, ok := s.by[key]
	if !ok {
		group, version := splitAPIVersion(o.APIVersion)
		target := PatchTarget{Group: group, Version: version, Kind: o.Kind, Name: regexp.QuoteMeta(o.Name)}
		if o.Namespace != "" {
			target.Namespace = regexp.QuoteMeta(o.Namespace)
		}
		p = &objectPatch{target: target, paths: map[string]bool{}}
		s.by[key] = p
		s.order = append(s.order, key)
	}
	return p
}

// replace sets the field to the value the rewrite wrote there.
func (s *patchSet) replace(o rewrite.Occurrence, obj indexedObject) error {
	pointer, value, err := obj.lookup(o.Field)
	if err != nil {
		return fmt.Errorf("building the flux post-renderer: %s: %w", o.Resource(), err)
	}
	if value.Kind != yaml.ScalarNode {
		return fmt.Errorf("building the flux post-renderer: %s: %s is not a string in the rewritten output", o.Resource(), o.Field)
	}
	p := s.object(o)
	if !p.paths[pointer] {
		p.paths[pointer] = true
		p.ops = append(p.ops, patchOp{Op: "replace", Path: pointer, Value: value.Value})
	}
	return nil
}

// addPullSecrets sets a pod spec's imagePullSecrets to the rewrite's list
// ("add" replaces a member that exists).
func (s *patchSet) addPullSecrets(o rewrite.Occurrence, obj indexedObject, podSpec string) error {
	pointer, spec, err := obj.lookup(podSpec)
	if err != nil {
		return fmt.Errorf("building the flux post-renderer: %s: %w", o.Resource(), err)
	}
	secrets := lookupKey(spec, "imagePullSecrets")
	if secrets == nil || secrets.Kind != yaml.SequenceNode {
		return nil // not a pod template: the rewrite gave it no secrets
	}
	var list []map[string]string
	if err := secrets.Decode(&list); err != nil {
		return fmt.Errorf("building the flux post-renderer: %s: %s.imagePullSecrets: %w", o.Resource(), podSpec, err)
	}
	s.object(o).ops = append(s.object(o).ops, patchOp{Op: "add", Path: pointer + "/imagePullSecrets", Value: list})
	return nil
}

func (s *patchSet) list() []KustomizePatch {
	var out []KustomizePatch
	for _, key := range s.order {
		p := s.by[key]
		if len(p.ops) == 0 {
			continue
		}
		text, err := yaml.Marshal(p.ops)
		if err != nil {
			panic(err) // strings, lists and maps of strings always marshal
		}
		out = append(out, KustomizePatch{Target: p.target, Patch: string(text)})
	}
	return out
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

// indexedObject is one object of the rewritten stream; prefix is the path
// of a List item ("items[3]"), which kustomize sees as an object of its own.
type indexedObject struct {
	node   *yaml.Node
	prefix string
}

// indexObjects reads the rewritten stream into its objects by identity.
func indexObjects(stream []byte) (map[string]indexedObject, error) {
	objects := map[string]indexedObject{}
	dec := yaml.NewDecoder(bytes.NewReader(stream))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			return objects, nil
		}
		if err != nil {
			return nil, fmt.Errorf("building the flux post-renderer: reading the rewritten manifests: %w", err)
		}
		root := deref(&doc)
		if root == nil || root.Kind != yaml.MappingNode {
			continue
		}
		add := func(n *yaml.Node, prefix string) {
			key := objectKey(scalarAt(n, "apiVersion"), scalarAt(n, "kind"), scalarAt(lookupKey(n, "metadata"), "namespace"), scalarAt(lookupKey(n, "metadata"), "name"))
			objects[key] = indexedObject{node: n, prefix: prefix}
		}
		add(root, "")
		if items := lookupKey(root, "items"); scalarAt(root, "kind") == "List" && items != nil && items.Kind == yaml.SequenceNode {
			for i, item := range items.Content {
				if item = deref(item); item != nil && item.Kind == yaml.MappingNode {
					add(item, "items["+strconv.Itoa(i)+"]")
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
		pointer.WriteString("/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(key))
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

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return nil
		}
	}
	return n
}

func lookupKey(m *yaml.Node, key string) *yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return deref(m.Content[i+1])
		}
	}
	return nil
}

func scalarAt(m *yaml.Node, key string) string {
	if v := lookupKey(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// writeFlux prints the post-renderer as the spec.postRenderers block of a
// HelmRelease.
func writeFlux(w *bufio.Writer, p *Plan) error {
	if p.flux == nil {
		return fmt.Errorf("the flux format needs the rewritten manifests: build the plan with BuildFor")
	}
	fmt.Fprintf(w, "# Flux HelmRelease post-renderer written by helm-airgap (%d images: entries, %d patches).\n", len(p.flux.Images), len(p.flux.Patches))
	fmt.Fprintf(w, "# Mirror the %d image(s) of the plan first; merge this under the HelmRelease's spec\n", len(p.Copies()))
	fmt.Fprintf(w, "# (helm.toolkit.fluxcd.io/v2). Regenerate it whenever the chart or its values change.\n")
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
