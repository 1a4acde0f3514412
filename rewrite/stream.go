package rewrite

import (
	"bufio"
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
// so this cut is exact and needs no parse.
type splitter struct {
	r       *bufio.Reader
	max     int
	line    int // next line number to be read
	index   int
	pending []byte // a marker line read ahead, which starts the next chunk
	done    bool
}

func newSplitter(r io.Reader, max int) *splitter {
	if max <= 0 {
		max = DefaultMaxDocumentSize
	}
	return &splitter{r: bufio.NewReaderSize(r, 256<<10), max: max, line: 1}
}

// next returns the next chunk, or io.EOF.
func (s *splitter) next() (chunk, error) {
	if s.done {
		return chunk{}, io.EOF
	}
	c := chunk{index: s.index, line: s.line}
	var buf []byte
	if s.pending != nil {
		buf, s.pending = s.pending, nil
		c.line--
	}
	for {
		line, err := s.readLine()
		if len(line) > 0 {
			if isMarker(line) && len(buf) > 0 {
				s.pending = append([]byte(nil), line...)
				s.line++
				break
			}
			if len(buf)+len(line) > s.max {
				return chunk{}, fmt.Errorf("document %d (line %d): larger than the %s document limit", c.index+1, c.line, formatSize(s.max))
			}
			buf = append(buf, line...)
			s.line++
		}
		if err == io.EOF {
			s.done = true
			break
		}
		if err != nil {
			return chunk{}, fmt.Errorf("reading input at line %d: %w", s.line, err)
		}
	}
	if len(buf) == 0 {
		return chunk{}, io.EOF
	}
	c.data = buf
	s.index++
	return c, nil
}

// readLine returns one line including its newline, however long. The slice
// is only valid until the next call.
func (s *splitter) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	long := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		if len(long) > s.max {
			return nil, fmt.Errorf("line %d is longer than the %s document limit", s.line, formatSize(s.max))
		}
		line, err = s.r.ReadSlice('\n')
		long = append(long, line...)
	}
	return long, err
}

// isMarker reports whether a line is a document start marker: "---" alone or
// followed by white space (which may carry content such as "--- |").
func isMarker(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := line[3:]
	return len(rest) == 0 || rest[0] == '\n' || rest[0] == '\r' || rest[0] == ' ' || rest[0] == '\t'
}

// formatSize states a byte count in MiB when it is a whole number of them.
func formatSize(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d-byte", n)
}
