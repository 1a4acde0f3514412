package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
)

func newTemplateCommand() *cobra.Command {
	h := newHelmOptions()
	cfg := new(action.Configuration)
	client := action.NewInstall(cfg)
	var (
		devel, validate, includeCRDs, skipTests bool
		kubeVersion                             string
		apiVersions                             []string
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
		RunE: func(cmd *cobra.Command, args []string) error {
			stop := cli.ExitOnSignal("helm-airgap", cmd.ErrOrStderr(), func() string { return "nothing was written to stdout" })
			defer stop()
			rw, err := h.airgap.rewriter(cmd)
			if err != nil {
				return err
			}
			if kubeVersion != "" {
				v, err := chartutil.ParseKubeVersion(kubeVersion)
				if err != nil {
					return cli.Usage(fmt.Errorf("invalid --kube-version %q: %w", kubeVersion, err))
				}
				client.KubeVersion = v
			}
			if err := h.initAction(cfg, rw, cmd.ErrOrStderr()); err != nil {
				return err
			}
			rc, err := h.registryClient(&client.ChartPathOptions, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			client.SetRegistryClient(rc)
			cfg.RegistryClient = rc
			// As helm template sets them.
			client.DryRun = true
			client.DryRunOption = "true"
			client.Replace = true
			client.ClientOnly = !validate
			client.APIVersions = chartutil.VersionSet(apiVersions)
			client.IncludeCRDs = includeCRDs
			client.ReleaseName = "release-name"
			ref := args[0]
			if len(args) == 2 {
				client.ReleaseName, ref = args[0], args[1]
			}
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
			rel, err := client.Run(ch, vals)
			if err == nil {
				err = rw.finish(rel) // template never persists; see hooks.go
			}
			if err != nil {
				return failure(cmd, rw, "template", err)
			}
			if err := writeTemplate(cmd.OutOrStdout(), rel, !client.DisableHooks, skipTests); err != nil {
				return err
			}
			summary(cmd, rw)
			return nil
		},
	}
	f := cmd.Flags()
	addInstallFlags(f, client, &devel)
	f.StringVar(&kubeVersion, "kube-version", "", "Kubernetes version used for Capabilities.KubeVersion")
	f.StringSliceVarP(&apiVersions, "api-versions", "a", nil, "Kubernetes api versions used for Capabilities.APIVersions")
	f.BoolVar(&includeCRDs, "include-crds", false, "include CRDs in the templated output")
	f.BoolVar(&skipTests, "skip-tests", false, "skip tests from templated output")
	f.BoolVar(&client.IsUpgrade, "is-upgrade", false, "set .Release.IsUpgrade instead of .Release.IsInstall")
	f.BoolVar(&validate, "validate", false, "validate the manifests against the cluster you are pointing at, as an install does")
	h.addFlags(cmd)
	return cmd
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
