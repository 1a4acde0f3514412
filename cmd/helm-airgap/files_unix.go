//go:build unix

package main

import (
	"io/fs"
	"os"
	"syscall"
)

// fileOwner is the user and group that own an input file, so that a file
// rewritten in place by root keeps them.
type fileOwner struct {
	uid, gid int
	known    bool
}

func ownerOf(info fs.FileInfo) fileOwner {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileOwner{}
	}
	return fileOwner{uid: int(st.Uid), gid: int(st.Gid), known: true}
}

// giveTo makes the staged file f belong to the original's owner when it
// does not already (only root can give a file away; the check keeps an
// ordinary user's run from trying).
func (o fileOwner) giveTo(f *os.File) error {
	if !o.known {
		return nil
	}
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if now := ownerOf(info); now.uid == o.uid && now.gid == o.gid {
		return nil
	}
	return f.Chown(o.uid, o.gid)
}

// writableByInvoker reports whether the permission bits let the invoking
// user write the file. Replacing a file by rename needs only a writable
// directory, and root is not held back by permission bits at all, so
// without this check --in-place would rewrite a file its owner made
// read-only. An ordinary user is judged as the kernel would judge opening
// the file for writing; root, who may act for any owner, may rewrite a
// file its owner can write.
func writableByInvoker(info fs.FileInfo) bool {
	owner := ownerOf(info)
	if !owner.known {
		return true
	}
	perm := info.Mode().Perm()
	uid := os.Geteuid()
	switch {
	case uid == 0 || uid == owner.uid:
		return perm&0o200 != 0
	case inGroup(owner.gid):
		return perm&0o020 != 0
	}
	return perm&0o002 != 0
}

func inGroup(gid int) bool {
	if os.Getegid() == gid {
		return true
	}
	groups, _ := os.Getgroups()
	for _, g := range groups {
		if g == gid {
			return true
		}
	}
	return false
}

// processAlive reports whether a process with this id exists, so that the
// staging files of a run still in progress are never taken for leftovers.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// flockDir takes an exclusive lock on a directory, on the directory's own
// descriptor (flock(2) locks directories too), so that no lock file is
// left in the user's tree; without wait, a lock another process holds is
// errDirLocked. The kernel drops the lock with the process, so a run that
// was killed never leaves a directory locked.
func flockDir(dir string, wait bool) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return nil, errDirLocked
		}
		return nil, err
	}
	return func() { f.Close() }, nil // closing the descriptor releases the lock
}
