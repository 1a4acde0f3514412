package main

import (
	"os"

	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules"
	"github.com/spf13/cobra"
)

// configEnv names the config file when --config is not given.
const configEnv = settings.ConfigEnv

// options are the settings rewrite and check share.
type options struct {
	settings.Flags
	skipImageless bool
	argo          argoCDSettings // settings from an Argo CD plugin environment (argocd_env.go)
	egress        egressFlags    // the egress audit and issuer flags (egress.go)
}

func (o *options) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	o.Flags.Add(f)
	f.BoolVar(&o.skipImageless, "skip-imageless", false, "copy documents that provably hold no image without parsing them (faster; such documents are not validated)")
	addReportFlag(f) // report.go
}

// load reads the config file (from --config, the Argo CD settings or
// $HELM_AIRGAP_CONFIG), applies the Argo CD settings and then the flags on
// top, and compiles it.
func (o *options) load() (*rules.Config, *rules.Mapper, error) {
	var err error
	if o.argo, err = readArgoCDSettings(os.Environ()); err != nil {
		return nil, nil, usageError{err}
	}
	path := o.ConfigFile
	if path == "" {
		path = o.argo.config
	}
	if path == "" {
		path = os.Getenv(configEnv)
	}
	overrides, err := o.Overrides()
	if err != nil {
		return nil, nil, usageError{err}
	}
	cfg, err := settings.Read(path, o.argo.overrides, overrides)
	if err != nil {
		return nil, nil, usageError{err}
	}
	if err := o.egress.apply(cfg); err != nil {
		return nil, nil, err
	}
	mapper, err := settings.Compile(cfg)
	if err != nil {
		return nil, nil, usageError{err}
	}
	return cfg, mapper, nil
}

// engineOptions turns the loaded config into the rewrite engine's options.
func (o *options) engineOptions(cfg *rules.Config, mapper *rules.Mapper) rewrite.Options {
	opts := o.Flags.EngineOptions(cfg, mapper)
	opts.AdaptMemoryLimit, opts.SkipImageless = true, o.skipImageless
	return opts
}
