package main

import (
	"fmt"
	"os"

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules"
	"github.com/spf13/cobra"
)

// configEnv names the config file when --config is not given.
const configEnv = "HELM_AIRGAP_CONFIG"

// options are the settings rewrite and check share.
type options struct {
	configFile      string
	mirror          string
	rules           []string
	pullSecrets     []string
	allow           []string
	maxDocumentSize int
	skipImageless   bool
	argo            argoCDSettings // settings from an Argo CD plugin environment (argocd_env.go)
	egress          egressFlags    // the egress audit and issuer flags (egress.go)
}

func (o *options) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.configFile, "config", "c", "", "config file (default $"+configEnv+")")
	f.StringVar(&o.mirror, "mirror", "", "catch-all destination prefix for images no rule matches")
	f.StringArrayVar(&o.rules, "rule", nil, "rule FROM=TO; repeatable; replaces a config rule with the same FROM")
	f.StringArrayVar(&o.pullSecrets, "pull-secret", nil, "imagePullSecrets name to add to every pod spec; repeatable")
	f.StringArrayVar(&o.allow, "allow", nil, "registry domain that is already internal; repeatable")
	f.IntVar(&o.maxDocumentSize, "max-document-size", rewrite.DefaultMaxDocumentSize, "largest document accepted, in bytes")
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
	cfg := &rules.Config{}
	path := o.configFile
	if path == "" {
		path = o.argo.config
	}
	if path == "" {
		path = os.Getenv(configEnv)
	}
	if path != "" {
		var err error
		if cfg, err = rules.LoadFile(path); err != nil {
			return nil, nil, usageError{err}
		}
	}
	overrides := rules.Overrides{Mirror: o.mirror, PullSecrets: o.pullSecrets, Allow: o.allow}
	for _, flag := range o.rules {
		rule, err := rules.ParseRuleFlag(flag)
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("--rule: %w", err)}
		}
		overrides.Rules = append(overrides.Rules, rule)
	}
	cfg.Apply(o.argo.overrides)
	cfg.Apply(overrides)
	if err := o.egress.apply(cfg); err != nil {
		return nil, nil, err
	}
	mapper, err := cfg.Compile()
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	return cfg, mapper, nil
}

// engineOptions turns the loaded config into the rewrite engine's options.
func (o *options) engineOptions(cfg *rules.Config, mapper *rules.Mapper) rewrite.Options {
	fields := append(append([]rules.ImageField(nil), rules.BuiltinImageFields...), cfg.ImageFields...)
	return rewrite.Options{Mapper: mapper, ImageFields: fields, MaxDocumentSize: o.maxDocumentSize, AdaptMemoryLimit: true, SkipImageless: o.skipImageless}
}
