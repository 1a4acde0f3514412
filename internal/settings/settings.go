// Package settings is the one assembly of helm-airgap's policy: every entry
// point (rewrite and check on a stream, rewrite --output-dir/--in-place, the Helm 4
// post-renderer, helm-airgap-helm template/install/upgrade, the Argo CD
// plugin, the KRM function) turns its flags, the environment
// ($HELM_AIRGAP_CONFIG, Argo CD's ARGOCD_ENV_* and parameters) and the
// config file into a Policy with Load, and runs the rewrite engine with the
// options a Session of that Policy gives. The entry point adds only its I/O,
// so that a config means the same everywhere: the same destinations, the
// same issuer rewrite, the same egress gate (strict included), collisions
// found across every stream of one run.
//
// It imports rules, rewrite and egress, and must stay light: the fast
// binary imports it (no Helm SDK, client-go, kyaml or registry client).
package settings

import (
	"fmt"
	"os"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/spf13/pflag"
)

// ConfigEnv names the config file when --config is not given.
const ConfigEnv = "HELM_AIRGAP_CONFIG"

// PullSecretsEnv is the variable of every --pull-secret flag (init's too).
const PullSecretsEnv = "HELM_AIRGAP_PULL_SECRETS"

// Flags are the shared config flags.
type Flags struct {
	ConfigFile      string
	Mirror          string
	Rules           []string
	PullSecrets     []string
	Allow           []string
	MaxDocumentSize int
	Lock            string

	fs *pflag.FlagSet // where Add registered them: which came from the environment
}

// Add registers the flags.
func (f *Flags) Add(fs *pflag.FlagSet) {
	fs.StringVarP(&f.ConfigFile, "config", "c", "", "config file (default $"+ConfigEnv+")")
	fs.StringVar(&f.Mirror, "mirror", "", "catch-all destination prefix for images no rule matches")
	fs.StringArrayVar(&f.Rules, "rule", nil, "rule FROM=TO; repeatable; replaces a config rule with the same FROM")
	fs.StringArrayVar(&f.PullSecrets, "pull-secret", nil, "imagePullSecrets name to add to every pod spec; repeatable")
	fs.StringArrayVar(&f.Allow, "allow", nil, "registry domain that is already internal; repeatable")
	fs.IntVar(&f.MaxDocumentSize, "max-document-size", rewrite.DefaultMaxDocumentSize, "largest document accepted, in bytes")
	// The variables are Argo CD's names, outside Argo CD too.
	for _, s := range []argoSetting{argoMirror, argoRules, argoPullSecrets, argoAllow} {
		cli.SetEnvName(fs, s.flag, s.env)
	}
	f.fs = fs
}

// AddLock registers --lock for the commands that rewrite (mirror has its
// own --lock, the file it writes).
func (f *Flags) AddLock(fs *pflag.FlagSet) {
	fs.StringVar(&f.Lock, "lock", "", "lock file from mirror --lock: pin every rewritten reference to the mirrored digest (overrides the config's lock:)")
}

// Path is the config file the flags or the environment name: --config,
// else $HELM_AIRGAP_CONFIG, else "".
func (f *Flags) Path() string {
	if f.ConfigFile != "" {
		return f.ConfigFile
	}
	return os.Getenv(ConfigEnv)
}

// Overrides are the flags as config overrides.
func (f *Flags) Overrides() (config.Overrides, error) {
	o := config.Overrides{Mirror: f.Mirror, PullSecrets: f.PullSecrets, Allow: f.Allow, From: f.fromEnv()}
	for _, flag := range f.Rules {
		rule, err := config.ParseRuleFlag(flag)
		if err != nil {
			return config.Overrides{}, fmt.Errorf("--rule: %w", err)
		}
		o.Rules = append(o.Rules, rule)
	}
	return o, nil
}

// fromEnv labels the flags whose values came from the environment
// (cli.EnvSet), for the config's origins: "env HELM_AIRGAP_MIRROR".
func (f *Flags) fromEnv() map[string]string {
	if f.fs == nil {
		return nil
	}
	from := map[string]string{}
	for _, s := range []argoSetting{argoMirror, argoRules, argoPullSecrets, argoAllow} {
		if fl := f.fs.Lookup(s.flag); fl != nil && len(fl.Annotations[cli.EnvSet]) == 1 {
			from[s.flag] = "env " + fl.Annotations[cli.EnvSet][0]
		}
	}
	return from
}

// Load reads the config named by the flags or the environment, applies the
// flags, and compiles it: Load with this process's environment, for the
// commands that only map (mirror, verify).
func (f *Flags) Load() (*config.Config, *mapper.Mapper, error) {
	p, err := Load(Request{Flags: *f, Environ: os.Environ()})
	if err != nil {
		return nil, nil, err
	}
	return p.Config, p.Mapper, nil
}

// EngineOptions are EngineOptions with the --max-document-size flag.
func (f *Flags) EngineOptions(cfg *config.Config, m *mapper.Mapper) rewrite.Options {
	opts := EngineOptions(cfg, m)
	opts.MaxDocumentSize = f.MaxDocumentSize
	return opts
}

// EngineOptions turn a compiled config into the rewrite engine's options:
// the mapper, the operator catalogue with the configured image fields, the
// ignore list, and the passes the config asks for (the issuer rewrite). It is the only place that does, so
// that every entry point rewrites by the same config the same way.
func EngineOptions(cfg *config.Config, m *mapper.Mapper) rewrite.Options {
	return rewrite.Options{Mapper: m, Catalogue: cfg.Catalogue(), Ignore: cfg.Ignore, Passes: rewrite.ConfigPasses(cfg)}
}

// Compile validates the config, saying so in the error.
func Compile(cfg *config.Config) (*mapper.Mapper, error) {
	m, err := cfg.Compile()
	if err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return m, nil
}
