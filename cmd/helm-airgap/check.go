package main

import (
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
)

func newCheckCommand() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "check [FILE|DIR|-]...",
		Short: "Report image references that are not on the mirror, without rewriting",
		Long: `Reads manifests like rewrite does but changes nothing and writes nothing to
stdout: it exits 0 when every image reference is on the mirror, a rule
destination or an allowed registry, and 1 with one line per offender otherwise.
Use it to verify the output of rewrite, or of charts rendered with
global.imageRegistry, before applying it.

With --from-cluster it checks what a live cluster runs instead (served by the
helm-airgap-cluster companion: helm-airgap check --from-cluster --help).`,
		Example: `  helm template app ./chart | helm-airgap rewrite -c airgap.yaml | helm-airgap check -c airgap.yaml
  helm-airgap check -c airgap.yaml rendered/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEngine(cmd, &o, args, true)
		},
	}
	o.addFlags(cmd)
	cli.Unoffered(cmd, "pull-secret", "lock") // nothing is written
	o.egress.Add(cmd.Flags(), true)
	return cmd
}
