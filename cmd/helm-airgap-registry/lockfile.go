package main

import (
	"errors"
	"fmt"
	"github.com/plexicus/helm-airgap/internal/cli"
	"os"
	"time"

	"github.com/plexicus/helm-airgap/lock"
	"github.com/plexicus/helm-airgap/mirror"
	"github.com/plexicus/helm-airgap/plan"
	"github.com/spf13/cobra"
)

// writeLock records, with --lock, the digests every image copied or found
// present landed as (or, for resolve, would land as). Entries of an existing lock for other sources are
// kept, so several runs (several charts) build one lock. Charts are not
// locked: no manifest names them.
func writeLock(cmd *cobra.Command, o *options, r *mirror.Report) error {
	if o.lockFile == "" {
		return nil
	}
	f, err := readLockOrNew(o.lockFile)
	if err != nil {
		return cli.Usage(err)
	}
	now := time.Now().UTC()
	n := 0
	for _, res := range r.Results {
		if res.Item.Chart || (res.Outcome != mirror.Copied && res.Outcome != mirror.Present && res.Outcome != mirror.Planned) {
			continue
		}
		f.Put(lockEntry(res, now))
		n++
	}
	if n == 0 { // a failed run must not leave an empty lock behind
		fmt.Fprintf(cmd.ErrOrStderr(), "helm-airgap: no image was locked; %s was not written\n", o.lockFile)
		return nil
	}
	if err := f.Write(o.lockFile); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "helm-airgap: locked %d image(s) in %s\n", n, o.lockFile)
	return nil
}

func readLockOrNew(path string) (*lock.File, error) {
	f, err := lock.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return &lock.File{Version: lock.Version}, nil
	}
	return f, err
}

// lockEntry is the lock's record of one result: the source's digest, and
// the filtered index's when platforms were filtered.
func lockEntry(res mirror.Result, now time.Time) lock.Entry {
	e := lock.Entry{
		Source: res.Item.Source, Destination: res.Item.Destination, Digest: res.Digest,
		Platforms: res.Platforms, Referrers: res.Referrers, Mirrored: now,
	}
	if res.SourceDigest != "" {
		e.Digest, e.FilteredDigest = res.SourceDigest, res.Digest
	}
	return e
}

// applyLock gives each item the digest and referrers its lock entry
// records; items the lock does not know are returned apart. Images already
// internal were never mirrored, so they are not in a lock: they are kept
// as they are.
func applyLock(path string, items []mirror.Item) ([]mirror.Item, []mirror.Item, error) {
	f, err := lock.Read(path)
	if err != nil {
		return nil, nil, cli.Usage(err)
	}
	var locked, unlocked []mirror.Item
	for _, it := range items {
		if it.Status == plan.Internal {
			locked = append(locked, it)
			continue
		}
		e, ok := f.Lookup(it.Source)
		if !ok {
			unlocked = append(unlocked, it)
			continue
		}
		it.Digest = e.PinnedDigest()
		if e.FilteredDigest != "" {
			it.SourceDigest = e.Digest
		}
		it.Referrers, it.ReferrersKnown = e.Referrers, true
		locked = append(locked, it)
	}
	return locked, unlocked, nil
}
