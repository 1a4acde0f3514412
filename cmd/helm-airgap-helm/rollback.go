package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
)

// rollbackFlags are the flags only rollback has.
type rollbackFlags struct {
	dryRun, recreate bool
}

func newRollbackCommand() *cobra.Command {
	var (
		own      rollbackFlags
		revision int
	)
	cmd := &cobra.Command{
		Use:   "rollback RELEASE [REVISION] --config airgap.yaml [flags]",
		Short: "Roll a release back with Helm 3, rewriting the revision's manifests, hooks included",
		Long: `Rolls a release back like "helm rollback" (Helm 3 SDK) to REVISION, or to the
previous revision without one. A rollback replays a stored revision without
rendering it again, so a revision installed before helm-airgap was used (or
with plain --post-renderer, which leaves hooks alone) would bring its public
images back. Here the revision's manifest and every hook pass through the
rewrite before anything is applied, and a reference no rule maps fails the
rollback with nothing changed.`,
		Example: `  helm airgap rollback platform 3 -n platform --config airgap.yaml --wait`,
		Args:    cli.Args(cobra.RangeArgs(1, 2)),
	}
	newReleaseRunner(cmd, releaseAction{
		name:    "rollback",
		groups:  hookFlags | waitFlags | historyFlags,
		signals: signalsDefault,
		usage: map[string]string{
			"no-hooks": "prevent hooks from running during rollback",
			"force":    "force resource update through delete/recreate if needed",
		},
		check: func(args []string) error {
			if len(args) < 2 {
				return nil
			}
			v, err := strconv.Atoi(args[1])
			if err != nil {
				return cli.Usage(fmt.Errorf("reading the revision %q: %w", args[1], err))
			}
			revision = v
			return nil
		},
		prepare: func(r *releaseRunner, _ *cobra.Command, rw *rewriter, args []string) (helmStep, error) {
			return r.prepareRollback(rw, own, args[0], revision), nil
		},
	})
	f := cmd.Flags()
	f.BoolVar(&own.dryRun, "dry-run", false, "simulate a rollback")
	f.BoolVar(&own.recreate, "recreate-pods", false, "performs pods restart for the resource if applicable")
	return cmd
}

// prepareRollback sets up the rollback of release name to revision (the
// previous one when 0): the revision is rewritten when it is stored again,
// or here for a dry run, which stores nothing.
func (r *releaseRunner) prepareRollback(rw *rewriter, own rollbackFlags, name string, revision int) helmStep {
	fl := &r.flags
	client := action.NewRollback(r.cfg)
	client.Version = revision
	client.DryRun = own.dryRun
	client.Recreate = own.recreate
	client.DisableHooks = fl.noHooks
	client.Wait = fl.wait
	client.WaitForJobs = fl.waitForJobs
	client.Timeout = fl.timeout
	client.Force = fl.force
	client.MaxHistory = fl.historyMax
	client.CleanupOnFail = fl.cleanupOnFail
	r.cfg.Releases.Driver = manifestRewritingDriver{Driver: r.cfg.Releases.Driver, rewriter: rw}
	return helmStep{
		what: "rollback",
		run: func(context.Context) (*release.Release, error) {
			if client.DryRun {
				// A dry run stores nothing, so the driver never sees the
				// revision: rewrite it here to fail as the rollback would.
				if err := rewriteRevision(r.cfg, rw, name, client.Version); err != nil {
					return nil, err
				}
			}
			return nil, client.Run(name)
		},
		report: func(out io.Writer, _ *release.Release) error {
			_, err := fmt.Fprintln(out, "Rollback was a success! Happy Helming!")
			return err
		},
	}
}

// manifestRewritingDriver rewrites a release's manifest when it is stored.
// Helm's Rollback stores the revision it rolls back to (a copy of the old
// one, under a new number) before applying anything, and then applies the
// stored manifest: this is the one moment the manifest can be rewritten.
// The hooks are rewritten by the hook driver underneath (hooks.go).
type manifestRewritingDriver struct {
	driver.Driver
	rewriter *rewriter
}

// Create rewrites the release's manifest, then stores it through the hook
// driver, which takes the verdict on manifest and hooks together.
func (d manifestRewritingDriver) Create(key string, rls *release.Release) error {
	out, err := d.rewriter.Run(bytes.NewBufferString(rls.Manifest))
	if err != nil {
		return err
	}
	rls.Manifest = out.String()
	return d.Driver.Create(key, rls)
}

// rewriteRevision rewrites, without storing anything, the manifest and hooks
// of the revision that a rollback of name to version (the previous one when
// 0, as helm has it) would apply.
func rewriteRevision(cfg *action.Configuration, rw *rewriter, name string, version int) error {
	if version <= 0 {
		last, err := cfg.Releases.Last(name)
		if err != nil {
			return fmt.Errorf("reading the last revision of release %q: %w", name, err)
		}
		version = last.Version - 1
	}
	rel, err := cfg.Releases.Get(name, version)
	if err != nil {
		return fmt.Errorf("reading revision %d of release %q: %w", version, name, err)
	}
	if _, err := rw.Run(bytes.NewBufferString(rel.Manifest)); err != nil {
		return err
	}
	return rw.finish(rel)
}
