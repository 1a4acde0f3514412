package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/mirror"
	"github.com/spf13/cobra"
)

func newResolveCommand() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "resolve --lock FILE [FILE|DIR|-]... | resolve --lock FILE CHART [helm template flags]",
		Short: "Write a lock file from the source registries, copying nothing",
		Long: `Asks the source registries what every image of the mirror plan is now (the
digest, after --platform filtering, the platforms and the signatures,
attestations and SBOMs attached) and writes it to the lock file, copying
nothing. mirror then copies exactly that (mirror --lock writes the same
entries), and rewrite --lock pins the release to it. The plan comes from the
same inputs and config as "helm-airgap images", or from --plan.

Exit codes: 0 every image resolved, 1 an image could not be resolved (the
lock is written for the others), 2 usage, config or input error.`,
		Example:            `  helm-airgap resolve -c airgap.yaml --lock airgap.lock --platform linux/amd64 rendered/`,
		DisableFlagParsing: true, // Helm's flags pass through in chart mode.
		RunE: withParsedArgs(func(cmd *cobra.Command, rest []string) error {
			return runResolve(cmd, &o, rest)
		}),
	}
	o.addFlags(cmd)
	cli.Unoffered(cmd, "pull-secret") // pull secrets go into manifests, not registries
	cmd.Flags().StringVar(&o.platforms, "platform", "", "keep only these platforms of a multi-platform image (os/arch[/variant], comma-separated)")
	cmd.Flags().StringVar(&o.lockFile, "lock", "", "the lock file to write (entries for other sources are kept)")
	return cmd
}

func runResolve(cmd *cobra.Command, o *options, args []string) error {
	if o.lockFile == "" {
		return cli.Usage(errors.New("resolve writes a lock file: give --lock FILE"))
	}
	if o.fromArchive != "" {
		return cli.Usage(errors.New("resolve asks the source registries; --from-archive does not apply"))
	}
	p, client, err := o.planClient(cmd, args)
	if err != nil {
		return err
	}
	r := client.Resolve(cmd.Context(), mirror.Items(p, false))
	if err := writeLock(cmd, o, r); err != nil {
		return err
	}
	if failed := listFailures(cmd.ErrOrStderr(), o, r); failed > 0 {
		return cli.Failed(fmt.Errorf("%d image(s) could not be resolved", failed))
	}
	return nil
}

// listFailures prints every failed result (and, with --why, where its
// image was found) and returns how many there were.
func listFailures(w io.Writer, o *options, r *mirror.Report) int {
	for _, res := range r.Results {
		if res.Outcome == mirror.Failed {
			fmt.Fprintf(w, "  %v\n", res.Err)
			writeOrigins(w, o, res.Item)
		}
	}
	return r.Count(mirror.Failed)
}
