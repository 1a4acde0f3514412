package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
)

// templateFlags are the flags only template has.
type templateFlags struct {
	validate, includeCRDs, skipTests, isUpgrade bool
	kubeVersion                                 string
	apiVersions                                 []string
}

func newTemplateCommand() *cobra.Command {
	var (
		own         templateFlags
		kubeVersion *chartutil.KubeVersion
	)
	cmd := &cobra.Command{
		Use:   "template [RELEASE] CHART --config airgap.yaml [flags]",
		Short: "Render a chart with Helm 3 and rewrite every manifest, hooks included",
		Long: `Renders a chart like "helm template" (Helm 3 SDK, no cluster needed) and
rewrites every image, in hooks too, which "helm template --post-renderer"
leaves alone on Helm 3. The stream goes to stdout; if any image would still
come from a public registry, nothing is printed and every offender is listed.`,
		Example: `  helm airgap template platform ./platform --config airgap.yaml -f values-prod.yaml > platform.yaml
  helm-airgap template platform ./platform -c airgap.yaml --kube-version 1.31 --include-crds`,
		Args: cli.Args(cobra.RangeArgs(1, 2)),
	}
	newReleaseRunner(cmd, releaseAction{
		name:    "template",
		groups:  chartFlags | hookFlags | renderFlags,
		signals: signalsExit,
		check: func([]string) error {
			if own.kubeVersion == "" {
				return nil
			}
			v, err := chartutil.ParseKubeVersion(own.kubeVersion)
			if err != nil {
				return cli.Usage(fmt.Errorf("invalid --kube-version %q: %w", own.kubeVersion, err))
			}
			kubeVersion = v
			return nil
		},
		prepare: func(r *releaseRunner, cmd *cobra.Command, rw *rewriter, args []string) (helmStep, error) {
			return r.prepareTemplate(cmd, rw, own, kubeVersion, args)
		},
	})
	f := cmd.Flags()
	f.StringVar(&own.kubeVersion, "kube-version", "", "Kubernetes version used for Capabilities.KubeVersion")
	f.StringSliceVarP(&own.apiVersions, "api-versions", "a", nil, "Kubernetes api versions used for Capabilities.APIVersions")
	f.BoolVar(&own.includeCRDs, "include-crds", false, "include CRDs in the templated output")
	f.BoolVar(&own.skipTests, "skip-tests", false, "skip tests from templated output")
	f.BoolVar(&own.isUpgrade, "is-upgrade", false, "set .Release.IsUpgrade instead of .Release.IsInstall")
	f.BoolVar(&own.validate, "validate", false, "validate the manifests against the cluster you are pointing at, as an install does")
	return cmd
}

// prepareTemplate loads the chart and values for rendering them as helm
// template does: [RELEASE] CHART, a client-only dry run unless --validate.
func (r *releaseRunner) prepareTemplate(cmd *cobra.Command, rw *rewriter, own templateFlags, kubeVersion *chartutil.KubeVersion, args []string) (helmStep, error) {
	name, ref := "release-name", args[0]
	if len(args) == 2 {
		name, ref = args[0], args[1]
	}
	client := r.newInstall(rw, name)
	// As helm template sets them.
	client.DryRun = true
	client.DryRunOption = "true"
	client.Replace = true
	client.ClientOnly = !own.validate
	client.KubeVersion = kubeVersion
	client.APIVersions = chartutil.VersionSet(own.apiVersions)
	client.IncludeCRDs = own.includeCRDs
	client.IsUpgrade = own.isUpgrade
	ch, vals, err := r.load(cmd, &client.ChartPathOptions, client.SetRegistryClient, ref)
	if err != nil {
		return helmStep{}, err
	}
	return helmStep{
		what: "template",
		run: func(context.Context) (*release.Release, error) {
			return client.Run(ch, vals)
		},
		report: func(out io.Writer, rel *release.Release) error {
			return writeTemplate(out, rel, !client.DisableHooks, own.skipTests)
		},
	}, nil
}

// writeTemplate prints a rendered release as helm template does: the
// manifests, then each hook under its "# Source:" line.
func writeTemplate(out io.Writer, rel *release.Release, hooks, skipTests bool) error {
	var b strings.Builder
	fmt.Fprintln(&b, strings.TrimSpace(rel.Manifest))
	if hooks {
		for _, h := range rel.Hooks {
			if skipTests && isTestHook(h) {
				continue
			}
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
		}
	}
	_, err := io.WriteString(out, b.String())
	return err
}

func isTestHook(h *release.Hook) bool {
	for _, e := range h.Events {
		if e == release.HookTest {
			return true
		}
	}
	return false
}
