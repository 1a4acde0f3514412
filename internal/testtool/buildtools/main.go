// Command buildtools builds the pinned tools the tests run into build/tools/
// (`make tools`), one line per tool with what it did and how long it took,
// before any test starts: a tool build then never counts against a test
// package's -timeout, and a fresh clone shows where its first minutes go.
// A tool whose pins have not changed is reused (testtool.Ensure).
//
//	go run ./internal/testtool/buildtools [TOOL...]
//
// With no argument it builds every tool in testtool.Names.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/plexicus/helm-airgap/internal/testtool"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "make tools: %v\n", err)
		os.Exit(1)
	}
}

func run(names []string, w io.Writer) error {
	root, err := testtool.FindModuleRoot()
	if err != nil {
		return err
	}
	if len(names) == 0 {
		names = testtool.Names
	}
	start := time.Now()
	built := 0
	for _, name := range names {
		fmt.Fprintf(w, "tools: %-18s ", name)
		t0 := time.Now()
		path, fresh, err := testtool.Ensure(root, name)
		if err != nil {
			fmt.Fprintln(w, "FAILED")
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if fresh {
			built++
			fmt.Fprintf(w, "built in %s  %s\n", time.Since(t0).Round(time.Second), rel)
		} else {
			fmt.Fprintf(w, "up to date  %s\n", rel)
		}
	}
	fmt.Fprintf(w, "tools: %d built, %d up to date, %s\n", built, len(names)-built, time.Since(start).Round(time.Second))
	return nil
}
