// Package settings is the configuration every helm-airgap binary reads the
// same way: a config file from --config or $HELM_AIRGAP_CONFIG, with the
// --mirror, --rule, --pull-secret and --allow flags on top, compiled into a
// mapper, and the engine options that follow from it. One definition keeps
// rewrite, images, mirror, verify and the Helm commands computing every
// destination identically.
package settings

import (
	"fmt"
	"os"

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules"
	"github.com/spf13/pflag"
)

// ConfigEnv names the config file when --config is not given.
const ConfigEnv = "HELM_AIRGAP_CONFIG"

// Flags are the shared config flags.
type Flags struct {
	ConfigFile      string
	Mirror          string
	Rules           []string
	PullSecrets     []string
	Allow           []string
	MaxDocumentSize int
}

// Add registers the flags.
func (f *Flags) Add(fs *pflag.FlagSet) {
	fs.StringVarP(&f.ConfigFile, "config", "c", "", "config file (default $"+ConfigEnv+")")
	fs.StringVar(&f.Mirror, "mirror", "", "catch-all destination prefix for images no rule matches")
	fs.StringArrayVar(&f.Rules, "rule", nil, "rule FROM=TO; repeatable; replaces a config rule with the same FROM")
	fs.StringArrayVar(&f.PullSecrets, "pull-secret", nil, "imagePullSecrets name to add to every pod spec; repeatable")
	fs.StringArrayVar(&f.Allow, "allow", nil, "registry domain that is already internal; repeatable")
	fs.IntVar(&f.MaxDocumentSize, "max-document-size", rewrite.DefaultMaxDocumentSize, "largest document accepted, in bytes")
}

// Path is the config file: --config, else $HELM_AIRGAP_CONFIG, else "".
func (f *Flags) Path() string {
	if f.ConfigFile != "" {
		return f.ConfigFile
	}
	return os.Getenv(ConfigEnv)
}

// Overrides are the flags as config overrides.
func (f *Flags) Overrides() (rules.Overrides, error) {
	o := rules.Overrides{Mirror: f.Mirror, PullSecrets: f.PullSecrets, Allow: f.Allow}
	for _, flag := range f.Rules {
		rule, err := rules.ParseRuleFlag(flag)
		if err != nil {
			return rules.Overrides{}, fmt.Errorf("--rule: %w", err)
		}
		o.Rules = append(o.Rules, rule)
	}
	return o, nil
}

// Read reads the config file at path (none when empty) and applies each
// layer of overrides in order, the last winning.
func Read(path string, layers ...rules.Overrides) (*rules.Config, error) {
	cfg := &rules.Config{}
	if path != "" {
		var err error
		if cfg, err = rules.LoadFile(path); err != nil {
			return nil, err
		}
	}
	for _, layer := range layers {
		cfg.Apply(layer)
	}
	return cfg, nil
}

// Load reads the config named by the flags, applies the flags, and compiles it.
func (f *Flags) Load() (*rules.Config, *rules.Mapper, error) {
	overrides, err := f.Overrides()
	if err != nil {
		return nil, nil, err
	}
	cfg, err := Read(f.Path(), overrides)
	if err != nil {
		return nil, nil, err
	}
	mapper, err := Compile(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, mapper, nil
}

// Compile validates the config, saying so in the error.
func Compile(cfg *rules.Config) (*rules.Mapper, error) {
	mapper, err := cfg.Compile()
	if err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return mapper, nil
}

// EngineOptions are the rewrite engine's options for a compiled config: the
// mapper, the operator catalogue with the configured image fields, the
// ignore list and the document limit. Commands that rewrite add the
// config's passes (rewrite.ConfigPasses).
func (f *Flags) EngineOptions(cfg *rules.Config, mapper *rules.Mapper) rewrite.Options {
	return rewrite.Options{Mapper: mapper, Catalogue: cfg.Catalogue(), Ignore: cfg.Ignore, MaxDocumentSize: f.MaxDocumentSize}
}
