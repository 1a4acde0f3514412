package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxDocumentSize bounds one document; a larger one is an input error
// rather than an unbounded allocation.
const DefaultMaxDocumentSize = 64 << 20

// chunk is one document of the stream exactly as it was read, from its
// "---" marker (if any) up to the next one.
type chunk struct {
	index int    // 0-based position in the stream
	line  int    // 1-based line of the chunk's first byte in the stream
	data  []byte // the bytes, marker and comments included
}

// splitter cuts a YAML stream into documents at "---" marker lines. A marker
// at column 0 always starts a document in YAML, even inside a block scalar,
// so this cut is exact and needs no parse. It reads in large blocks and
// looks for "\n---" with bytes.Index rather than reading line by line: it
// runs on one goroutine ahead of the parsing workers, so its speed bounds
// the whole pipeline's.
type splitter struct {
	r          io.Reader
	max        int
	buf        []byte // buf[start:end] is read and not yet returned
	start, end int
	eof        bool
	line       int // line number of buf[start]
	index      int
}

const readBlock = 1 << 20

func newSplitter(r io.Reader, max int) *splitter {
	if max <= 0 {
		max = DefaultMaxDocumentSize
	}
	return &splitter{r: r, max: max, line: 1}
}

var markerSearch = []byte("\n---")

// next returns the next chunk, or io.EOF.
func (s *splitter) next() (chunk, error) {
	from := s.start // where the search for the next marker resumes
	for {
		if cut, ok := s.findMarker(from); ok {
			return s.take(cut)
		}
		if s.end-s.start > s.max {
			return chunk{}, fmt.Errorf("document %d (line %d): larger than the %s document limit", s.index+1, s.line, formatSize(s.max))
		}
		if s.eof {
			if s.start == s.end {
				return chunk{}, io.EOF
			}
			return s.take(s.end)
		}
		from = max(s.start, s.end-len(markerSearch))
		shifted, err := s.fill()
		from -= shifted
		if err != nil {
			return chunk{}, fmt.Errorf("reading input at line %d: %w", s.line, err)
		}
	}
}

// findMarker finds the next document marker after the chunk's first byte,
// searching from offset from, and returns the offset where the next chunk
// starts (the marker line's first byte).
func (s *splitter) findMarker(from int) (int, bool) {
	for {
		i := bytes.Index(s.buf[from:s.end], markerSearch)
		if i < 0 {
			return 0, false
		}
		at := from + i + 1 // the marker line's first byte
		after := at + 3
		if after == s.end && !s.eof {
			return 0, false // need the next byte to tell "---" from "----"
		}
		if after == s.end || isMarkerEnd(s.buf[after]) {
			return at, true
		}
		from = at
	}
}

func isMarkerEnd(c byte) bool { return c == '\n' || c == '\r' || c == ' ' || c == '\t' }

// take returns buf[start:cut] as a chunk with its own copy of the bytes.
func (s *splitter) take(cut int) (chunk, error) {
	if cut-s.start > s.max {
		return chunk{}, fmt.Errorf("document %d (line %d): larger than the %s document limit", s.index+1, s.line, formatSize(s.max))
	}
	data := append([]byte(nil), s.buf[s.start:cut]...)
	c := chunk{index: s.index, line: s.line, data: data}
	if err := c.checkLineBreaks(); err != nil {
		return chunk{}, err
	}
	s.index++
	s.line += bytes.Count(data, []byte{'\n'})
	s.start = cut
	return c, nil
}

// checkLineBreaks refuses a chunk holding a line break other than LF and
// CRLF. YAML parsers also break lines at a lone CR, NEL (U+0085), LS
// (U+2028) and PS (U+2029) (go.yaml.in/yaml/v3, and so kustomize and
// sigs.k8s.io/yaml, do), while the splitter and every line-based step here
// cut at LF only: "a: b\r---\rkind: Pod" would be one document here and two
// to kubectl. Refusing such input keeps every reader of the stream in
// agreement. A UTF-16 byte order mark is refused for the same reason: the
// parser would decode UTF-16 that the splitter reads as bytes.
func (c chunk) checkLineBreaks() error {
	if bytes.HasPrefix(c.data, []byte("\xff\xfe")) || bytes.HasPrefix(c.data, []byte("\xfe\xff")) {
		return fmt.Errorf("document %d (line %d): UTF-16 input (a byte order mark); convert it to UTF-8", c.index+1, c.line)
	}
	at, what := foreignLineBreak(c.data)
	if at < 0 {
		return nil
	}
	line := c.line + bytes.Count(c.data[:at], []byte{'\n'})
	return fmt.Errorf("document %d (line %d): line %d ends in %s, which YAML parsers read as a line break and helm-airgap does not; use LF or CRLF line ends",
		c.index+1, c.line, line, what)
}

// foreignBreaks are the line breaks YAML knows besides LF and CRLF, by
// their first byte: each names the break when the bytes after that first
// byte complete one.
var foreignBreaks = []struct {
	lead byte
	name func(rest []byte) string
}{
	{'\r', func(rest []byte) string {
		if len(rest) == 0 || rest[0] != '\n' {
			return "a lone carriage return (CR)"
		}
		return ""
	}},
	{0xc2, func(rest []byte) string {
		if len(rest) > 0 && rest[0] == 0x85 {
			return "a next line character (NEL, U+0085)"
		}
		return ""
	}},
	{0xe2, func(rest []byte) string {
		switch {
		case len(rest) < 2 || rest[0] != 0x80:
		case rest[1] == 0xa8:
			return "a line separator (LS, U+2028)"
		case rest[1] == 0xa9:
			return "a paragraph separator (PS, U+2029)"
		}
		return ""
	}},
}

// foreignLineBreak returns the offset of the first line break in data that
// is not LF or CRLF, and what it is; -1 when there is none. Each kind is
// found with bytes.IndexByte, fast enough for the splitter's goroutine.
func foreignLineBreak(data []byte) (int, string) {
	at, what := -1, ""
	for _, b := range foreignBreaks {
		end := len(data)
		if at >= 0 {
			end = at // only an earlier one matters now
		}
		for i := 0; i < end; i++ {
			j := bytes.IndexByte(data[i:end], b.lead)
			if j < 0 {
				break
			}
			i += j
			if name := b.name(data[i+1:]); name != "" {
				at, what = i, name
				break
			}
		}
	}
	return at, what
}

// fill reads another block, first moving the unread bytes to the front of
// the buffer when that frees enough room; it returns how far they moved.
func (s *splitter) fill() (shifted int, err error) {
	if s.start > 0 && s.start >= len(s.buf)/2 {
		shifted = s.start
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	if len(s.buf)-s.end < readBlock {
		grown := make([]byte, max(2*len(s.buf), s.end+readBlock))
		copy(grown, s.buf[:s.end])
		s.buf = grown
	}
	n, err := io.ReadAtLeast(s.r, s.buf[s.end:], 1)
	s.end += n
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		s.eof = true
		return shifted, nil
	}
	return shifted, err
}

// isMarker reports whether a line is a document start marker: "---" alone or
// followed by white space (which may carry content such as "--- |").
func isMarker(line []byte) bool {
	return bytes.HasPrefix(line, []byte("---")) && (len(line) == 3 || isMarkerEnd(line[3]))
}

// formatSize states a byte count in MiB when it is a whole number of them.
func formatSize(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d-byte", n)
}
