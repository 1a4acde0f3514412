package rewrite

import (
	"strconv"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rules/detect"
	"go.yaml.in/yaml/v3"
)

// podSpecLocator takes the images of every pod-spec shaped mapping: a
// mapping holding a list of containers, whatever its kind, which is how
// pod templates embedded in custom resources (Argo Rollouts, KEDA
// ScaledJobs, OpenKruise workloads...) are found. A pod template's spec
// also gets imagePullSecrets. The containers' args, command and env are
// left to the locators by context.
type podSpecLocator struct{ noLocator }

// podImageField is where a pod spec holds images, kept as data as
// kustomize's imagetag filter keeps its field specs: the items of list,
// and the path to the image in each.
type podImageField struct {
	list      string
	path      []string
	container bool // the items are containers (their name names the sites inside them)
}

// podImageFields are the image fields of a pod spec.
var podImageFields = []podImageField{
	{list: "containers", path: []string{keyImage}, container: true},
	{list: "initContainers", path: []string{keyImage}, container: true},
	{list: "ephemeralContainers", path: []string{keyImage}, container: true},
	{list: keyVolumes, path: []string{keyImage, "reference"}},
}

// templateKeys name the parent of a pod template's "spec": a pod spec found
// under one of them gets imagePullSecrets. Other pod-spec shaped mappings
// (such as a Prometheus CR's spec.containers patches) have their images
// rewritten but are not given fields their schema may not have.
var templateKeys = map[string]bool{"template": true}

// podKinds are the kinds whose top-level spec is itself a pod spec.
var podKinds = map[string]bool{"Pod": true}

const (
	keyImage            = "image"
	keyImagePullSecrets = "imagePullSecrets"
	keyVolumes          = "volumes"
	keySpec             = "spec"
)

func (podSpecLocator) mapping(w *walker, m *yaml.Node, at mappingAt) error {
	if w.skip || !holdsContainers(m) {
		return nil
	}
	if at.templateSpec && w.host == nil {
		if err := w.addPodSpec(m); err != nil {
			return err
		}
	}
	// Outside pod templates (a Prometheus CR's container patches) an image
	// may be left out as null.
	nullOK := !at.templateSpec
	for _, f := range podImageFields {
		if err := f.images(w, m, nullOK); err != nil {
			return err
		}
	}
	return nil
}

// holdsContainers reports whether a mapping is pod-spec shaped.
func holdsContainers(m *yaml.Node) bool {
	for _, f := range podImageFields {
		if list := yamlnode.Lookup(m, f.list); f.container && list != nil && list.Kind == yaml.SequenceNode {
			return true
		}
	}
	return false
}

// images takes the field's image in every item of its list.
func (f podImageField) images(w *walker, spec *yaml.Node, nullOK bool) error {
	list := yamlnode.Lookup(spec, f.list)
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil
	}
	for i, item := range list.Content {
		item = yamlnode.Resolve(item)
		name := yamlnode.ScalarAt(item, "name")
		if f.container {
			if item.Kind != yaml.MappingNode {
				continue
			}
			w.containers[item] = name
		} else {
			name = "volume " + name
		}
		img := item
		for _, key := range f.path {
			img = yamlnode.Lookup(img, key)
		}
		if img == nil {
			continue
		}
		field := w.fieldPath(append([]string{f.list + "[" + strconv.Itoa(i) + "]"}, f.path...)...)
		if err := takePodImage(w, img, name, field, nullOK); err != nil {
			return err
		}
	}
	return nil
}

// takePodImage takes a pod spec's image; inside embedded text (a pod template
// in a ConfigMap) it is found like any image-named value instead, since the
// text may hold templates of its own.
func takePodImage(w *walker, img *yaml.Node, container, field string, nullOK bool) error {
	if w.host == nil {
		return w.strictSite(img, container, field, nullOK)
	}
	img = yamlnode.Resolve(img)
	if isString(img) && !w.seen[img] {
		w.seen[img] = true
		if _, ok := detect.Classify(img.Value, detect.Context{Strict: true}, w.catalogue.IsPlaceholder); ok {
			w.textSite(img, 0, len(img.Value), siteImage, container, field)
		}
	}
	return nil
}
