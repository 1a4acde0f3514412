package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/spf13/cobra"
)

func newCheckCommand() *cobra.Command {
	var f clusterFlags
	cmd := &cobra.Command{
		Use:   "check --from-cluster [-n NAMESPACE]... [-A]",
		Short: "Report every image a live cluster runs that is not on the mirror",
		Long: `Reads every Pod and workload pod template of the chosen namespaces, as
images --from-cluster does, and checks their images as "helm-airgap check"
checks manifests: exit 0 when every one is on the mirror, a rule destination
or an allowed registry, 1 with one line per offender (kind, namespace/name,
container, image, the rule that would map it) otherwise, 2 when the cluster
cannot be read.`,
		Example: `  helm-airgap check --from-cluster -c airgap.yaml -n platform
  helm-airgap check --from-cluster -c airgap.yaml -A`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return runCheck(cmd, &f) },
	}
	f.add(cmd)
	return cmd
}

func runCheck(cmd *cobra.Command, f *clusterFlags) error {
	cfg, mapper, err := f.Flags.Load()
	if err != nil {
		return cli.Usage(err)
	}
	snap, err := f.capture(cmd.Context())
	if err != nil {
		return err
	}
	opts := f.Flags.EngineOptions(cfg, mapper)
	opts.CheckOnly = true
	report, err := rewrite.Run(bytes.NewReader(snap.Manifests), io.Discard, opts)
	var policy *rewrite.PolicyError
	if errors.As(err, &policy) {
		rewrite.WriteReport(cmd.ErrOrStderr(), policy.Report, mapper)
		return cli.Reported(err)
	}
	if err != nil {
		return fmt.Errorf("checking the cluster's images: %w", err)
	}
	if !cli.Quiet(cmd) {
		fmt.Fprintf(cmd.ErrOrStderr(), "helm-airgap: %d object(s), %d image reference(s); every one is on the internal registry\n",
			snap.Objects, report.References)
	}
	return nil
}
