package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
)

// upgradeFlags are the flags only upgrade has.
type upgradeFlags struct {
	install, resetValues, reuseValues, resetThenReuseValues bool
}

func newUpgradeCommand() *cobra.Command {
	var own upgradeFlags
	cmd := &cobra.Command{
		Use:   "upgrade RELEASE CHART --config airgap.yaml [flags]",
		Short: "Upgrade a release with Helm 3, rewriting every manifest, hooks included",
		Long: `Upgrades a release like "helm upgrade" (Helm 3 SDK), with helm-airgap as the
post-renderer and every hook manifest rewritten as well before any hook runs.
With --install, a release that does not exist is installed.`,
		Example: `  helm airgap upgrade platform ./platform -n platform --config airgap.yaml --install --wait
  helm airgap upgrade platform ./platform --config airgap.yaml --reuse-values --set image.tag=3.1.1`,
		Args: cli.Args(cobra.ExactArgs(2)),
	}
	newReleaseRunner(cmd, releaseAction{
		name:    "upgrade",
		groups:  chartFlags | hookFlags | renderFlags | changeFlags | waitFlags | historyFlags,
		signals: signalsStop,
		usage: map[string]string{
			"no-hooks":         "disable pre/post upgrade hooks",
			"skip-crds":        "with --install, do not install CRDs",
			"labels":           "labels added to the release metadata, merged with the existing ones",
			"create-namespace": "with --install, create the release namespace if not present",
			"atomic":           "roll back on failure; sets --wait",
		},
		prepare: func(r *releaseRunner, cmd *cobra.Command, rw *rewriter, args []string) (helmStep, error) {
			return r.prepareUpgrade(cmd, rw, own, args[0], args[1])
		},
	})
	f := cmd.Flags()
	f.BoolVarP(&own.install, "install", "i", false, "if a release by this name doesn't already exist, run an install")
	f.BoolVar(&own.resetValues, "reset-values", false, "when upgrading, reset the values to the ones built into the chart")
	f.BoolVar(&own.reuseValues, "reuse-values", false, "when upgrading, reuse the last release's values and merge in any overrides from the command line")
	f.BoolVar(&own.resetThenReuseValues, "reset-then-reuse-values", false, "when upgrading, reset the values to the chart's, then apply the last release's values and any overrides")
	return cmd
}

// newUpgrade is the Helm upgrade the flags ask for, with the rewriter as
// post-renderer.
func (r *releaseRunner) newUpgrade(rw *rewriter, own upgradeFlags) *action.Upgrade {
	fl := &r.flags
	u := action.NewUpgrade(r.cfg)
	u.ChartPathOptions = fl.chart
	u.Namespace = r.helm.settings.Namespace()
	u.PostRenderer = rw
	u.Install = own.install
	u.ResetValues = own.resetValues
	u.ReuseValues = own.reuseValues
	u.ResetThenReuseValues = own.resetThenReuseValues
	u.DisableHooks = fl.noHooks
	u.SkipCRDs = fl.skipCRDs
	u.DisableOpenAPIValidation = fl.noOpenAPIValidation
	u.SkipSchemaValidation = fl.skipSchemaValidation
	u.SubNotes = fl.subNotes
	u.EnableDNS = fl.enableDNS
	u.Labels = fl.labels
	u.Description = fl.description
	u.DryRunOption = fl.dryRun
	u.Atomic = fl.atomic
	u.HideNotes = fl.hideNotes
	u.TakeOwnership = fl.takeOwnership
	u.Wait = fl.wait
	u.WaitForJobs = fl.waitForJobs
	u.Timeout = fl.timeout
	u.Force = fl.force
	u.MaxHistory = fl.historyMax
	u.CleanupOnFail = fl.cleanupOnFail
	return u
}

// prepareUpgrade loads the chart and values for upgrading release name to
// ref; with --install, a release that does not exist (or was uninstalled
// with its history kept) is installed instead, as helm does.
func (r *releaseRunner) prepareUpgrade(cmd *cobra.Command, rw *rewriter, own upgradeFlags, name, ref string) (helmStep, error) {
	if own.install {
		history := action.NewHistory(r.cfg)
		history.Max = 1
		versions, err := history.Run(name)
		if errors.Is(err, driver.ErrReleaseNotFound) || uninstalled(versions) {
			fmt.Fprintf(cmd.OutOrStdout(), "Release %q does not exist. Installing it now.\n", name)
			return r.prepareInstall(cmd, rw, uninstalled(versions), name, ref)
		}
		if err != nil {
			return helmStep{}, fmt.Errorf("reading the history of release %q: %w", name, err)
		}
	}
	client := r.newUpgrade(rw, own)
	ch, vals, err := r.load(cmd, &client.ChartPathOptions, client.SetRegistryClient, ref)
	if err != nil {
		return helmStep{}, err
	}
	return helmStep{
		what: "upgrade",
		run: func(ctx context.Context) (*release.Release, error) {
			return client.RunWithContext(ctx, name, ch, vals)
		},
		report: func(out io.Writer, rel *release.Release) error {
			fmt.Fprintf(out, "Release %q has been upgraded. Happy Helming!\n", name)
			printRelease(out, rel, client.HideNotes)
			return nil
		},
	}, nil
}

func uninstalled(versions []*release.Release) bool {
	return len(versions) > 0 && versions[len(versions)-1].Info.Status == release.StatusUninstalled
}
