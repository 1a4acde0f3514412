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
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/plexicus/helm-airgap/internal/testtool"
	"golang.org/x/sync/errgroup"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "make tools: %v\n", err)
		os.Exit(1)
	}
}

// lanes is how many tool modules build at once. One go build keeps both
// cores busy but for its serial tail (its last packages, its link); a
// second one fills those gaps. The tools of one module build one after
// another (testtool.ByModule).
const lanes = 2

func run(names []string, w io.Writer) error {
	root, err := testtool.FindModuleRoot()
	if err != nil {
		return err
	}
	if len(names) == 0 {
		names = testtool.Names
	}
	groups, err := testtool.ByModule(names)
	if err != nil {
		return err
	}
	start := time.Now()
	var (
		mu    sync.Mutex // guards w and built
		built int
	)
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, format, args...)
	}
	// After a failure no further module starts; the one building ends.
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(lanes)
	for _, group := range groups {
		g.Go(func() error {
			for _, name := range group {
				if ctx.Err() != nil {
					return nil
				}
				t0 := time.Now()
				path, fresh, err := testtool.Ensure(root, name)
				if err != nil {
					say("tools: %-18s FAILED\n", name)
					return err
				}
				rel, _ := filepath.Rel(root, path)
				if !fresh {
					say("tools: %-18s up to date  %s\n", name, rel)
					continue
				}
				mu.Lock()
				built++
				mu.Unlock()
				say("tools: %-18s built in %s  %s\n", name, time.Since(t0).Round(time.Second), rel)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Fprintf(w, "tools: %d built, %d up to date, %s\n", built, len(names)-built, time.Since(start).Round(time.Second))
	return nil
}
