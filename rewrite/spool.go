package rewrite

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
)

// spool holds the finished stream until the last document has passed, so
// that a failure leaves the real output empty. It keeps up to limit bytes in
// memory and moves to a temporary file beyond that, which keeps memory
// bounded by the largest document rather than the stream.
type spool struct {
	limit int
	mem   bytes.Buffer
	file  *os.File
	w     *bufio.Writer
	size  int64
}

func (s *spool) Write(p []byte) (int, error) {
	s.size += int64(len(p))
	if s.file == nil && s.mem.Len()+len(p) <= s.limit {
		return s.mem.Write(p)
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "helm-airgap-*.yaml")
		if err != nil {
			return 0, fmt.Errorf("holding output in a temporary file: %w", err)
		}
		s.file, s.w = f, bufio.NewWriterSize(f, 1<<20)
		if _, err := s.mem.WriteTo(s.w); err != nil {
			return 0, fmt.Errorf("holding output in a temporary file: %w", err)
		}
	}
	return s.w.Write(p)
}

// Len is the number of bytes held.
func (s *spool) Len() int64 { return s.size }

// WriteTo copies everything held to w.
func (s *spool) WriteTo(w io.Writer) (int64, error) {
	if s.file == nil {
		return s.mem.WriteTo(w)
	}
	if err := s.w.Flush(); err != nil {
		return 0, fmt.Errorf("holding output in a temporary file: %w", err)
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, s.file)
}

// Close removes the temporary file, if any.
func (s *spool) Close() error {
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	s.file.Close()
	return os.Remove(name)
}
