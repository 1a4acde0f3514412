package rewrite

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// spool holds the finished stream until the last document has passed, so
// that a failure leaves the real output empty. It keeps the documents'
// output slices themselves (no copy) up to limit bytes, and moves everything
// to a temporary file beyond that, which keeps memory bounded by the largest
// document rather than the stream.
//
// The temporary file is removed from its directory as soon as it is
// created, where the system allows (every Unix): the open file keeps its
// data, and the system frees it when the process ends however it ends (a
// broken pipe, SIGTERM, SIGINT, SIGHUP, SIGKILL), so that no exit path
// leaves the rewritten stream behind. Where an open file cannot be removed
// (Windows), Close removes it.
type spool struct {
	limit    int
	chunks   [][]byte
	inMem    int
	file     *os.File
	w        *bufio.Writer
	size     int64
	unlinked bool // the file has no name any more
}

// add takes ownership of p: the caller must not change it afterwards.
func (s *spool) add(p []byte) error {
	s.size += int64(len(p))
	if s.file == nil && s.inMem+len(p) <= s.limit {
		s.chunks = append(s.chunks, p)
		s.inMem += len(p)
		return nil
	}
	if s.file == nil {
		if err := s.spill(); err != nil {
			return err
		}
	}
	if _, err := s.w.Write(p); err != nil {
		return fmt.Errorf("holding output in a temporary file: %w", err)
	}
	return nil
}

// spill moves what is held in memory to a new temporary file.
func (s *spool) spill() error {
	f, err := os.CreateTemp("", "helm-airgap-*.yaml")
	if err != nil {
		return fmt.Errorf("holding output in a temporary file: %w", err)
	}
	s.unlinked = os.Remove(f.Name()) == nil
	s.file, s.w = f, bufio.NewWriterSize(f, 1<<20)
	for _, c := range s.chunks {
		if _, err := s.w.Write(c); err != nil {
			return fmt.Errorf("holding output in a temporary file: %w", err)
		}
	}
	s.chunks, s.inMem = nil, 0
	return nil
}

// Len is the number of bytes held.
func (s *spool) Len() int64 { return s.size }

// WriteTo copies everything held to w.
func (s *spool) WriteTo(w io.Writer) (int64, error) {
	if s.file == nil {
		bw := bufio.NewWriterSize(w, 256<<10)
		var n int64
		for _, c := range s.chunks {
			m, err := bw.Write(c)
			n += int64(m)
			if err != nil {
				return n, err
			}
		}
		return n, bw.Flush()
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
	if s.unlinked {
		return nil
	}
	return os.Remove(name)
}
