package main

import (
	"errors"
	"fmt"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/plan"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/spf13/cobra"
)

func newImagesCommand() *cobra.Command {
	var o options
	var output, releaseName string
	var why bool
	cmd := &cobra.Command{
		Use:   "images [FILE|DIR|-]... | images CHART [helm template flags]",
		Short: "List every image the manifests use and where it must be mirrored (the mirror plan)",
		Long: `Lists every image reference the rewrite finds (pod specs, catalogued
custom-resource fields, args, command and env, ConfigMap and Secret data,
embedded text, composites: see rewrite --help), deduplicated and sorted, each with its destination under the
rules: the plan for mirroring before an air-gapped install. It is computed by
the same engine and config as rewrite, so the list and the rewrite agree.

Images already on the mirror, a rule destination or an allowed registry are
listed as internal and are not copied. An image with no destination (no rule
matches it and there is no mirror) is an error naming it (exit 1).

Input is manifests (stdin when no path or "-" is given; files and directories
otherwise), or a chart: when the first argument is a chart directory, a .tgz,
an oci:// reference or a repo/chart name, it is rendered with
"$HELM_BIN template CHART [helm flags]" (helm on PATH when HELM_BIN is unset)
and every other argument that is not one of this command's flags goes to helm.

Output formats (-o): plain "SOURCE DESTINATION" lines, json, and ready-to-run
crane or skopeo scripts, and flux: the spec.postRenderers block of a Flux
HelmRelease (kustomize images: entries and JSON patches; docs/flux.md). --why adds every place each image was found.

With --from-cluster it lists what a live cluster runs instead, each image
marked rendered, runtime or node (served by the helm-airgap-cluster
companion: helm-airgap images --from-cluster --help).`,
		Example: `  helm template app ./chart | helm-airgap images -c airgap.yaml
  helm-airgap images -c airgap.yaml --why rendered/
  helm airgap images ./chart -f values-prod.yaml -c airgap.yaml -o json > plan.json
  helm-airgap images -c airgap.yaml -o crane rendered.yaml > mirror.sh
  helm airgap images ./chart -c airgap.yaml -o flux --release-name apps-platform -n apps > post-renderer.yaml`,
		DisableFlagParsing: true, // Helm's flags pass through in chart mode.
		RunE: func(cmd *cobra.Command, args []string) error {
			rest, help, err := parseChartModeArgs(cmd, args)
			if err != nil || help {
				return err
			}
			format, err := plan.ParseFormat(output)
			if err != nil {
				return cli.Usage(fmt.Errorf("--output: %w", err))
			}
			if rest, err = fluxRelease(rest, format, releaseName); err != nil {
				return err
			}
			return runImages(cmd, &o, rest, format, why)
		},
	}
	// The rewrite's flags, pull secrets included although they change
	// nothing here, so one set of flags works for rewrite, images and mirror.
	o.addFlags(cmd)
	cli.Unoffered(cmd, "pull-secret", "lock") // a plan names sources and destinations only
	cmd.Flags().StringVarP(&output, "output", "o", "plain", "output format: plain, json, crane, skopeo or flux (a HelmRelease spec.postRenderers block)")
	cmd.Flags().BoolVar(&why, "why", false, "show every place each image was found (kind, namespace/name, container, field)")
	cmd.Flags().StringVar(&releaseName, "release-name", "", "with a chart: the release name to render with; for -o flux the one Flux uses (spec.releaseName, else [spec.targetNamespace-]metadata.name)")
	cmd.Flags().BoolP("help", "h", false, "help for images")
	return cmd
}

func runImages(cmd *cobra.Command, o *options, args []string, format plan.Format, why bool) error {
	session, err := o.load(cmd, true)
	if err != nil {
		return err
	}
	opts := o.tune(session.Options())
	in, err := manifestInput(cmd, args)
	if err != nil {
		return err
	}
	p, report, err := plan.BuildFor(format, in, opts, why)
	// helm's failure explains a short or broken stream better than
	// whatever the engine made of it.
	if cerr := in.close(); cerr != nil {
		return cli.Usage(cerr)
	}
	err = in.Explain(err) // errors name the input file and its line
	var policy *rewrite.PolicyError
	if errors.As(err, &policy) {
		reportImages(cmd, session.Policy(), policy.Report)
		return cli.Reported(err)
	}
	if err != nil {
		return err
	}
	messages := cli.Messages(cmd.ErrOrStderr())
	if report.InputBytes == 0 {
		messages.Warnf("the input is empty; there are no images to list")
	}
	if err := plan.Write(cmd.OutOrStdout(), p, format); err != nil {
		return fmt.Errorf("writing the plan: %w", err)
	}
	messages.Infof("%d image(s): %d to copy, %d already internal", len(p.Images), len(p.Copies()), len(p.InternalImages()))
	return nil
}
