package rewrite

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// edit replaces del bytes at offset at with text.
type edit struct {
	at, del int
	text    string
}

// splicer places edits into a document's original bytes at the positions
// the parser reported, so that everything else stays byte-identical. Each
// placement first checks that the bytes at the position are exactly what the
// parsed node says; any doubt (escapes, multi-line or block scalars, flow
// collections it cannot extend) returns false and the caller re-encodes.
type splicer struct {
	data   []byte
	lines  []int // byte offset of each line's start, built on first use
	edits  []edit
	blocks map[*yaml.Node]*literalBlock // literal block scalars' lines (literalLines)
}

// offset converts the parser's 1-based line and column (counted in
// characters) to a byte offset, or -1.
func (s *splicer) offset(line, column int) int {
	if s.lines == nil {
		s.lines = append(s.lines, 0)
		for i, b := range s.data {
			if b == '\n' {
				s.lines = append(s.lines, i+1)
			}
		}
	}
	if line < 1 || line > len(s.lines) || column < 1 {
		return -1
	}
	o := s.lines[line-1]
	for c := 1; c < column; c++ {
		if o >= len(s.data) || s.data[o] == '\n' {
			return -1
		}
		_, size := utf8.DecodeRune(s.data[o:])
		o += size
	}
	return o
}

// scalarSpan returns the byte range of a single-line scalar's content (inside
// its quotes) when that content is exactly its value, so that value offsets
// are byte offsets.
func (s *splicer) scalarSpan(n *yaml.Node) (start, end int, ok bool) {
	o := s.offset(n.Line, n.Column)
	if o < 0 || strings.ContainsAny(n.Value, "\n\r") {
		return 0, 0, false
	}
	if n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 {
		o = s.skipProperties(o)
	}
	switch n.Style &^ yaml.TaggedStyle {
	case 0:
		end = o + len(n.Value)
		if end <= len(s.data) && string(s.data[o:end]) == n.Value {
			return o, end, true
		}
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		quote := byte('"')
		if n.Style == yaml.SingleQuotedStyle {
			quote = '\''
		}
		end = o + 1 + len(n.Value)
		if o < len(s.data) && s.data[o] == quote && end < len(s.data) && s.data[end] == quote &&
			string(s.data[o+1:end]) == n.Value && !bytes.ContainsAny(s.data[o+1:end], `\'"`) {
			return o + 1, end, true
		}
	}
	return 0, 0, false
}

// skipProperties steps over the anchor ("&name") and tag ("!!str") that the
// parser's column points at, to where the scalar's text starts on the same
// line. The text found there is still compared with the value.
func (s *splicer) skipProperties(o int) int {
	for o < len(s.data) && (s.data[o] == '&' || s.data[o] == '!') {
		for o < len(s.data) && strings.IndexByte(" \t\r\n", s.data[o]) < 0 {
			o++
		}
		for o < len(s.data) && (s.data[o] == ' ' || s.data[o] == '\t') {
			o++
		}
	}
	return o
}

// replace puts text in place of n.Value[start:end], which must not span
// lines.
func (s *splicer) replace(n *yaml.Node, start, end int, text string) bool {
	from, to := s.valueByte(n, start), s.valueByte(n, end)
	if from < 0 || to < 0 || to-from != end-start || strings.Contains(n.Value[start:end], "\n") {
		return false
	}
	s.edits = append(s.edits, edit{at: from, del: end - start, text: text})
	return true
}

// lineStart returns the offset of the start of the line holding offset o.
func (s *splicer) lineStart(o int) int {
	return bytes.LastIndexByte(s.data[:o], '\n') + 1
}

// eol is the line ending the document uses.
func (s *splicer) eol() string {
	if i := bytes.IndexByte(s.data, '\n'); i > 0 && s.data[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// isBlank reports whether b holds only spaces and tabs.
func isBlank(b []byte) bool {
	return len(bytes.Trim(b, " \t")) == 0
}

// insertPullSecrets adds an imagePullSecrets key holding names to a pod spec
// mapping that has none: as the first key of a block mapping, or after the
// brace of a flow (JSON) mapping.
func (s *splicer) insertPullSecrets(m *yaml.Node, names []string) bool {
	if len(m.Content) == 0 {
		return false
	}
	if m.Style&yaml.FlowStyle != 0 {
		o := s.offset(m.Line, m.Column)
		if o >= 0 && (m.Anchor != "" || m.Style&yaml.TaggedStyle != 0) {
			o = s.skipProperties(o)
		}
		if o < 0 || o >= len(s.data) || s.data[o] != '{' {
			return false
		}
		text := `"imagePullSecrets": [` + flowItems(names) + `], `
		s.edits = append(s.edits, edit{at: o + 1, text: text})
		return true
	}
	first := m.Content[0]
	o := s.offset(first.Line, first.Column)
	if o < 0 {
		return false
	}
	line := s.lineStart(o)
	if !isBlank(s.data[line:o]) {
		return false
	}
	indent := string(s.data[line:o])
	// Go above the first key's own comments, so they stay with it.
	for line > 0 {
		prev := s.lineStart(line - 1)
		text := bytes.TrimLeft(s.data[prev:line], " \t")
		if len(bytes.TrimSpace(text)) != 0 && text[0] != '#' {
			break
		}
		line = prev
	}
	eol := s.eol()
	var b strings.Builder
	b.WriteString(indent + keyImagePullSecrets + ":" + eol)
	dash := indent + s.sequenceIndent(m)
	for _, name := range names {
		b.WriteString(dash + "- name: " + quoteName(name) + eol)
	}
	s.edits = append(s.edits, edit{at: line, text: b.String()})
	return true
}

// sequenceIndent follows the document's own style: "  " when the pod spec's
// containers list is indented below its key, "" when it is flush with it.
func (s *splicer) sequenceIndent(spec *yaml.Node) string {
	for i := 0; i+1 < len(spec.Content); i += 2 {
		key, list := spec.Content[i], spec.Content[i+1]
		if list.Kind != yaml.SequenceNode || len(list.Content) == 0 || list.Style&yaml.FlowStyle != 0 {
			continue
		}
		if dash, ok := s.dashColumn(list.Content[0]); ok {
			if dash > key.Column {
				return strings.Repeat(" ", dash-key.Column)
			}
			return ""
		}
	}
	return "  "
}

// dashColumn finds the column of the "- " that introduces a sequence item
// written on the same line as its dash.
func (s *splicer) dashColumn(item *yaml.Node) (int, bool) {
	o := s.offset(item.Line, item.Column)
	if o < 0 {
		return 0, false
	}
	line := s.lineStart(o)
	before := bytes.TrimRight(s.data[line:o], " \t")
	if len(before) == 0 || before[len(before)-1] != '-' || !isBlank(before[:len(before)-1]) {
		return 0, false
	}
	return len(before), true
}

// appendPullSecrets adds names after the last item of an existing block
// imagePullSecrets sequence, in the same indentation as its items.
func (s *splicer) appendPullSecrets(seq *yaml.Node, names []string) bool {
	if seq.Kind != yaml.SequenceNode || seq.Style&yaml.FlowStyle != 0 || len(seq.Content) == 0 {
		return false
	}
	last := seq.Content[len(seq.Content)-1]
	dash, ok := s.dashColumn(last)
	if !ok {
		return false
	}
	end, ok := s.nodeEnd(last)
	if !ok {
		return false
	}
	at := len(s.data)
	rest := s.data[end:]
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest, at = rest[:i], end+i+1
	}
	if tail := bytes.TrimLeft(rest, " \t}],\r"); len(tail) > 0 && tail[0] != '#' {
		return false
	}
	eol := s.eol()
	var b strings.Builder
	if at == len(s.data) && (at == 0 || s.data[at-1] != '\n') {
		b.WriteString(eol)
	}
	for _, name := range names {
		b.WriteString(strings.Repeat(" ", dash-1) + "- name: " + quoteName(name) + eol)
	}
	s.edits = append(s.edits, edit{at: at, text: b.String()})
	return true
}

// appendFlowPullSecrets adds names at the end of a flow (JSON-style)
// imagePullSecrets sequence, "[]" included, in JSON syntax so that a JSON
// document stays JSON.
func (s *splicer) appendFlowPullSecrets(seq *yaml.Node, names []string) bool {
	if seq.Kind != yaml.SequenceNode {
		return false
	}
	o := s.offset(seq.Line, seq.Column)
	if o >= 0 && (seq.Anchor != "" || seq.Style&yaml.TaggedStyle != 0) {
		o = s.skipProperties(o)
	}
	if o < 0 || o >= len(s.data) || s.data[o] != '[' {
		return false
	}
	end, ok := s.flowEnd(o)
	if !ok {
		return false
	}
	// Insert after the last item, before any white space that precedes "]".
	at := end
	for at > o+1 && strings.IndexByte(" \t\r\n", s.data[at-1]) >= 0 {
		at--
	}
	text := flowItems(names)
	switch {
	case len(seq.Content) == 0 && at == o+1:
	case len(seq.Content) > 0 && s.data[at-1] != ',':
		text = ", " + text
	default:
		return false // a trailing comma or something unexpected
	}
	s.edits = append(s.edits, edit{at: at, text: text})
	return true
}

// flowEnd returns the offset of the bracket that closes the flow collection
// opening at o. It follows quoted scalars and nesting; a comment inside the
// collection is beyond what it vouches for.
func (s *splicer) flowEnd(o int) (int, bool) {
	depth := 0
	prev := byte('[') // the last significant byte: a quote starts a scalar only after an indicator
	for i := o; i < len(s.data); i++ {
		c := s.data[i]
		switch {
		case c == '"' && strings.IndexByte("[{,:?", prev) >= 0:
			for i++; i < len(s.data) && s.data[i] != '"'; i++ {
				if s.data[i] == '\\' {
					i++
				}
			}
			if i >= len(s.data) {
				return 0, false
			}
		case c == '\'' && strings.IndexByte("[{,:?", prev) >= 0:
			for i++; i < len(s.data) && s.data[i] != '\''; i++ {
			}
			if i >= len(s.data) {
				return 0, false
			}
		case c == '#' && i > 0 && strings.IndexByte(" \t\r\n", s.data[i-1]) >= 0:
			return 0, false
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
			if depth == 0 {
				return i, (c == ']') == (s.data[o] == '[')
			}
		}
		if strings.IndexByte(" \t\r\n", c) < 0 {
			prev = c
		}
	}
	return 0, false
}

// replaceNullPullSecrets replaces an explicit null ("null", "~") value of
// imagePullSecrets with a flow list of names.
func (s *splicer) replaceNullPullSecrets(n *yaml.Node, names []string) bool {
	if n.Style != 0 || n.Value == "" {
		return false
	}
	start, end, ok := s.scalarSpan(n)
	if !ok {
		return false
	}
	s.edits = append(s.edits, edit{at: start, del: end - start, text: "[" + flowItems(names) + "]"})
	return true
}

// nodeEnd is the offset just past the text of n: its last scalar (closing
// quote included) or its closing bracket when a flow collection ends it. It
// fails on anything else (an alias, an empty block collection).
func (s *splicer) nodeEnd(n *yaml.Node) (int, bool) {
	for {
		switch {
		case n.Kind == yaml.ScalarNode:
			_, end, ok := s.scalarSpan(n)
			if ok && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
				end++ // the closing quote
			}
			return end, ok
		case (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && n.Style&yaml.FlowStyle != 0:
			o := s.offset(n.Line, n.Column)
			if o < 0 {
				return 0, false
			}
			if n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 {
				o = s.skipProperties(o)
			}
			if o >= len(s.data) || (s.data[o] != '{' && s.data[o] != '[') {
				return 0, false
			}
			end, ok := s.flowEnd(o)
			return end + 1, ok
		case (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && len(n.Content) > 0:
			n = n.Content[len(n.Content)-1]
		default:
			return 0, false
		}
	}
}

// apply returns the document with every edit placed, or the original bytes
// when there are none.
func (s *splicer) apply() []byte {
	if len(s.edits) == 0 {
		return s.data
	}
	sort.SliceStable(s.edits, func(i, j int) bool { return s.edits[i].at < s.edits[j].at })
	size := len(s.data)
	for _, e := range s.edits {
		size += len(e.text) - e.del
	}
	out := make([]byte, 0, size)
	pos := 0
	for _, e := range s.edits {
		out = append(out, s.data[pos:e.at]...)
		out = append(out, e.text...)
		pos = e.at + e.del
	}
	return append(out, s.data[pos:]...)
}

// quoteName writes a name as a YAML string: plain when every YAML reader
// takes it for one, double-quoted otherwise. YAML 1.1 readers
// (sigs.k8s.io/yaml, which kubectl and Helm use) read y, n, yes, no, on and
// off as booleans where go.yaml.in/yaml/v3 reads strings, and both read
// true, null, ~ and numbers as other types; so a plain name starts with a
// letter, holds only letters, digits, '.', '-' and '_', and is none of
// those words.
func quoteName(name string) string {
	if readsAsString(name) {
		return name
	}
	return doubleQuoted(name)
}

func readsAsString(name string) bool {
	switch strings.ToLower(name) {
	case "y", "yes", "n", "no", "on", "off", "true", "false", "null":
		return false
	}
	for i, c := range name {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_')) {
			return false
		}
	}
	return name != ""
}

// doubleQuoted writes s as a JSON string, which is also a YAML
// double-quoted scalar, whatever s holds.
func doubleQuoted(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// flowItems writes names as the JSON items of a flow imagePullSecrets list.
func flowItems(names []string) string {
	items := make([]string, len(names))
	for i, name := range names {
		items[i] = `{"name": ` + doubleQuoted(name) + `}`
	}
	return strings.Join(items, ", ")
}

// valueByte maps offset i (0 to len) of n's value to the offset in s.data of
// the byte that spells it, or returns -1. It knows single-line scalars spelt
// exactly and literal block scalars ("|"), whose lines are the value's lines
// behind a fixed indentation; folded, escaped and multi-line flow scalars
// are not spelt byte for byte and return -1.
func (s *splicer) valueByte(n *yaml.Node, i int) int {
	if i < 0 || i > len(n.Value) {
		return -1
	}
	if start, end, ok := s.scalarSpan(n); ok {
		if i > end-start {
			return -1
		}
		return start + i
	}
	if n.Kind != yaml.ScalarNode || n.Style&yaml.LiteralStyle == 0 {
		return -1
	}
	block, ok := s.literalLines(n)
	if !ok {
		return -1
	}
	// The line holding offset i: the last line starting at or before it.
	line := sort.SearchInts(block.valueStarts, i+1) - 1
	if line < 0 || line >= len(block.starts) || block.starts[line] < 0 {
		return -1
	}
	return block.starts[line] + i - block.valueStarts[line]
}

// literalBlock is where a literal block scalar's lines are: starts[k] is the
// offset in s.data where line k's text starts (-1 for a line of white space),
// valueStarts[k] the offset in the value where it starts. valueByte looks a
// line up by binary search, so a block dense with references is linear.
type literalBlock struct {
	starts, valueStarts []int
}

// literalLines returns where a literal block scalar's lines are, after
// checking that every line is spelt in s.data exactly.
func (s *splicer) literalLines(n *yaml.Node) (*literalBlock, bool) {
	if s.blocks == nil {
		s.blocks = map[*yaml.Node]*literalBlock{}
	}
	if block, ok := s.blocks[n]; ok {
		return block, block != nil
	}
	var block *literalBlock
	if starts := s.spellLiteral(n); starts != nil {
		block = &literalBlock{starts: starts, valueStarts: lineOffsets(n.Value, len(starts))}
	}
	s.blocks[n] = block
	return block, block != nil
}

// lineOffsets lists where each of the first n lines of v starts.
func lineOffsets(v string, n int) []int {
	offsets := make([]int, 0, n)
	for at := 0; len(offsets) < n; {
		offsets = append(offsets, at)
		nl := strings.IndexByte(v[at:], '\n')
		if nl < 0 {
			break
		}
		at += nl + 1
	}
	return offsets
}

func (s *splicer) spellLiteral(n *yaml.Node) []int {
	o := s.offset(n.Line, n.Column)
	if o >= 0 && (n.Anchor != "" || n.Style&yaml.TaggedStyle != 0) {
		o = s.skipProperties(o)
	}
	if o < 0 || o >= len(s.data) || s.data[o] != '|' {
		return nil
	}
	nl := bytes.IndexByte(s.data[o:], '\n')
	if nl < 0 {
		return nil
	}
	pos := o + nl + 1 // the first content line
	lines := strings.Split(strings.TrimRight(n.Value, "\n"), "\n")
	indent := -1
	starts := make([]int, len(lines))
	for k, want := range lines {
		if pos > len(s.data) {
			return nil
		}
		end := len(s.data)
		if e := bytes.IndexByte(s.data[pos:], '\n'); e >= 0 {
			end = pos + e
		}
		got := bytes.TrimSuffix(s.data[pos:end], []byte{'\r'})
		if want == "" {
			if !isBlank(got) {
				return nil
			}
			starts[k] = -1
			pos = end + 1
			continue
		}
		if indent < 0 {
			indent = len(got) - len(bytes.TrimLeft(got, " ")) - (len(want) - len(strings.TrimLeft(want, " ")))
			if indent < 0 {
				return nil
			}
		}
		if len(got) != indent+len(want) || !isBlank(got[:indent]) || string(got[indent:]) != want {
			return nil
		}
		starts[k] = pos + indent
		pos = end + 1
	}
	return starts
}
