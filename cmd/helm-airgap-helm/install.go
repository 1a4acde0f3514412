package main

import (
	"time"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/action"
)

func newInstallCommand() *cobra.Command {
	h := newHelmOptions()
	cfg := new(action.Configuration)
	client := action.NewInstall(cfg)
	var devel bool
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
		RunE: func(cmd *cobra.Command, args []string) error {
			rw, err := h.prepareChange(cmd, cfg, &client.DryRunOption)
			if err != nil {
				return err
			}
			return runInstall(cmd, h, cfg, client, rw, devel, args[0], args[1])
		},
	}
	f := cmd.Flags()
	addInstallFlags(f, client, &devel)
	f.StringVar(&client.DryRunOption, "dry-run", "", `simulate an install: "client" (the default when given without a value) or "server"; like helm 3, both talk to the cluster`)
	f.Lookup("dry-run").NoOptDefVal = "client"
	f.BoolVar(&client.CreateNamespace, "create-namespace", false, "create the release namespace if not present")
	f.BoolVar(&client.Wait, "wait", false, "wait until all Pods, PVCs, Services and minimum Pods of Deployments, StatefulSets or ReplicaSets are ready before marking the release successful, for as long as --timeout")
	f.BoolVar(&client.WaitForJobs, "wait-for-jobs", false, "with --wait, also wait until all Jobs have completed")
	f.DurationVar(&client.Timeout, "timeout", 300*time.Second, "time to wait for any individual Kubernetes operation (like Jobs for hooks)")
	f.BoolVar(&client.Atomic, "atomic", false, "delete the installation on failure; sets --wait")
	f.BoolVar(&client.Replace, "replace", false, "reuse the given name, only if that name is a deleted release which remains in the history")
	f.BoolVar(&client.HideNotes, "hide-notes", false, "do not show notes in the output")
	f.BoolVar(&client.TakeOwnership, "take-ownership", false, "ignore the check for helm annotations and take ownership of the existing resources")
	h.addFlags(cmd)
	return cmd
}

// addInstallFlags are the flags template and install share.
func addInstallFlags(f *pflag.FlagSet, client *action.Install, devel *bool) {
	addChartPathFlags(f, &client.ChartPathOptions, devel)
	f.BoolVar(&client.DisableHooks, "no-hooks", false, "prevent hooks from running")
	f.BoolVar(&client.SkipCRDs, "skip-crds", false, "if set, no CRDs will be installed")
	f.BoolVar(&client.DisableOpenAPIValidation, "disable-openapi-validation", false, "do not validate rendered templates against the Kubernetes OpenAPI schema")
	f.BoolVar(&client.SkipSchemaValidation, "skip-schema-validation", false, "disable JSON schema validation")
	f.BoolVar(&client.SubNotes, "render-subchart-notes", false, "render subchart notes along with the parent")
	f.BoolVar(&client.EnableDNS, "enable-dns", false, "enable DNS lookups when rendering templates")
	f.StringToStringVarP(&client.Labels, "labels", "l", nil, "labels added to the release metadata")
	f.StringVar(&client.Description, "description", "", "a custom description")
}

// runInstall installs (or, for a dry run, renders) a release with the
// rewriter as post-renderer; cfg is initialised, its storage wrapped.
func runInstall(cmd *cobra.Command, h *helmOptions, cfg *action.Configuration, client *action.Install, rw *rewriter, devel bool, name, ref string) error {
	rc, err := h.registryClient(&client.ChartPathOptions, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	client.SetRegistryClient(rc)
	cfg.RegistryClient = rc
	client.ReleaseName = name
	client.Namespace = h.settings.Namespace()
	client.PostRenderer = rw
	ch, err := h.loadChart(&client.ChartPathOptions, devel, ref)
	if err != nil {
		return err
	}
	vals, err := h.mergeValues()
	if err != nil {
		return err
	}
	ctx := cli.NewSignalContext()
	defer ctx.Stop()
	rel, err := installChart(ctx, client, rw, ch, vals) // crds.go
	err = ctx.Interrupted(err, interruptedChange)
	if err != nil {
		return failure(cmd, rw, "install", err)
	}
	printRelease(cmd.OutOrStdout(), rel, client.HideNotes)
	summary(cmd, rw)
	return nil
}
