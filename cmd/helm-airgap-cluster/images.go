package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/plexicus/helm-airgap/cluster"
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/plan"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/reference"
	"github.com/spf13/cobra"
)

func newImagesCommand() *cobra.Command {
	var f clusterFlags
	var output, rendered string
	var why bool
	cmd := &cobra.Command{
		Use:   "images --from-cluster [-n NAMESPACE]... [-A]",
		Short: "List the images a live cluster runs, as a mirror plan",
		Long: `Reads every Pod and every workload pod template (Deployment, StatefulSet,
DaemonSet, ReplicaSet, Job, CronJob) of the chosen namespaces and lists their
images as "helm-airgap images" lists a release's: the mirror plan, in the same
formats, each image with its destination under the rules. Install once in a
connected staging cluster, let the operators create what they create, capture
it, and mirror it.

Each image is marked by how the cluster runs it: rendered (an object of the
release, by Helm's release annotation on it or its owner, or an image of the
manifests given with --rendered), runtime (created at run time: an operator's
pods, a kubectl run) or node (static pods, kube-system).

The kubeconfig is found as kubectl finds it: --kubeconfig, $KUBECONFIG,
~/.kube/config.`,
		Example: `  helm-airgap images --from-cluster -c airgap.yaml -n platform
  helm-airgap images --from-cluster -c airgap.yaml -A -o json > captured.json
  helm-airgap images --from-cluster -c airgap.yaml -n platform --rendered rendered.yaml -o crane > mirror.sh`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := plan.ParseFormat(output)
			if err != nil || format == plan.Flux {
				return cli.Usagef("--output: %q: use plain, json, crane or skopeo for a cluster", output)
			}
			return runImages(cmd, &f, format, rendered, why)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "plain", "output format: plain, json, crane or skopeo")
	cmd.Flags().StringVar(&rendered, "rendered", "", "rendered manifests of the release (a file, - for stdin): their images count as rendered")
	cmd.Flags().BoolVar(&why, "why", false, "show every object each image was found in")
	return cmd
}

func runImages(cmd *cobra.Command, f *clusterFlags, format plan.Format, rendered string, why bool) error {
	cfg, m, err := f.Flags.Load()
	if err != nil {
		return cli.Usage(err)
	}
	opts := f.Flags.EngineOptions(cfg, m)
	inRender, err := renderedImages(cmd, rendered, opts)
	if err != nil {
		return err
	}
	snap, err := f.capture(cmd.Context())
	if err != nil {
		return err
	}
	p, report, err := plan.Build(bytes.NewReader(snap.Manifests), opts, true)
	var policy *rewrite.PolicyError
	if errors.As(err, &policy) {
		rewrite.WriteReport(cmd.ErrOrStderr(), policy.Report, m)
		return cli.Reported(err)
	}
	if err != nil {
		return fmt.Errorf("reading the cluster's images: %w", err)
	}
	counts := classify(p, snap, inRender, why)
	if err := plan.Write(cmd.OutOrStdout(), p, format); err != nil {
		return fmt.Errorf("writing the plan: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "helm-airgap: %d object(s), %d image reference(s): %d image(s), %d to copy, %d already internal; %d rendered, %d runtime, %d node\n",
		snap.Objects, report.References, len(p.Images), len(p.Copies()), len(p.InternalImages()),
		counts[cluster.Rendered], counts[cluster.Runtime], counts[cluster.Node])
	return nil
}

// classify marks each image with the strongest class of the objects it was
// found in (rendered, then runtime, then node: an image the release uses is
// mirrored with the release), or rendered when --rendered lists it.
func classify(p *plan.Plan, snap *cluster.Snapshot, inRender map[string]bool, why bool) map[cluster.Class]int {
	rank := map[cluster.Class]int{cluster.Rendered: 3, cluster.Runtime: 2, cluster.Node: 1}
	counts := map[cluster.Class]int{}
	for i := range p.Images {
		img := &p.Images[i]
		best := cluster.Class("")
		if inRender[img.Source] {
			best = cluster.Rendered
		}
		for _, o := range img.Origins {
			if c := snap.Class(o.Kind, o.Namespace, o.Name); rank[c] > rank[best] {
				best = c
			}
		}
		img.Cluster = string(best)
		counts[best]++
		if !why {
			img.Origins = nil
		}
	}
	return counts
}

// renderedImages are the sources and destinations of the rendered
// manifests' images: a cluster runs either, depending on whether the
// release was installed through helm-airgap.
func renderedImages(cmd *cobra.Command, path string, opts rewrite.Options) (map[string]bool, error) {
	if path == "" {
		return nil, nil
	}
	in := cmd.InOrStdin()
	if path != "-" {
		file, err := os.Open(path)
		if err != nil {
			return nil, cli.Usage(fmt.Errorf("--rendered: %w", err))
		}
		defer file.Close()
		in = file
	}
	p, _, err := plan.Build(in, opts, false)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("--rendered %s: %w", cli.Name(path), err))
	}
	set := map[string]bool{}
	for _, img := range p.Images {
		set[img.Source] = true
		if ref, err := reference.Parse(img.Destination); err == nil {
			set[ref.Repository()+ref.Suffix] = true
		}
	}
	return set, nil
}
