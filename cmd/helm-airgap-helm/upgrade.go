package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
)

func newUpgradeCommand() *cobra.Command {
	h := newHelmOptions()
	cfg := new(action.Configuration)
	client := action.NewUpgrade(cfg)
	var devel, createNamespace bool
	cmd := &cobra.Command{
		Use:   "upgrade RELEASE CHART --config airgap.yaml [flags]",
		Short: "Upgrade a release with Helm 3, rewriting every manifest, hooks included",
		Long: `Upgrades a release like "helm upgrade" (Helm 3 SDK), with helm-airgap as the
post-renderer and every hook manifest rewritten as well before any hook runs.
With --install, a release that does not exist is installed.`,
		Example: `  helm airgap upgrade platform ./platform -n platform --config airgap.yaml --install --wait
  helm airgap upgrade platform ./platform --config airgap.yaml --reuse-values --set image.tag=3.1.1`,
		Args: cli.Args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			rw, err := h.prepareChange(cmd, cfg, &client.DryRunOption)
			if err != nil {
				return err
			}
			client.Namespace = h.settings.Namespace()
			if client.Install {
				history := action.NewHistory(cfg)
				history.Max = 1
				versions, err := history.Run(args[0])
				if errors.Is(err, driver.ErrReleaseNotFound) || uninstalled(versions) {
					fmt.Fprintf(cmd.OutOrStdout(), "Release %q does not exist. Installing it now.\n", args[0])
					return runInstall(cmd, h, cfg, installFromUpgrade(cfg, client, createNamespace, uninstalled(versions)), rw, devel, args[0], args[1])
				}
				if err != nil {
					return fmt.Errorf("reading the history of release %q: %w", args[0], err)
				}
			}
			rc, err := h.registryClient(&client.ChartPathOptions, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			client.SetRegistryClient(rc)
			cfg.RegistryClient = rc
			client.PostRenderer = rw
			ch, err := h.loadChart(&client.ChartPathOptions, devel, args[1])
			if err != nil {
				return err
			}
			vals, err := h.mergeValues()
			if err != nil {
				return err
			}
			ctx := cli.NewSignalContext()
			defer ctx.Stop()
			rel, err := client.RunWithContext(ctx, args[0], ch, vals)
			if err == nil {
				err = rw.finish(rel) // dry runs; see hooks.go
			}
			err = ctx.Interrupted(err, interruptedChange)
			if err != nil {
				return failure(cmd, rw, "upgrade", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Release %q has been upgraded. Happy Helming!\n", args[0])
			printRelease(cmd.OutOrStdout(), rel, client.HideNotes)
			summary(cmd, rw)
			return nil
		},
	}
	f := cmd.Flags()
	addChartPathFlags(f, &client.ChartPathOptions, &devel)
	f.BoolVarP(&client.Install, "install", "i", false, "if a release by this name doesn't already exist, run an install")
	f.BoolVar(&createNamespace, "create-namespace", false, "with --install, create the release namespace if not present")
	f.StringVar(&client.DryRunOption, "dry-run", "", `simulate an upgrade: "client" (the default when given without a value) or "server"; like helm 3, both talk to the cluster`)
	f.Lookup("dry-run").NoOptDefVal = "client"
	f.BoolVar(&client.DisableHooks, "no-hooks", false, "disable pre/post upgrade hooks")
	f.BoolVar(&client.SkipCRDs, "skip-crds", false, "with --install, do not install CRDs")
	f.BoolVar(&client.DisableOpenAPIValidation, "disable-openapi-validation", false, "do not validate rendered templates against the Kubernetes OpenAPI schema")
	f.BoolVar(&client.SkipSchemaValidation, "skip-schema-validation", false, "disable JSON schema validation")
	f.BoolVar(&client.SubNotes, "render-subchart-notes", false, "render subchart notes along with the parent")
	f.BoolVar(&client.EnableDNS, "enable-dns", false, "enable DNS lookups when rendering templates")
	f.StringToStringVarP(&client.Labels, "labels", "l", nil, "labels added to the release metadata, merged with the existing ones")
	f.StringVar(&client.Description, "description", "", "a custom description")
	f.BoolVar(&client.Force, "force", false, "force resource updates through a replacement strategy")
	f.BoolVar(&client.ResetValues, "reset-values", false, "when upgrading, reset the values to the ones built into the chart")
	f.BoolVar(&client.ReuseValues, "reuse-values", false, "when upgrading, reuse the last release's values and merge in any overrides from the command line")
	f.BoolVar(&client.ResetThenReuseValues, "reset-then-reuse-values", false, "when upgrading, reset the values to the chart's, then apply the last release's values and any overrides")
	f.IntVar(&client.MaxHistory, "history-max", 10, "limit the maximum number of revisions saved per release; 0 for no limit")
	f.BoolVar(&client.CleanupOnFail, "cleanup-on-fail", false, "allow deletion of new resources created in this upgrade when upgrade fails")
	f.BoolVar(&client.Wait, "wait", false, "wait until all resources are ready before marking the release successful, for as long as --timeout")
	f.BoolVar(&client.WaitForJobs, "wait-for-jobs", false, "with --wait, also wait until all Jobs have completed")
	f.DurationVar(&client.Timeout, "timeout", 300*time.Second, "time to wait for any individual Kubernetes operation (like Jobs for hooks)")
	f.BoolVar(&client.Atomic, "atomic", false, "roll back on failure; sets --wait")
	f.BoolVar(&client.HideNotes, "hide-notes", false, "do not show notes in the output")
	f.BoolVar(&client.TakeOwnership, "take-ownership", false, "ignore the check for helm annotations and take ownership of the existing resources")
	h.addFlags(cmd)
	return cmd
}

// installFromUpgrade is the install an `upgrade --install` of a missing
// release runs, with the upgrade's settings, as helm does.
func installFromUpgrade(cfg *action.Configuration, u *action.Upgrade, createNamespace, replace bool) *action.Install {
	i := action.NewInstall(cfg)
	i.CreateNamespace = createNamespace
	i.Replace = replace
	i.ChartPathOptions = u.ChartPathOptions
	i.Force = u.Force
	i.DryRun = u.DryRun
	i.DryRunOption = u.DryRunOption
	i.DisableHooks = u.DisableHooks
	i.SkipCRDs = u.SkipCRDs
	i.Timeout = u.Timeout
	i.Wait = u.Wait
	i.WaitForJobs = u.WaitForJobs
	i.Namespace = u.Namespace
	i.Atomic = u.Atomic
	i.DisableOpenAPIValidation = u.DisableOpenAPIValidation
	i.SubNotes = u.SubNotes
	i.HideNotes = u.HideNotes
	i.SkipSchemaValidation = u.SkipSchemaValidation
	i.Description = u.Description
	i.Labels = u.Labels
	i.EnableDNS = u.EnableDNS
	i.TakeOwnership = u.TakeOwnership
	return i
}

func uninstalled(versions []*release.Release) bool {
	return len(versions) > 0 && versions[len(versions)-1].Info.Status == release.StatusUninstalled
}
