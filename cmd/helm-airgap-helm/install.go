package main

import (
	"context"
	"io"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
)

func newInstallCommand() *cobra.Command {
	var replace bool
	cmd := &cobra.Command{
		Use:   "install RELEASE CHART --config airgap.yaml [flags]",
		Short: "Install a chart with Helm 3, rewriting every manifest, hooks included",
		Long: `Installs a chart like "helm install" (Helm 3 SDK), with helm-airgap as the
post-renderer and every hook manifest rewritten as well before any hook runs.
If any image would still come from a public registry, nothing is applied
and every offender is listed.

CHART is a local path, repo/name or an oci:// reference, as for helm.`,
		Example: `  helm airgap install platform ./platform -n platform --config airgap.yaml -f values-prod.yaml
  helm airgap install platform ./platform --config airgap.yaml --dry-run
  helm-airgap install platform oci://registry.internal.example.com/charts/platform --version 3.1.0 -c airgap.yaml`,
		Args: cli.Args(cobra.ExactArgs(2)),
	}
	newReleaseRunner(cmd, releaseAction{
		name:    "install",
		groups:  chartFlags | hookFlags | renderFlags | changeFlags | waitFlags,
		signals: signalsStop,
		usage: map[string]string{
			"wait": "wait until all Pods, PVCs, Services and minimum Pods of Deployments, StatefulSets or ReplicaSets are ready before marking the release successful, for as long as --timeout",
		},
		prepare: func(r *releaseRunner, cmd *cobra.Command, rw *rewriter, args []string) (helmStep, error) {
			return r.prepareInstall(cmd, rw, replace, args[0], args[1])
		},
	})
	cmd.Flags().BoolVar(&replace, "replace", false, "reuse the given name, only if that name is a deleted release which remains in the history")
	return cmd
}

// newInstall is the Helm install the flags ask for, with the rewriter as
// post-renderer: install's, template's (which sets its own fields after)
// and that of `upgrade --install` for a missing release.
func (r *releaseRunner) newInstall(rw *rewriter, name string) *action.Install {
	fl := &r.flags
	i := action.NewInstall(r.cfg)
	i.ChartPathOptions = fl.chart
	i.ReleaseName = name
	i.Namespace = r.helm.settings.Namespace()
	i.PostRenderer = rw
	i.DisableHooks = fl.noHooks
	i.SkipCRDs = fl.skipCRDs
	i.DisableOpenAPIValidation = fl.noOpenAPIValidation
	i.SkipSchemaValidation = fl.skipSchemaValidation
	i.SubNotes = fl.subNotes
	i.EnableDNS = fl.enableDNS
	i.Labels = fl.labels
	i.Description = fl.description
	i.DryRunOption = fl.dryRun
	i.CreateNamespace = fl.createNamespace
	i.Atomic = fl.atomic
	i.HideNotes = fl.hideNotes
	i.TakeOwnership = fl.takeOwnership
	i.Wait = fl.wait
	i.WaitForJobs = fl.waitForJobs
	i.Timeout = fl.timeout
	i.Force = fl.force
	return i
}

// prepareInstall loads the chart and values for installing (or, for a dry
// run, rendering) release name from ref.
func (r *releaseRunner) prepareInstall(cmd *cobra.Command, rw *rewriter, replace bool, name, ref string) (helmStep, error) {
	client := r.newInstall(rw, name)
	client.Replace = replace
	ch, vals, err := r.load(cmd, &client.ChartPathOptions, client.SetRegistryClient, ref)
	if err != nil {
		return helmStep{}, err
	}
	return helmStep{
		what: "install",
		run: func(ctx context.Context) (*release.Release, error) {
			return installChart(ctx, client, rw, ch, vals) // crds.go
		},
		report: func(out io.Writer, rel *release.Release) error {
			printRelease(out, rel, client.HideNotes)
			return nil
		},
	}, nil
}
