package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/plexicus/helm-airgap/internal/k8syaml"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"go.yaml.in/yaml/v3"
)

// InputError is bad input: malformed YAML, a document that is not an object,
// a reference that does not parse. The CLI exits 2 on it.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ExitCode is 2, the CLI's code for usage, config and input errors.
func (e *InputError) ExitCode() int { return 2 }

func inputErrorf(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// document is one parsed chunk.
type document struct {
	chunk
	root    *yaml.Node // the top-level mapping; nil for a document with no content
	doc     *yaml.Node // the DocumentNode wrapping root
	reading k8syaml.Reading
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// where names a chunk for messages: "document 3 (line 40)".
func (c chunk) where() string {
	return fmt.Sprintf("document %d (line %d)", c.index+1, c.line)
}

// streamLine turns a line number within the chunk into one within the stream.
func (c chunk) streamLine(line int) int { return c.line + line - 1 }

// parse decodes a chunk. A chunk with only comments and blank lines has no
// root and passes through as it is.
func parse(c chunk) (*document, error) {
	d := &document{chunk: c}
	if blank(c.data) {
		// The parser rejects a tab on an otherwise empty line; white space
		// is no content, whatever it is made of.
		return d, nil
	}
	if err := c.checkSeparators(); err != nil {
		return nil, err
	}
	var node yaml.Node
	if err := decodeOne(c.data, &node); err != nil {
		if errors.Is(err, io.EOF) {
			return d, nil
		}
		if errors.Is(err, errTrailing) {
			return nil, inputErrorf("%s: unexpected content after the document end marker \"...\"", c.where())
		}
		return nil, inputErrorf("%s: invalid YAML: %s", c.where(), c.absoluteLines(err.Error()))
	}
	if len(node.Content) == 0 {
		return d, nil
	}
	reading, err := k8syaml.Normalize(&node, c.nodeBudget())
	if err != nil {
		return nil, c.kubernetesError(&node, err)
	}
	d.reading = reading
	root := node.Content[0]
	if yamlnode.IsNull(root) {
		return d, nil
	}
	if yamlnode.Resolve(root).Kind != yaml.MappingNode {
		return nil, inputErrorf("%s: expected a Kubernetes object (a mapping), found %s", c.where(), describe(root))
	}
	d.root, d.doc = yamlnode.Resolve(root), &node
	return d, nil
}

// nodeBudget bounds the nodes one walk of the chunk may visit, aliases
// expanded: ten per byte is far beyond any real document, and an alias
// bomb (a few lines that expand to millions of nodes) stops there.
func (c chunk) nodeBudget() int { return 10*len(c.data) + 10000 }

// checkSeparators refuses a line that begins with "---" and goes on with
// anything but white space or a comment ("---kind: Pod", "--- {a: b}",
// "----"). YAML reads some of them as content, but Kubernetes' YAML reader
// (kubectl, Helm's install, Argo CD, the API machinery's decoders) reads a
// line starting with "---" as a document separator and refuses one with
// content after it: judging such a stream here would judge documents no
// cluster will see.
func (c chunk) checkSeparators() error {
	for at := 0; at < len(c.data); {
		if bytes.HasPrefix(c.data[at:], []byte("---")) {
			end := bytes.IndexByte(c.data[at:], '\n')
			if end < 0 {
				end = len(c.data) - at
			}
			line := c.data[at : at+end]
			if rest := bytes.TrimSpace(line[3:]); len(rest) > 0 && rest[0] != '#' {
				n := c.line + bytes.Count(c.data[:at], []byte{'\n'})
				return inputErrorf("%s: line %d begins with \"---\" and goes on with %q; Kubernetes' YAML reader (kubectl, Helm, Argo CD) refuses anything but a comment after a document separator",
					c.where(), n, truncate(string(rest), 40))
			}
		}
		next := bytes.Index(c.data[at:], []byte("\n---"))
		if next < 0 {
			return nil
		}
		at += next + 1
	}
	return nil
}

// checkKubernetes proves, where the two YAML libraries could disagree
// (merges, tags, anchors, what Kubernetes cannot read), that the tree the
// engine walked is the one Kubernetes reads: a document read differently,
// or one Kubernetes cannot read, is refused. It runs after the walk, so
// that an error about what a field holds (an unquoted template) comes
// first.
func (d *document) checkKubernetes() error {
	if !d.reading.Differs() {
		return nil
	}
	return d.kubernetesError(d.doc, k8syaml.Check(d.data, d.doc))
}

// kubernetesError names the document, resource and line of a reading
// error.
func (c chunk) kubernetesError(node *yaml.Node, err error) error {
	var kerr *k8syaml.Error
	if !errors.As(err, &kerr) {
		return err
	}
	name := "document"
	if len(node.Content) > 0 && yamlnode.Resolve(node.Content[0]).Kind == yaml.MappingNode {
		name = yamlnode.Identify(yamlnode.Resolve(node.Content[0])).String()
	}
	where := kerr.Path
	if where == "" {
		where = "the document"
	}
	if kerr.Line > 0 {
		where += fmt.Sprintf(" (line %d)", c.streamLine(kerr.Line))
	}
	return inputErrorf("%s: %s: %s: %s; refusing it", c.where(), name, where, kerr.Msg)
}

var errTrailing = errors.New("content after the document end marker")

// blank reports whether a chunk holds nothing but white space, after an
// optional bare "---" marker line.
func blank(data []byte) bool {
	if isMarker(data) {
		rest := bytes.TrimLeft(data[3:], " \t")
		if len(rest) > 0 && rest[0] != '\n' && rest[0] != '\r' {
			return false // content on the marker line
		}
		data = rest
	}
	return len(bytes.TrimSpace(data)) == 0
}

// decodeOne decodes the chunk's single document. Unmarshal parses from the
// byte slice directly, which is much faster than a Decoder; the Decoder is
// needed only when a "..." end marker could be followed by another document.
func decodeOne(data []byte, node *yaml.Node) error {
	if !bytes.Contains(data, []byte("\n...")) && !bytes.HasPrefix(data, []byte("...")) {
		if err := yaml.Unmarshal(data, node); err != nil {
			return err
		}
		if node.Kind == 0 {
			return io.EOF
		}
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(node); err != nil {
		return err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errTrailing
	}
	return nil
}

// absoluteLines rewrites "line N" in a parser message to the stream's numbering.
func (c chunk) absoluteLines(msg string) string {
	return yamlLine.ReplaceAllStringFunc(msg, func(s string) string {
		n, err := strconv.Atoi(strings.TrimPrefix(s, "line "))
		if err != nil {
			return s
		}
		return "line " + strconv.Itoa(c.streamLine(n))
	})
}

// resource identifies a Kubernetes object for messages; the YAML node
// helpers are internal/yamlnode's, shared with egress and the KRM function.
type resource = yamlnode.Resource

func describe(n *yaml.Node) string {
	switch yamlnode.Resolve(n).Kind {
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.Tag == tagBinary {
			return fmt.Sprintf("the !!binary value %q", truncate(n.Value, 40))
		}
		return fmt.Sprintf("the scalar %q", truncate(n.Value, 40))
	default:
		return "something else"
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
