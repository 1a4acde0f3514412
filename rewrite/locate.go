package rewrite

import "go.yaml.in/yaml/v3"

// A locator finds the image references of one kind of place. The walker
// (walker.go) visits every node of a document once and offers it to each
// locator in turn; a locator records what it finds (walker.strictSite,
// walker.textSite, walker.addPodSpec) and marks scalars it took whole as
// seen, so that the locators after it, which read more loosely, leave
// them alone. Adding a locator is a file of its own and a line in
// locators.
type locator interface {
	// object is offered each Kubernetes object (the document, or an item of
	// a kind: List) before its nodes are walked.
	object(w *walker, obj *yaml.Node) error
	// mapping is offered each mapping before its keys and values are
	// walked.
	mapping(w *walker, m *yaml.Node, at mappingAt) error
	// value is offered each string value no locator has taken yet, with the
	// name it sits under; it reports whether it took the value.
	value(w *walker, n *yaml.Node, name string) (bool, error)
}

// mappingAt is where a mapping sits: under name, and whether it is a pod
// template's spec (which gets imagePullSecrets).
type mappingAt struct {
	name         string
	templateSpec bool
}

// locators are offered every node in this order: the strict places first
// (catalogued fields, pod-spec fields), then the places found by context.
var locators = []locator{
	catalogueLocator{},  // locate_catalogue.go: fields the catalogue names in custom resources
	crdDefaultLocator{}, // locate_crddefault.go: defaults a CRD's schema writes into resources
	podSpecLocator{},    // locate_podspec.go: containers' and image volumes' images
	compositeLocator{},  // locate_composite.go: references split over keys, registry settings
	base64Locator{},     // locate_base64.go: Secret data, binaryData, !!binary values
	textLocator{},       // locate_text.go: embedded YAML/JSON, scripts, flags, lists
	contextLocator{},    // locate_context.go: a value or key taken by the name it sits under
}

// noLocator is embedded by locators to leave the hooks they do not use.
type noLocator struct{}

func (noLocator) object(*walker, *yaml.Node) error                { return nil }
func (noLocator) mapping(*walker, *yaml.Node, mappingAt) error    { return nil }
func (noLocator) value(*walker, *yaml.Node, string) (bool, error) { return false, nil }
