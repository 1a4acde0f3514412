//go:build !unix

package main

import (
	"io/fs"
	"os"
)

// fileOwner is not tracked where files have no Unix owner.
type fileOwner struct{}

func ownerOf(fs.FileInfo) fileOwner           { return fileOwner{} }
func (fileOwner) giveTo(*os.File) error       { return nil }
func writableByInvoker(info fs.FileInfo) bool { return info.Mode().Perm()&0o200 != 0 }

// processAlive cannot tell here, so leftovers are never removed.
func processAlive(int) bool { return true }

// flockDir takes no lock here: concurrent runs on one directory are not
// kept apart on this system (docs/cli.md says so).
func flockDir(string, bool) (func(), error) { return func() {}, nil }
