package main

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
)

func newRollbackCommand() *cobra.Command {
	h := newHelmOptions()
	cfg := new(action.Configuration)
	client := action.NewRollback(cfg)
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
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				revision, err := strconv.Atoi(args[1])
				if err != nil {
					return cli.Usage(fmt.Errorf("reading the revision %q: %w", args[1], err))
				}
				client.Version = revision
			}
			rw, err := h.airgap.rewriter(cmd)
			if err != nil {
				return err
			}
			if err := h.initAction(cfg, rw, cmd.ErrOrStderr()); err != nil {
				return err
			}
			cfg.Releases.Driver = manifestRewritingDriver{Driver: cfg.Releases.Driver, rewriter: rw}
			if client.DryRun {
				// A dry run stores nothing, so the driver never sees the
				// revision: rewrite it here to fail as the rollback would.
				if err := rewriteRevision(cfg, rw, args[0], client.Version); err != nil {
					return failure(cmd, rw, "rollback", err)
				}
			}
			if err := client.Run(args[0]); err != nil {
				return failure(cmd, rw, "rollback", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Rollback was a success! Happy Helming!")
			summary(cmd, rw)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&client.DryRun, "dry-run", false, "simulate a rollback")
	f.BoolVar(&client.Recreate, "recreate-pods", false, "performs pods restart for the resource if applicable")
	f.BoolVar(&client.Force, "force", false, "force resource update through delete/recreate if needed")
	f.BoolVar(&client.DisableHooks, "no-hooks", false, "prevent hooks from running during rollback")
	f.DurationVar(&client.Timeout, "timeout", 300*time.Second, "time to wait for any individual Kubernetes operation (like Jobs for hooks)")
	f.BoolVar(&client.Wait, "wait", false, "wait until all resources are ready before marking the release successful, for as long as --timeout")
	f.BoolVar(&client.WaitForJobs, "wait-for-jobs", false, "with --wait, also wait until all Jobs have completed")
	f.BoolVar(&client.CleanupOnFail, "cleanup-on-fail", false, "allow deletion of new resources created in this rollback when rollback fails")
	f.IntVar(&client.MaxHistory, "history-max", 10, "limit the maximum number of revisions saved per release; 0 for no limit")
	h.settings.AddFlags(f)
	h.airgap.addFlags(f)
	return cmd
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
