package main

import (
	"fmt"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/mirror"
	"github.com/spf13/cobra"
)

func newInventoryCommand() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "inventory [FILE|DIR|-]... | inventory CHART [helm template flags]",
		Short: "List what the internal registry already holds for the plan's destinations",
		Long: `Writes to stdout what the internal registry already holds for every destination
of the mirror plan: per repository, the digests of the manifests under each
destination present (an index's platform manifests included) and of the
configs and layers they use. Sorted JSON: the same registry gives the same
bytes. Run it inside the air gap and carry the file out: there,
mirror --to-archive --have FILE leaves out of the archive every blob the
inside already holds, so an update carries only what is new. The file is
not signed: it only decides what is left out, and the inside checks every
blob left out is really there before pushing anything.

The plan comes from the same inputs and config as "helm-airgap images", or
from --plan. Only manifests and blob digests are read (one GET per distinct
manifest); nothing is written to the registry.

Exit codes: 0 written, 1 a destination could not be read (the others are
written), 2 usage, config or input error.`,
		Example: `  helm-airgap inventory -c airgap.yaml rendered/ > inside.json   # inside
  helm-airgap mirror -c airgap.yaml --to-archive update.tar --have inside.json rendered/   # outside`,
		DisableFlagParsing: true, // Helm's flags pass through in chart mode.
		RunE: withParsedArgs(func(cmd *cobra.Command, rest []string) error {
			return runInventory(cmd, &o, rest)
		}),
	}
	o.addFlags(cmd)
	cli.Unoffered(cmd, "pull-secret", "from-archive", "no-referrers")
	return cmd
}

func runInventory(cmd *cobra.Command, o *options, args []string) error {
	if o.fromArchive != "" {
		return cli.Usage(fmt.Errorf("inventory reads the registry, not an archive"))
	}
	p, client, err := o.planClient(cmd, args)
	if err != nil {
		return err
	}
	inv, r := client.Inventory(cmd.Context(), mirror.Items(p, false))
	data, err := inv.Marshal()
	if err != nil {
		return err
	}
	if _, err := cmd.OutOrStdout().Write(data); err != nil {
		return err
	}
	w := cmd.ErrOrStderr()
	fmt.Fprintf(w, "helm-airgap: inventory of %d repositories: %d holding images, %d empty or absent, %d could not be read\n",
		len(r.Results), r.Count(mirror.Present), r.Count(mirror.Missing), r.Count(mirror.Failed))
	if n := listFailures(w, o, r); n > 0 {
		return cli.Failed(fmt.Errorf("%d repositories could not be read", n))
	}
	return nil
}
