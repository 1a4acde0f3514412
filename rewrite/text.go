package rewrite

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/plexicus/helm-airgap/internal/k8syaml"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rules/detect"
	"github.com/plexicus/helm-airgap/rules/reference"
	"go.yaml.in/yaml/v3"
)

// Strings are found by context (detect.Classify) wherever they are: plain
// values, text embedded in a value (YAML or JSON documents, properties and
// env files, shell scripts, lists), and base64 Secret data. A reference
// inside embedded text is spliced at its own bytes, so every other byte of
// the embedded file stays as it was; one that cannot be placed exactly (an
// escaped JSON string, a folded scalar) is refused by name.

// maxEmbedDepth bounds text embedded in text embedded in text.
const maxEmbedDepth = 4

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

// nameRoles caches detect.NameRole for one run: the same few keys recur in
// every document. It stops growing at maxCachedNames, so hostile input with
// endless distinct keys cannot grow it without bound.
type nameRoles struct {
	m sync.Map
	n atomic.Int64
}

const maxCachedNames = 1 << 16

func (c *nameRoles) role(name string) detect.Role {
	if name == "" {
		return detect.RoleNone
	}
	if r, ok := c.m.Load(name); ok {
		return r.(detect.Role)
	}
	r := detect.NameRole(name)
	if c.n.Add(1) <= maxCachedNames {
		c.m.Store(name, r)
	}
	return r
}

// makeSite builds a site for the span [s, e) of n's value, n being a
// document scalar or a node of the embedded text being walked.
func (f *finder) makeSite(n *yaml.Node, s, e int, kind siteKind, container, field string) site {
	if container == "" {
		container = f.container
	}
	st := site{node: n, start: s, end: e, value: n.Value[s:e], kind: kind, container: container, field: field, res: f.res}
	if f.host != nil {
		st.node, st.enc = f.host.node, f.host.enc
		st.start, st.end = f.host.locate(n, s, e)
		if st.start < 0 || st.end < 0 {
			st.start, st.end = 0, 0
			st.refuse = "it sits in embedded text whose bytes do not spell it plainly (escaped or folded), so it cannot be rewritten exactly"
		}
	}
	return st
}

// textSite records the span [s, e) of n's value.
func (f *finder) textSite(n *yaml.Node, s, e int, kind siteKind, container, field string) {
	f.sites = append(f.sites, f.makeSite(n, s, e, kind, container, field))
}

// scalar looks at a string value found under name.
// Kubernetes reads a "!!binary" value as its decoded bytes, so such a value
// in a manifest is scanned like a Secret's data; in embedded text it is the
// application's, and stays unread.
func (f *finder) scalar(n *yaml.Node, name string) error {
	if f.skip || n.Value == "" || f.seen[n] || !k8syaml.ReadsAsString(n) {
		return nil
	}
	if n.Tag == tagBinary {
		if f.host != nil {
			return nil
		}
		return f.secretData(n, name)
	}
	if f.host == nil && f.base64Data() {
		return f.secretData(n, name)
	}
	return f.value(n, name)
}

// base64Data reports whether the value being walked is base64 data of its
// object: a Secret's data or a ConfigMap's binaryData, at the top of the
// document or as an item of a kind: List.
func (f *finder) base64Data() bool {
	if f.res == nil || len(f.path) != f.objectDepth+2 {
		return false
	}
	field := f.path[f.objectDepth].key
	return f.res.Kind == "Secret" && field == "data" || f.res.Kind == "ConfigMap" && field == "binaryData"
}

const tagBinary = "!!binary"

// isString reports whether a node is a string spelt as it is read: not
// binary data.
func isString(n *yaml.Node) bool {
	return k8syaml.ReadsAsString(n) && n.Tag != tagBinary
}

// value looks at a string value: a whole reference, a repository or
// prefix under a name that says so, or text holding references.
func (f *finder) value(n *yaml.Node, name string) error {
	v := n.Value
	if strings.IndexByte(v, '/') < 0 && !nameMayMatter(name) && !mentionsImage(v) && !mentionsRegistry(v) {
		return nil // no explicit registry, no role in the name, no name of an image or registry in it: never a reference
	}
	role := f.names.role(name)
	if isText(v) {
		return f.text(n, name, role)
	}
	if strings.IndexByte(v, '/') < 0 && role == detect.RoleNone {
		return nil // no explicit registry and no image-named context: never a reference
	}
	switch role {
	case detect.RoleRepository, detect.RoleHub:
		if detect.ClassifyRepository(v, hasImageWord(name)) {
			kind := siteRepository
			if role == detect.RoleHub {
				kind = sitePrefix
			}
			f.textSite(n, 0, len(v), kind, "", f.fieldPath())
			return nil
		}
	case detect.RoleRegistry:
		if f.registrySetting(name, v) {
			f.textSite(n, 0, len(v), sitePrefix, "", f.fieldPath())
			return nil
		}
	}
	if _, ok := detect.Classify(v, detect.Context{Role: role, Flag: detect.TakesBareName(name)}, f.catalogue.IsPlaceholder); ok {
		f.textSite(n, 0, len(v), siteImage, "", f.fieldPath())
	}
	return nil
}

// registrySetting reports whether a registry-named value is a registry
// that images are pulled from: a registry host under any registry-named key
// ("imageRegistry", an operator's "container-registry" from which it builds
// every image it creates), unless the catalogue knows the setting only
// normalises names. It is rewritten to its mapped prefix, or refused.
func (f *finder) registrySetting(name, v string) bool {
	return isRegistryHost(v) && !f.catalogue.NormalisesOnly(name)
}

// hasImageWord reports whether a name mentions images ("imageRegistry",
// "IMAGE_REGISTRY", "--sidecar-image"), in any case.
func hasImageWord(name string) bool { return containsAnyFold(name, imageWord) }

var imageWord = []string{"image"}

// mentionsImage is hasImageWord for values, which may be long text: a few
// substring searches instead of a byte-by-byte pass ("image", "Image" and
// "IMAGE", as names in text spell it).
func mentionsImage(v string) bool {
	return strings.Contains(v, "mage") || strings.Contains(v, "MAGE")
}

// isRegistryHost reports whether s is a bare registry host (with a port).
func isRegistryHost(s string) bool {
	return !strings.Contains(s, "/") && (strings.ContainsAny(s, ".:") || s == "localhost") && detect.ClassifyRepository(s+"/x", false)
}

// isText reports whether a value may hold more than one token.
func isText(v string) bool {
	return strings.ContainsAny(v, " \t\r\n,;=\"'") || (len(v) > 0 && (v[0] == '{' || v[0] == '['))
}

// mayHoldReference is the cheap test before text is scanned: a reference
// there names its registry (a slash) or sits under an image-named name, or
// the text names a registry setting (an operator's "container-registry").
func mayHoldReference(v string, role detect.Role) bool {
	return role == detect.RoleImage || strings.IndexByte(v, '/') >= 0 || mentionsImage(v) || mentionsRegistry(v)
}

// mentionsRegistry is mentionsImage for registry settings.
func mentionsRegistry(v string) bool {
	return strings.Contains(v, "egistr") || strings.Contains(v, "EGISTR")
}

// nameMayMatter is the cheap test before a name's role is looked up: every
// role word (image, repository, registry, hub, prefix, tag, version, digest)
// has one of these pieces in it, in any case.
func nameMayMatter(name string) bool { return containsAnyFold(name, roleWords) }

var roleWords = []string{"mage", "epo", "egistr", "ub", "refix", "ag", "ersion", "igest"}

// compositeWords are the pieces of the names of a composite's parts.
var compositeWords = []string{"epo", "egistr", "hub", "refix"}

// containsAnyFold reports whether s holds one of the lower-case ASCII words
// in any case, in one pass over s.
func containsAnyFold(s string, words []string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		for _, w := range words {
			if w[0] == c && hasPrefixFold(s[i:], w) {
				return true
			}
		}
	}
	return false
}

func hasPrefixFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for j := 0; j < len(lower); j++ {
		if s[j]|0x20 != lower[j] {
			return false
		}
	}
	return true
}

// text scans a value that may hold several tokens: as an embedded YAML or
// JSON document when it is one, else token by token.
func (f *finder) text(n *yaml.Node, name string, role detect.Role) error {
	v := n.Value
	if !mayHoldReference(v, role) {
		return nil
	}
	if strings.Contains(v, `\`) {
		f.escaped(n, name, role)
	}
	if looksStructured(v) {
		done, err := f.embedded(n)
		if done || err != nil {
			return err
		}
	}
	f.tokens(n, name, role)
	return nil
}

// escapes are the spellings of "/" that JSON and YAML text may use; a
// reference spelt with one cannot be spliced, so it is refused.
var escapes = strings.NewReplacer(`\/`, "/", `\u002f`, "/", `\u002F`, "/", `\x2f`, "/", `\x2F`, "/")

// escaped scans text with its escaped slashes unescaped; whatever it finds
// there that the plain scan cannot see is refused by name.
func (f *finder) escaped(n *yaml.Node, name string, role detect.Role) {
	plain := escapes.Replace(n.Value)
	if plain == n.Value {
		return
	}
	shadow := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: plain}
	before := len(f.sites)
	f.tokens(shadow, name, role)
	for i := before; i < len(f.sites); i++ {
		s := &f.sites[i]
		if strings.Contains(n.Value, s.value) {
			continue // spelt plainly too: the plain scan takes it
		}
		s.node, s.start, s.end, s.enc = n, 0, 0, plainText
		if f.host != nil {
			s.node, s.enc = f.host.node, f.host.enc
		}
		s.refuse = "it is spelt with escaped slashes, so it cannot be rewritten exactly"
	}
	kept := f.sites[:before]
	for _, s := range f.sites[before:] {
		if s.refuse != "" {
			kept = append(kept, s)
		}
	}
	f.sites = kept
}

// looksStructured reports whether a value may be a YAML or JSON document.
func looksStructured(v string) bool {
	t := strings.TrimLeft(v, " \t\r\n")
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") || strings.Contains(v, "\n")
}

// embedded walks a value that parses as YAML or JSON holding a mapping or a
// sequence; it reports false when the value is not such a document.
func (f *finder) embedded(n *yaml.Node) (bool, error) {
	depth := 0
	if f.host != nil {
		depth = f.host.depth + 1
	}
	if depth >= maxEmbedDepth {
		return false, nil
	}
	docs, ok := parseEmbedded(n.Value)
	if !ok {
		return false, nil
	}
	h := &hostText{spl: &splicer{data: []byte(n.Value)}, path: f.fieldPath(), depth: depth}
	if parent := f.host; parent == nil {
		h.node, h.toHost = n, func(i int) int { return i }
	} else {
		h.node, h.enc = parent.node, parent.enc
		h.toHost = func(i int) int {
			s, _ := parent.locate(n, i, i)
			return s
		}
	}
	savedHost, savedPath, savedSkip := f.host, f.path, f.skip
	f.host, f.path = h, nil
	defer func() { f.host, f.path, f.skip = savedHost, savedPath, savedSkip }()
	for _, doc := range docs {
		if err := f.walk(doc, "", false, false); err != nil {
			return true, err
		}
	}
	return true, nil
}

// parseEmbedded parses text as a stream of YAML (or JSON) documents whose
// roots are mappings or sequences. Anything else is not embedded data.
func parseEmbedded(text string) ([]*yaml.Node, bool) {
	dec := yaml.NewDecoder(strings.NewReader(text))
	var roots []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || len(doc.Content) == 0 {
			return nil, false
		}
		root := yamlnode.Resolve(doc.Content[0])
		if root.Kind != yaml.MappingNode && root.Kind != yaml.SequenceNode {
			return nil, false
		}
		roots = append(roots, root)
	}
	return roots, len(roots) > 0
}

// secretData looks at one value of a Secret's data: base64 text whose
// decoded content is scanned like any value (embedded documents and
// tokens included) and written back encoded. The decoded text stands in a
// synthetic node that is the host's whole value.
func (f *finder) secretData(n *yaml.Node, name string) error {
	decoded, err := base64.StdEncoding.DecodeString(n.Value)
	if err != nil || !utf8.Valid(decoded) || bytes.IndexByte(decoded, 0) >= 0 {
		return nil // not base64 text: binary data holds no reference
	}
	self := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(decoded)}
	savedHost, savedPath := f.host, f.path
	f.host = &hostText{node: n, enc: base64Text, self: self, toHost: func(i int) int { return i }, path: f.fieldPath()}
	f.path = nil // the host's path names the value
	defer func() { f.host, f.path = savedHost, savedPath }()
	return f.value(self, name)
}

// tokenByte reports whether c may be part of a reference or a name=value
// token in text.
func tokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-' || c == '/' || c == ':' || c == '@' || c == '='
}

// tokens scans text token by token. A token's name is what introduces it:
// "NAME=" ("--engine-image=REF", "3.8.0=REF", "-consul-image=\"REF\""), a
// "--flag" before it, a "key:" before it, or, when the whole text is a
// list of references, the name the text sits under.
func (f *finder) tokens(n *yaml.Node, name string, role detect.Role) {
	v := n.Value
	listName := ""
	if (role == detect.RoleImage || role == detect.RoleRepository || role == detect.RoleHub) && isReferenceList(v) {
		listName = name
	}
	pending := "" // a name waiting for the token after it
	weak := false // the name came from "key:" in text, which prose also writes
	for i := 0; i < len(v); {
		if !tokenByte(v[i]) {
			i++
			continue
		}
		start := i
		for i < len(v) && tokenByte(v[i]) {
			i++
		}
		tok, at := v[start:i], start
		ctx, ctxWeak := pending, weak
		pending, weak = "", false
		if k, val, ok := strings.Cut(tok, "="); ok {
			if val == "" {
				pending = k // NAME="REF": the quoted token after it
				continue
			}
			ctx, ctxWeak, tok, at = k, false, val, start+len(k)+1
		} else if strings.HasSuffix(tok, ":") && len(tok) > 1 && !strings.Contains(tok, "/") {
			pending, weak = tok[:len(tok)-1], true
			continue
		} else if strings.HasPrefix(tok, "-") {
			pending = tok
			continue
		}
		if ctx == "" {
			ctx = listName
		}
		if ctxWeak && !strings.ContainsAny(tok, "/:@") {
			continue // "image: to override" is prose; "image: nginx:1.25" names an image
		}
		tok, at = trimTransport(tok, at)
		f.token(n, tok, at, ctx)
	}
}

// trimTransport drops a "docker://" transport prefix (skopeo, crane).
func trimTransport(tok string, at int) (string, int) {
	if rest, ok := strings.CutPrefix(tok, "docker://"); ok {
		return rest, at + len("docker://")
	}
	return tok, at
}

// token classifies one token of text found under ctx.
func (f *finder) token(n *yaml.Node, tok string, at int, ctx string) {
	if strings.Contains(tok, "://") || strings.IndexByte(tok, '/') < 0 && !hasImageWord(ctx) {
		return
	}
	field := f.fieldPath()
	role := f.names.role(ctx)
	switch role {
	case detect.RoleRepository, detect.RoleHub:
		if detect.ClassifyRepository(tok, false) {
			f.textSite(n, at, at+len(tok), siteRepository, "", field)
			return
		}
	}
	if _, ok := detect.Classify(tok, detect.Context{Role: role, Flag: detect.TakesBareName(ctx)}, f.catalogue.IsPlaceholder); ok {
		f.textSite(n, at, at+len(tok), siteImage, "", field)
	}
}

// isReferenceList reports whether text is only references separated by
// commas, semicolons or white space.
func isReferenceList(v string) bool {
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	if len(fields) == 0 {
		return false
	}
	for _, s := range fields {
		if _, err := reference.Parse(s); err != nil {
			return false
		}
	}
	return true
}

// composites finds image references split over the keys of one mapping:
// registry + repository (+ tag), repository + tag, hub + tag, and their
// flat forms ("trivy.repository" + "trivy.tag", "imageRegistry" +
// "imageRepository"). The repository (or registry and repository, or hub)
// is rewritten; the tag stays where it is.
func (f *finder) composites(m *yaml.Node, name string) {
	parentImage := f.names.role(name) == detect.RoleImage
	namedImage := parentImage && namesTaggedImage(m)
	if !hasCompositeKey(m) && !namedImage {
		return
	}
	var order []string
	groups := map[string]*compositeParts{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], yamlnode.Resolve(m.Content[i+1])
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			continue
		}
		role, prefix := f.names.role(k.Value), detect.RolePrefix(k.Value)
		if namedImage && k.Value == "name" {
			role, prefix = detect.RoleRepository, ""
		}
		if role == detect.RoleNone || role == detect.RoleImage {
			continue
		}
		g := groups[prefix]
		if g == nil {
			g = &compositeParts{}
			groups[prefix] = g
			order = append(order, prefix)
		}
		p := part{key: k.Value, node: v}
		switch role {
		case detect.RoleRegistry:
			g.registry = p
		case detect.RoleRepository:
			g.repository = p
		case detect.RoleHub:
			g.hub = p
		case detect.RoleTag:
			g.tagged = true
		}
	}
	for _, prefix := range order {
		f.composite(groups[prefix], parentImage || hasImageWord(prefix))
	}
}

// namesTaggedImage reports whether a mapping under an image-named key is
// image: {name: REPOSITORY, tag|version|digest: TAG}, as injectors and
// custom resources spell an image in two keys. Without the tag, "name" is
// a reference to another object (imageCatalogRef: {name: ...}).
func namesTaggedImage(m *yaml.Node) bool {
	if yamlnode.Lookup(m, "name") == nil {
		return false
	}
	for _, tag := range []string{"tag", "version", "digest"} {
		if yamlnode.Lookup(m, tag) != nil {
			return true
		}
	}
	return false
}

// part is one key of a composite and its value.
type part struct {
	key  string
	node *yaml.Node
}

// compositeParts are the keys of one mapping that share a prefix.
type compositeParts struct {
	registry, repository, hub part
	tagged                    bool
}

// hasCompositeKey is the cheap test before composites: a repository,
// registry, hub or prefix key.
func hasCompositeKey(m *yaml.Node) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if containsAnyFold(m.Content[i].Value, compositeWords) {
			return true
		}
	}
	return false
}

// composite records one group of composite parts.
func (f *finder) composite(g *compositeParts, implicit bool) {
	str := func(p part) bool {
		return p.node != nil && isString(p.node) && p.node.Value != "" && !f.seen[p.node]
	}
	site := func(p part, kind siteKind) site {
		f.seen[p.node] = true
		return f.makeSite(p.node, 0, len(p.node.Value), kind, "", f.fieldPath(p.key))
	}
	registry, repository, hub := g.registry, g.repository, g.hub
	switch {
	case str(registry) && str(repository) && (implicit || g.tagged) && isRegistryHost(registry.node.Value) &&
		detect.ClassifyRepository(registry.node.Value+"/"+repository.node.Value, false):
		reg := site(registry, sitePair)
		repo := site(repository, sitePair)
		repo.partner, repo.value = &reg, registry.node.Value+"/"+repository.node.Value
		f.sites = append(f.sites, repo)
	case str(repository) && (implicit || g.tagged) && detect.ClassifyRepository(repository.node.Value, implicit):
		f.sites = append(f.sites, site(repository, siteRepository))
	case str(hub) && (implicit || g.tagged) && detect.ClassifyRepository(hub.node.Value, implicit):
		f.sites = append(f.sites, site(hub, sitePrefix))
	case str(registry) && repository.node == nil && hub.node == nil && f.registrySetting(registry.key, registry.node.Value):
		f.sites = append(f.sites, site(registry, sitePrefix))
	}
}
