package inputs

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
// stdin.
func NewReader(stdin io.Reader, files []string) io.Reader {
	return &streamReader{stdin: stdin, files: files, lastNL: true}
}

type streamReader struct {
	stdin   io.Reader
	files   []string
	current *bufio.Reader
	closer  io.Closer
	started bool // a file has been read already
	lastNL  bool // the last byte read was a newline
	pending []byte
}

func (s *streamReader) Read(p []byte) (int, error) {
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

func (s *streamReader) open() error {
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
	if s.started {
		head, _ := s.current.Peek(4)
		if len(head) > 0 && !s.lastNL {
			s.pending = append(s.pending, '\n')
		}
		if len(head) > 0 && (!bytes.HasPrefix(head, []byte("---")) || (len(head) == 4 && !strings.ContainsRune(" \t\r\n", rune(head[3])))) {
			s.pending = append(s.pending, "---\n"...)
		}
	}
	s.started = true
	return nil
}

func (s *streamReader) closeCurrent() {
	if s.closer != nil {
		s.closer.Close()
	}
	s.current, s.closer = nil, nil
}
