package main

import (
	"os"

	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/spf13/cobra"
)

// options are the settings rewrite and check share: the config flags, the
// egress and issuer flags, and rewrite's own.
type options struct {
	settings.Flags
	egress        settings.EgressFlags
	skipImageless bool
}

func (o *options) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	o.Flags.Add(f)
	f.BoolVar(&o.skipImageless, "skip-imageless", false, "copy documents that provably hold no image without parsing them (faster; such documents are not validated)")
	addReportFlag(f) // report.go
}

// load assembles the policy (settings.Load: flags, Helm's and Argo CD's
// environment, the config file) and starts the run.
func (o *options) load(cmd *cobra.Command, checkOnly bool) (*settings.Session, error) {
	policy, err := settings.Load(settings.Request{Flags: o.Flags, Egress: o.egress, Environ: os.Environ(), CheckOnly: checkOnly})
	if err != nil {
		return nil, err
	}
	return policy.Start(cmd.OutOrStdout(), cmd.ErrOrStderr()), nil
}

// tune adds the fast path's memory and prefilter settings to a session's
// engine options.
func (o *options) tune(opts rewrite.Options) rewrite.Options {
	opts.AdaptMemoryLimit, opts.SkipImageless = true, o.skipImageless
	return opts
}
