package rewrite

import (
	"errors"
	"io"
	"strings"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rules/detect"
	"github.com/plexicus/helm-airgap/rules/reference"
	"go.yaml.in/yaml/v3"
)

// textLocator reads a value that may hold several tokens: text embedded in
// a value (YAML or JSON documents, properties and env files, shell
// scripts, flag lists, reference lists). A YAML or JSON document is walked
// like the manifest, its paths continuing the host's after " > "; other
// text is read token by token, each token under the name that introduces
// it ("NAME=", a "--flag" before it, a "key:"). A reference inside
// embedded text is spliced at its own bytes, so every other byte of the
// embedded file stays as it was; one that cannot be placed exactly (an
// escaped JSON string, a folded scalar) is refused by name.
type textLocator struct{ noLocator }

// maxEmbedDepth bounds text embedded in text embedded in text.
const maxEmbedDepth = 4

func (textLocator) value(w *walker, n *yaml.Node, name string) (bool, error) {
	if !isText(n.Value) {
		return false, nil
	}
	if neverReference(n.Value, name) {
		return true, nil
	}
	return true, text(w, n, name, w.names.role(name))
}

// text scans a value that may hold several tokens: as an embedded YAML or
// JSON document when it is one, else token by token.
func text(w *walker, n *yaml.Node, name string, role detect.Role) error {
	v := n.Value
	if !mayHoldReference(v, role) {
		return nil
	}
	if strings.Contains(v, `\`) {
		escaped(w, n, name, role)
	}
	if looksStructured(v) {
		done, err := embedded(w, n)
		if done || err != nil {
			return err
		}
	}
	tokens(w, n, name, role)
	return nil
}

// escapes are the spellings of "/" that JSON and YAML text may use; a
// reference spelt with one cannot be spliced, so it is refused.
var escapes = strings.NewReplacer(`\/`, "/", `\u002f`, "/", `\u002F`, "/", `\x2f`, "/", `\x2F`, "/")

// escaped scans text with its escaped slashes unescaped; whatever it finds
// there that the plain scan cannot see is refused by name.
func escaped(w *walker, n *yaml.Node, name string, role detect.Role) {
	plain := escapes.Replace(n.Value)
	if plain == n.Value {
		return
	}
	shadow := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: plain}
	before := len(w.sites)
	tokens(w, shadow, name, role)
	for i := before; i < len(w.sites); i++ {
		s := &w.sites[i]
		if strings.Contains(n.Value, s.value) {
			continue // spelt plainly too: the plain scan takes it
		}
		s.node, s.start, s.end, s.enc = n, 0, 0, plainText
		if w.host != nil {
			s.node, s.enc = w.host.node, w.host.enc
		}
		s.refuse = "it is spelt with escaped slashes, so it cannot be rewritten exactly"
	}
	kept := w.sites[:before]
	for _, s := range w.sites[before:] {
		if s.refuse != "" {
			kept = append(kept, s)
		}
	}
	w.sites = kept
}

// looksStructured reports whether a value may be a YAML or JSON document.
func looksStructured(v string) bool {
	t := strings.TrimLeft(v, " \t\r\n")
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") || strings.Contains(v, "\n")
}

// embedded walks a value that parses as YAML or JSON holding a mapping or a
// sequence; it reports false when the value is not such a document.
func embedded(w *walker, n *yaml.Node) (bool, error) {
	depth := 0
	if w.host != nil {
		depth = w.host.depth + 1
	}
	if depth >= maxEmbedDepth {
		return false, nil
	}
	docs, ok := parseEmbedded(n.Value)
	if !ok {
		return false, nil
	}
	h := &hostText{spl: &splicer{data: []byte(n.Value)}, path: w.fieldPath(), depth: depth}
	if parent := w.host; parent == nil {
		h.node, h.toHost = n, func(i int) int { return i }
	} else {
		h.node, h.enc = parent.node, parent.enc
		h.toHost = func(i int) int {
			s, _ := parent.locate(n, i, i)
			return s
		}
	}
	return true, w.within(h, func() error {
		for _, doc := range docs {
			if err := w.walk(doc, "", false, false); err != nil {
				return err
			}
		}
		return nil
	})
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
func tokens(w *walker, n *yaml.Node, name string, role detect.Role) {
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
		token(w, n, tok, at, ctx)
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
func token(w *walker, n *yaml.Node, tok string, at int, ctx string) {
	if strings.Contains(tok, "://") || strings.IndexByte(tok, '/') < 0 && !hasImageWord(ctx) {
		return
	}
	field := w.fieldPath()
	role := w.names.role(ctx)
	switch role {
	case detect.RoleRepository, detect.RoleHub:
		if detect.ClassifyRepository(tok, false) {
			w.textSite(n, at, at+len(tok), siteRepository, "", field)
			return
		}
	}
	if _, ok := detect.Classify(tok, detect.Context{Role: role, Flag: detect.TakesBareName(ctx)}, w.catalogue.IsPlaceholder); ok {
		w.textSite(n, at, at+len(tok), siteImage, "", field)
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
