package main

import (
	"os"

	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// airgapOptions are helm-airgap's own flags, the same as `helm-airgap
// rewrite` takes.
type airgapOptions struct {
	settings.Flags
}

func (o *airgapOptions) addFlags(f *pflag.FlagSet) { o.Flags.Add(f) }

// rewriter assembles the policy (settings.Load: flags, environment, config
// file, as every entry point does) and returns the rewriter for one Helm
// action.
func (o *airgapOptions) rewriter(cmd *cobra.Command) (*rewriter, error) {
	policy, err := settings.Load(settings.Request{Flags: o.Flags, Environ: os.Environ()})
	if err != nil {
		return nil, err
	}
	return newRewriter(policy.Start(cmd.OutOrStdout(), cmd.ErrOrStderr())), nil
}
