package mirror

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// An archive read from a tar is extracted into $TMPDIR/.helm-airgap-archive-*
// with a lock file beside it (the same name plus ".lock") that the run
// holds until it removes both. A run killed with SIGKILL cannot remove
// them; its lock dies with it, so the next run finds the lock free and
// removes what it guarded.
const (
	extractPrefix = ".helm-airgap-archive-"
	lockSuffix    = ".lock"
	// unlockedAge is how old an extraction with no lock file (left by a
	// helm-airgap from before the lock files) must be to be removed.
	unlockedAge = 24 * time.Hour
)

// newExtractDir makes an extraction directory in parent ($TMPDIR when
// empty), first removing the ones whose run is gone. cleanup removes it
// and releases its lock.
func newExtractDir(parent string) (dir string, cleanup func(), err error) {
	if parent == "" {
		parent = os.TempDir()
	}
	removeStaleExtractions(parent)
	lf, err := os.CreateTemp(parent, extractPrefix+"*"+lockSuffix)
	if err != nil {
		return "", nil, err
	}
	lockPath := lf.Name()
	lf.Close()
	lock := flock.New(lockPath)
	if err := lock.Lock(); err != nil {
		os.Remove(lockPath)
		return "", nil, err
	}
	dir = strings.TrimSuffix(lockPath, lockSuffix)
	if err := os.Mkdir(dir, 0o700); err != nil {
		lock.Unlock()
		os.Remove(lockPath)
		return "", nil, err
	}
	return dir, func() {
		os.RemoveAll(dir)
		os.Remove(lockPath)
		lock.Unlock()
	}, nil
}

// removeStaleExtractions removes the extractions of runs that are gone: a
// lock file nobody holds, or (from older versions) no lock file and a day
// old. Failures are ignored: this is housekeeping.
func removeStaleExtractions(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, extractPrefix) || !e.IsDir() {
			continue
		}
		dir := filepath.Join(parent, name)
		lock := flock.New(dir + lockSuffix)
		if _, err := os.Stat(dir + lockSuffix); err != nil {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > unlockedAge {
				os.RemoveAll(dir)
			}
			continue
		}
		if ok, err := lock.TryLock(); err == nil && ok {
			os.RemoveAll(dir)
			os.Remove(dir + lockSuffix)
			lock.Unlock()
		}
	}
}
