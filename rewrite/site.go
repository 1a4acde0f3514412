package rewrite

import (
	"github.com/plexicus/helm-airgap/internal/k8syaml"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
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

// hostText is text embedded in a document scalar (the host), being walked.
type hostText struct {
	node   *yaml.Node    // the document scalar every edit lands in
	enc    encoding      // how node's value holds the text
	self   *yaml.Node    // a synthetic node standing for the whole text (base64 data), or nil
	spl    *splicer      // over the text, to place its nodes' values
	toHost func(int) int // an offset in the text -> an offset in node's (decoded) value, or -1
	path   string        // the host's field path
	depth  int
}

// locate maps the span [s, e) of n's value, n a node of the embedded text,
// to the host's value, or returns -1s when the value is not spelt exactly.
func (h *hostText) locate(n *yaml.Node, s, e int) (int, int) {
	if n == h.self {
		return h.toHost(s), h.toHost(e)
	}
	if h.spl == nil {
		return -1, -1 // decoded text with no parse of its own (base64 data): only self is placed
	}
	ts, te := h.spl.valueByte(n, s), h.spl.valueByte(n, e)
	if ts < 0 || te < 0 {
		return -1, -1
	}
	return h.toHost(ts), h.toHost(te)
}

// makeSite builds a site for the span [s, e) of n's value, n being a
// document scalar or a node of the embedded text being walked.
func (w *walker) makeSite(n *yaml.Node, s, e int, kind siteKind, container, field string) site {
	if container == "" {
		container = w.container
	}
	st := site{node: n, start: s, end: e, value: n.Value[s:e], kind: kind, container: container, field: field, res: w.res}
	if w.host != nil {
		st.node, st.enc = w.host.node, w.host.enc
		st.start, st.end = w.host.locate(n, s, e)
		if st.start < 0 || st.end < 0 {
			st.start, st.end = 0, 0
			st.refuse = "it sits in embedded text whose bytes do not spell it plainly (escaped or folded), so it cannot be rewritten exactly"
		}
	}
	return st
}

// textSite records the span [s, e) of n's value.
func (w *walker) textSite(n *yaml.Node, s, e int, kind siteKind, container, field string) {
	w.sites = append(w.sites, w.makeSite(n, s, e, kind, container, field))
}

// strictSite records a scalar that can only hold an image: a container's or
// volume's image, a catalogued field. Anything but a string is an error: a
// template left unquoted ("image: {{ .Values.x }}" parses as a mapping), a
// list, null or a number would reach the cluster as something no runtime
// can pull, and rewriting "1.0" or "true" would change its type. Null is
// accepted only where the caller says a patch may leave the image out.
func (w *walker) strictSite(n *yaml.Node, container, field string, nullOK bool) error {
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
			w.doc.where(), w.res, where, describe(n), w.doc.streamLine(n.Line))
	}
	w.seen[n] = true
	if w.catalogue.IsPlaceholder(n.Value) {
		return nil
	}
	st := w.makeSite(n, 0, len(n.Value), siteImage, container, field)
	st.strict = true
	w.sites = append(w.sites, st)
	return nil
}

// addPodSpec records a mapping that gets imagePullSecrets. Pull secrets are
// merged into a list; anything else but an empty value is a mistake that
// merging would hide or make worse.
func (w *walker) addPodSpec(m *yaml.Node) error {
	if ps := yamlnode.Lookup(m, keyImagePullSecrets); ps != nil && ps.Kind != yaml.SequenceNode && !yamlnode.IsNull(ps) {
		return inputErrorf("%s: %s: %s: want a list of {name: SECRET}, found %s",
			w.doc.where(), w.res, w.fieldPath(keyImagePullSecrets), describe(ps))
	}
	w.pods = append(w.pods, podSpec{node: m, res: w.res, field: w.fieldPath()})
	return nil
}

// isString reports whether a node is a string spelt as it is read: not
// binary data.
func isString(n *yaml.Node) bool {
	return k8syaml.ReadsAsString(n) && n.Tag != tagBinary
}

const tagBinary = "!!binary"
