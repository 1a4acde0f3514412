package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Options tune where and how a file is staged. The zero value stages beside
// the destination under ".NAME.*.tmp" with mode 0600.
type Options struct {
	// Perm is the mode of the new file, set exactly (the umask plays no
	// part); 0 keeps the temporary file's 0600.
	Perm fs.FileMode
	// Dir is where the temporary file is made; it must be on the
	// destination's file system. Default: the destination's directory.
	Dir string
	// Pattern names the temporary file as os.CreateTemp does ("*" is
	// replaced by a random string). Default: ".NAME.*.tmp", which keeps it
	// hidden and recognisable as a leftover of NAME.
	Pattern string
}

// TempPattern is the default pattern for the temporary file of path.
func TempPattern(path string) string { return "." + filepath.Base(path) + ".*.tmp" }

// File is a staged file: write to it (it is an *os.File), then Commit or
// Abort. Close flushes and closes it without committing, so that many
// files can be prepared before any is renamed into place.
type File struct {
	*os.File
	path   string
	closed bool
	done   bool // committed or aborted
}

// Stage creates the temporary file for path.
func Stage(path string, o Options) (*File, error) {
	dir, pattern := o.Dir, o.Pattern
	if dir == "" {
		dir = filepath.Dir(path)
	}
	if pattern == "" {
		pattern = TempPattern(path)
	}
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	f := &File{File: tmp, path: path}
	if o.Perm != 0 {
		if err := tmp.Chmod(o.Perm); err != nil {
			f.Abort()
			return nil, err
		}
	}
	return f, nil
}

// Path is the name the file is committed to.
func (f *File) Path() string { return f.path }

// Close flushes the content to disk and closes the temporary file; it
// stays until Commit or Abort. A second Close does nothing.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	err := f.File.Sync() // the data must be on disk before a rename makes it the file
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	return err
}

// Commit closes the file (if Close was not called) and renames it over its
// path. On failure the temporary file is removed and the path keeps what
// it held.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: " + f.path + " was already committed or aborted")
	}
	if err := f.Close(); err != nil {
		f.Abort()
		return err
	}
	// On Windows os.Rename replaces an existing file too (MoveFileEx with
	// MOVEFILE_REPLACE_EXISTING), once every handle to the new one is
	// closed, as it is here.
	if err := os.Rename(f.File.Name(), f.path); err != nil {
		f.Abort()
		return err
	}
	f.done = true
	syncDir(filepath.Dir(f.path))
	return nil
}

// Abort removes the temporary file. After Commit it does nothing, so it
// may be deferred.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	f.Close()
	err := os.Remove(f.File.Name())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// syncDir makes a rename in dir durable where the system allows it (not on
// Windows, where a directory cannot be opened for syncing); a failure only
// weakens durability after a crash, never the all-or-nothing replacement,
// so it is not reported.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// WriteFunc stages path, lets write fill it, and commits it; when write
// fails nothing is renamed and the temporary file is removed.
func WriteFunc(path string, o Options, write func(io.Writer) error) error {
	f, err := Stage(path, o)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return err
	}
	return f.Commit()
}

// Write replaces path with data.
func Write(path string, data []byte, o Options) error {
	return WriteFunc(path, o, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
