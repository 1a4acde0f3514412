package main

import (
	"fmt"
	"os"

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules"
	"github.com/spf13/pflag"
)

// configEnv names the config file when --config is not given, as for
// helm-airgap rewrite.
const configEnv = "HELM_AIRGAP_CONFIG"

// airgapOptions are helm-airgap's own flags, the same as `helm-airgap
// rewrite` takes.
type airgapOptions struct {
	configFile      string
	mirror          string
	rules           []string
	pullSecrets     []string
	allow           []string
	maxDocumentSize int
}

func (o *airgapOptions) addFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.configFile, "config", "c", "", "helm-airgap config file (default $"+configEnv+")")
	f.StringVar(&o.mirror, "mirror", "", "catch-all destination prefix for images no rule matches")
	f.StringArrayVar(&o.rules, "rule", nil, "rule FROM=TO; repeatable; replaces a config rule with the same FROM")
	f.StringArrayVar(&o.pullSecrets, "pull-secret", nil, "imagePullSecrets name to add to every pod spec; repeatable")
	f.StringArrayVar(&o.allow, "allow", nil, "registry domain that is already internal; repeatable")
	f.IntVar(&o.maxDocumentSize, "max-document-size", rewrite.DefaultMaxDocumentSize, "largest document accepted, in bytes")
}

// rewriter loads the config (file from --config or $HELM_AIRGAP_CONFIG,
// flags on top) and returns the rewriter for one Helm action.
func (o *airgapOptions) rewriter() (*rewriter, error) {
	cfg := &rules.Config{}
	path := o.configFile
	if path == "" {
		path = os.Getenv(configEnv)
	}
	if path != "" {
		var err error
		if cfg, err = rules.LoadFile(path); err != nil {
			return nil, usageError{err}
		}
	}
	overrides := rules.Overrides{Mirror: o.mirror, PullSecrets: o.pullSecrets, Allow: o.allow}
	for _, flag := range o.rules {
		rule, err := rules.ParseRuleFlag(flag)
		if err != nil {
			return nil, usageError{fmt.Errorf("--rule: %w", err)}
		}
		overrides.Rules = append(overrides.Rules, rule)
	}
	cfg.Apply(overrides)
	mapper, err := cfg.Compile()
	if err != nil {
		return nil, usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	fields := append(append([]rules.ImageField(nil), rules.BuiltinImageFields...), cfg.ImageFields...)
	return newRewriter(mapper, rewrite.Options{Mapper: mapper, ImageFields: fields, MaxDocumentSize: o.maxDocumentSize,
		Passes: rewrite.ConfigPasses(cfg)}), nil // ConfigPasses: the config's issuer: rewrite
}
