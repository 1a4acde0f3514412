package inputs

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// manifestExtensions are the files a directory input contributes.
var manifestExtensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// IsManifest reports whether a file name has a manifest extension (.yaml,
// .yml or .json, in any case): the files a directory input contributes.
func IsManifest(name string) bool {
	return manifestExtensions[strings.ToLower(filepath.Ext(name))]
}

// Expand turns FILE|DIR|- arguments into a list of files ("-" is stdin).
// Directories contribute their manifest files, walked in lexical order so
// the output order is stable. No arguments means stdin.
func Expand(args []string) ([]string, error) {
	if len(args) == 0 {
		return []string{"-"}, nil
	}
	var files []string
	for _, arg := range args {
		if arg == "-" {
			files = append(files, arg)
			continue
		}
		info, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("reading input: %w", err)
		}
		if !info.IsDir() {
			files = append(files, arg)
			continue
		}
		var found []string
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && IsManifest(path) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading input directory %q: %w", arg, err)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// NewReader concatenates the files into one YAML stream, starting each file
// on a new line with a document marker unless it has its own. "-" reads
// stdin. The Reader remembers where each file starts in the stream, so that
// Explain can turn the stream's line numbers in an error into the file's.
func NewReader(stdin io.Reader, files []string) *Reader {
	return &Reader{stdin: stdin, files: files, lastNL: true}
}

// Reader is the concatenated stream of NewReader.
type Reader struct {
	stdin   io.Reader
	files   []string
	current *bufio.Reader
	closer  io.Closer
	started bool // a file has been read already
	lastNL  bool // the last byte read was a newline
	pending []byte

	mu       sync.Mutex // Explain may run while a reader goroutine winds down
	lines    int        // newlines read so far
	segments []segment
}

// segment is where one input starts in the stream.
type segment struct {
	name  string
	from  int // first stream line that belongs to it: its own, or the marker put before it
	first int // stream line of its first line
}

func (s *Reader) Read(p []byte) (int, error) {
	n, err := s.read(p)
	s.mu.Lock()
	s.lines += bytes.Count(p[:n], []byte{'\n'})
	s.mu.Unlock()
	return n, err
}

func (s *Reader) read(p []byte) (int, error) {
	for {
		if len(s.pending) > 0 {
			n := copy(p, s.pending)
			s.pending = s.pending[n:]
			return n, nil
		}
		if s.current == nil {
			if len(s.files) == 0 {
				return 0, io.EOF
			}
			if err := s.open(); err != nil {
				return 0, err
			}
			continue
		}
		n, err := s.current.Read(p)
		if n > 0 {
			s.lastNL = p[n-1] == '\n'
			return n, nil
		}
		if err == io.EOF {
			s.closeCurrent()
			continue
		}
		return n, err
	}
}

func (s *Reader) open() error {
	name := s.files[0]
	s.files = s.files[1:]
	var r io.Reader = s.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("reading input: %w", err)
		}
		r, s.closer = f, f
	}
	s.current = bufio.NewReader(r)
	head, _ := s.current.Peek(4)
	if len(head) == 0 {
		return nil // empty: no lines, no segment, no marker
	}
	seg := segment{name: name, from: 1}
	if s.started {
		if !s.lastNL {
			s.pending = append(s.pending, '\n')
		}
		s.mu.Lock()
		seg.from = s.lines + len(s.pending) + 1 // the line after the one ended by pending's newline
		s.mu.Unlock()
		if !bytes.HasPrefix(head, []byte("---")) || (len(head) == 4 && !strings.ContainsRune(" \t\r\n", rune(head[3]))) {
			s.pending = append(s.pending, "---\n"...)
		}
	}
	seg.first = seg.from + bytes.Count(s.pending, []byte("---\n"))
	s.mu.Lock()
	s.segments = append(s.segments, seg)
	s.mu.Unlock()
	s.started = true
	return nil
}

func (s *Reader) closeCurrent() {
	if s.closer != nil {
		s.closer.Close()
	}
	s.current, s.closer = nil, nil
}

// Locate names the input that holds a line of the stream, and the line in
// it. A document marker put before a file counts as the file's first line.
func (s *Reader) Locate(line int) (name string, fileLine int, ok bool) {
	seg, ok := s.segmentAt(line)
	return seg.name, seg.line(line), ok
}

func (s *Reader) segmentAt(line int) (segment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.segments) - 1; i >= 0; i-- {
		if s.segments[i].from <= line {
			return s.segments[i], true
		}
	}
	return segment{}, false
}

// line turns a stream line into the segment's own numbering.
func (seg segment) line(streamLine int) int { return max(1, streamLine-seg.first+1) }

var (
	streamDocument = regexp.MustCompile(`document [0-9]+ \(line ([0-9]+)\)`)
	streamLine     = regexp.MustCompile(`\bline ([0-9]+)`)
)

// Explain restates an error that cites lines of the stream ("document 13
// (line 244): ...") with the file and its own lines when the stream was
// made of files: `"rendered/b.yaml": document at line 12: ...`. Errors
// without a line, and streams read from stdin alone, are returned as they
// are. Text inside double quotes (quoted input) is left alone. The result
// wraps err, so errors.As and errors.Is see through it.
func (s *Reader) Explain(err error) error {
	if err == nil {
		return nil
	}
	s.mu.Lock()
	named := false
	for _, seg := range s.segments {
		named = named || seg.name != "-"
	}
	s.mu.Unlock()
	if !named {
		return err
	}
	msg := err.Error()
	anchor := streamLine.FindStringSubmatchIndex(unquoted(msg))
	if anchor == nil {
		return err
	}
	line, _ := strconv.Atoi(msg[anchor[2]:anchor[3]])
	seg, ok := s.segmentAt(line)
	if !ok {
		return err
	}
	msg = replaceUnquoted(msg, streamDocument, func(m []string) string { return "document at line " + m[1] })
	msg = replaceUnquoted(msg, streamLine, func(m []string) string {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return m[0]
		}
		return "line " + strconv.Itoa(seg.line(n))
	})
	where := strconv.Quote(seg.name)
	if seg.name == "-" {
		where = "stdin"
	}
	return &explained{msg: where + ": " + msg, err: err}
}

type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// unquoted blanks out double-quoted text (Go's %q quoting, as error
// messages quote input), keeping every offset.
func unquoted(msg string) string {
	b := []byte(msg)
	in := false
	for i := 0; i < len(b); i++ {
		switch {
		case !in && b[i] == '"':
			in = true
		case in && b[i] == '\\' && i+1 < len(b):
			b[i], b[i+1] = ' ', ' '
			i++
		case in && b[i] == '"':
			in = false
		case in:
			b[i] = ' '
		}
	}
	return string(b)
}

// replaceUnquoted replaces the matches of re outside double-quoted text.
func replaceUnquoted(msg string, re *regexp.Regexp, with func(submatches []string) string) string {
	var out strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(unquoted(msg), -1) {
		subs := make([]string, len(m)/2)
		for i := range subs {
			subs[i] = msg[m[2*i]:m[2*i+1]]
		}
		out.WriteString(msg[last:m[0]])
		out.WriteString(with(subs))
		last = m[1]
	}
	out.WriteString(msg[last:])
	return out.String()
}
