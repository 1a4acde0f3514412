package main

import (
	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/spf13/pflag"
)

// airgapOptions are helm-airgap's own flags, the same as `helm-airgap
// rewrite` takes.
type airgapOptions struct {
	settings.Flags
}

func (o *airgapOptions) addFlags(f *pflag.FlagSet) { o.Flags.Add(f) }

// rewriter loads the config (file from --config or $HELM_AIRGAP_CONFIG,
// flags on top) and returns the rewriter for one Helm action.
func (o *airgapOptions) rewriter() (*rewriter, error) {
	cfg, mapper, err := o.Load()
	if err != nil {
		return nil, usageError{err}
	}
	opts := o.EngineOptions(cfg, mapper)
	opts.Passes = rewrite.ConfigPasses(cfg) // the config's issuer: rewrite
	return newRewriter(mapper, opts), nil
}
