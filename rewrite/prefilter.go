package rewrite

import "bytes"

// The prefilter decides, without parsing, that a document cannot hold an
// image reference, so the parse (most of the engine's cost) can be skipped.
// It must never skip a document the parser would find an image in: every
// rule here answers "skip" only when it is certain, and "parse" on any doubt.
// It runs only with Options.SkipImageless; tests and fuzzing compare the outputs.

// mayHoldImages reports whether a document must be parsed: it has a trigger
// (a field name that marks images, or a backslash that could spell one in an
// escaped key) outside block scalar content.
func (p *processor) mayHoldImages(data []byte) bool {
	first := -1
	for _, t := range p.triggers {
		if i := bytes.Index(data, t); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	if first < 0 {
		return false
	}
	return !triggersOnlyInBlockScalars(data, first, p.triggers)
}

// triggersOnlyInBlockScalars reports whether every trigger in data lies in
// the content of a block scalar ("key: |" or "- >-" followed by more-indented
// lines), which is text whatever it says: a ConfigMap that embeds a pod
// manifest, a script. from is the offset of the first trigger. It answers
// false for anything it cannot vouch for: line breaks other than LF and
// CRLF (see chunk.checkLineBreaks), tabs in indentation, quotes or
// brackets left open at the end of a line (multi-line flow or quoted
// scalars), explicit indentation indicators, or a trigger anywhere else.
func triggersOnlyInBlockScalars(data []byte, from int, triggers [][]byte) bool {
	if at, _ := foreignLineBreak(data); at >= 0 {
		return false // lines here end at LF only; the splitter refuses these, but never guess
	}
	inBlock := false
	parent, content := 0, -1 // block scalar: parent indentation, content indentation once known
	for start := 0; start < len(data); {
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start
		}
		line := data[start:end]
		next := end + 1
		indent := leadingSpaces(line)
		blank := len(bytes.TrimSpace(line)) == 0
		if inBlock {
			if blank {
				start = next
				continue
			}
			if indent > parent {
				if content < 0 {
					content = indent
				} else if indent < content {
					return false // less indented than the block's content: let the parser judge
				}
				start = next
				continue
			}
			inBlock = false
		}
		if end > from && hasAny(line, triggers) {
			return false // before the first trigger only the structure matters
		}
		if indent < len(line) && line[indent] == '\t' {
			return false
		}
		if !balanced(line) {
			return false
		}
		if p, ok := blockScalarStart(line, indent); ok {
			inBlock, parent, content = true, p, -1
		} else if p < 0 {
			return false
		}
		start = next
	}
	return true
}

func leadingSpaces(line []byte) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

func hasAny(line []byte, triggers [][]byte) bool {
	for _, t := range triggers {
		if bytes.Contains(line, t) {
			return true
		}
	}
	return false
}

// balanced reports whether a line closes every quote and bracket it opens,
// so that no flow collection or quoted scalar continues on the next line.
// Apostrophes in plain text also count as open quotes: that only means the
// document gets parsed.
func balanced(line []byte) bool {
	var double, single bool
	depth := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case double:
			if c == '\\' {
				i++
			} else if c == '"' {
				double = false
			}
		case single:
			if c == '\'' {
				single = false
			}
		case c == '"':
			double = true
		case c == '\'':
			single = true
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		case c == '#' && (i == 0 || line[i-1] == ' '):
			return depth == 0
		}
	}
	return !double && !single && depth == 0
}

// blockScalarStart recognises a line that opens a block scalar: its last
// token is "|" or ">" with an optional chomping indicator, after "key:" or
// "-". It returns the parent indentation: the column of the key or dash,
// which content lines must exceed. ok is false for ordinary lines; parent is
// -1 when the line opens a block scalar in a form not handled here (an
// explicit indentation indicator, a trailing comment).
func blockScalarStart(line []byte, indent int) (parent int, ok bool) {
	trimmed := bytes.TrimRight(line, " \r")
	if len(trimmed) == 0 {
		return 0, false
	}
	sp := bytes.LastIndexByte(trimmed, ' ')
	token := trimmed[sp+1:]
	if token[0] != '|' && token[0] != '>' {
		if bytes.Contains(trimmed, []byte(": |")) || bytes.Contains(trimmed, []byte(": >")) ||
			bytes.Contains(trimmed, []byte("- |")) || bytes.Contains(trimmed, []byte("- >")) {
			return -1, false // an indicator followed by a comment or more: do not guess
		}
		return 0, false
	}
	if len(token) > 2 || (len(token) == 2 && token[1] != '-' && token[1] != '+') || sp < 0 {
		return -1, false
	}
	head := bytes.TrimRight(trimmed[:sp], " ")
	if len(head) <= indent {
		return -1, false // nothing before the indicator: a document-level or odd scalar
	}
	// The node that owns the scalar: skip "- " entries to reach the key.
	col := indent
	for bytes.HasPrefix(head[col:], []byte("- ")) {
		col += 2 + leadingSpaces(head[col+2:])
	}
	switch {
	case bytes.Equal(head[col:], []byte("-")):
		return col, true
	case len(head) > col && head[len(head)-1] == ':' && plainKey(head[col:len(head)-1]):
		return col, true
	}
	return -1, false
}

// plainKey accepts the simple keys Helm output uses: no quotes, flow
// indicators, anchors, tags or further colons.
func plainKey(key []byte) bool {
	if len(key) == 0 {
		return false
	}
	for _, c := range key {
		switch c {
		case '"', '\'', '{', '}', '[', ']', '&', '*', '!', '#', ':', '?', '|', '>', ',', '@', '`', '%':
			return false
		}
	}
	return key[0] != '-' && key[0] != ' '
}
