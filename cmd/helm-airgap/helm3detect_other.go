//go:build !linux && !darwin

package main

import "os"

// processInfo cannot read the process table here; Helm 3 post-renderer
// detection is off.
func processInfo(int) ([]string, int, bool) { return nil, 0, false }

// openParentStderr cannot reach another process's stderr here.
func openParentStderr() (*os.File, bool) { return nil, false }
