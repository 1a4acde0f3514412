package settings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"

	"github.com/plexicus/helm-airgap/egress"
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/lock"
	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"go.yaml.in/yaml/v3"
)

// Request is what an entry point knows before the config is read.
type Request struct {
	Flags
	// Egress are the egress and issuer flags (rewrite and check have them).
	Egress EgressFlags
	// Environ is the process environment (os.Environ()): $HELM_AIRGAP_CONFIG
	// and, under Argo CD, the plugin env and parameters.
	Environ []string
	// Config, when set, is the config itself (a KRM functionConfig) and no
	// config file is read.
	Config *config.Config
	// CheckOnly: the run reports and writes no stream (check).
	CheckOnly bool
}

// Policy is a compiled config with everything that follows from it.
type Policy struct {
	Config *config.Config
	Mapper *mapper.Mapper
	// ArgoCD are the settings Argo CD's environment gave.
	ArgoCD ArgoCD
	// Warnings are for stderr: settings that were ignored, and why.
	Warnings []string
	// Lock pins rewritten references (--lock, or the config's lock:).
	Lock *lock.File

	checkOnly       bool
	maxDocumentSize int
	egress          *egress.Options // nil when no audit runs
	egressJSON      bool
}

// Load assembles the policy. Precedence, highest first: flags; Argo CD
// parameters; ARGOCD_ENV_HELM_AIRGAP_*; $HELM_AIRGAP_CONFIG and the config
// file (a single value is taken from the highest source that sets it;
// lists add up). Argo CD's variables are read only under Argo CD
// (ARGOCD_APP_NAME set); elsewhere they are ignored with a warning, so a
// stray variable in a CI job cannot change the policy of a post-renderer.
// Every error is a usage, config or input error.
func Load(req Request) (*Policy, error) {
	p, err := load(req)
	return p, cli.Usage(err)
}

func load(req Request) (*Policy, error) {
	env := environMap(req.Environ)
	argo, warnings, err := readArgoCD(env)
	if err != nil {
		return nil, err
	}
	p := &Policy{ArgoCD: argo, Warnings: warnings, checkOnly: req.CheckOnly, maxDocumentSize: req.MaxDocumentSize}
	flags, err := req.Overrides()
	if err != nil {
		return nil, err
	}
	cfg := req.Config
	if cfg == nil {
		if cfg, err = readConfig(req.ConfigFile, argo, env[ConfigEnv]); err != nil {
			return nil, err
		}
	}
	cfg.Apply(argo.overrides)
	cfg.Apply(flags)
	if err := req.Egress.apply(cfg); err != nil {
		return nil, err
	}
	if p.Mapper, err = Compile(cfg); err != nil {
		return nil, err
	}
	p.Config = cfg
	if p.Lock, err = readLock(req.Lock, cfg.Lock); err != nil {
		return nil, err
	}
	if p.egress, err = req.Egress.options(cfg, p.Mapper, req.CheckOnly); err != nil {
		return nil, err
	}
	p.egressJSON = req.Egress.Output == "json"
	return p, nil
}

func environMap(environ []string) map[string]string {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// readConfig reads the config file: --config, else the one Argo CD's
// settings name (which must lie inside the application directory), else
// $HELM_AIRGAP_CONFIG; none at all is an empty config.
func readConfig(flag string, argo ArgoCD, fromEnv string) (*config.Config, error) {
	switch {
	case flag != "":
		return loadConfig(flag)
	case argo.config != "":
		return loadArgoConfig(argo)
	case fromEnv != "":
		return loadConfig(fromEnv)
	}
	return &config.Config{}, nil
}

// loadConfig reads a config file; its name appears in messages quoted when
// it holds anything but plain text (cli.Name), so it cannot forge a line.
func loadConfig(path string) (*config.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config %q: %w", path, pathErr(err))
	}
	cfg, err := config.Parse(data, cli.Name(path))
	if err == nil && cfg.Lock != "" && !filepath.IsAbs(cfg.Lock) {
		cfg.Lock = filepath.Join(filepath.Dir(path), cfg.Lock)
	}
	return cfg, err
}

// readLock reads the lock file --lock names, else the config's lock:.
func readLock(flag, fromConfig string) (*lock.File, error) {
	path := flag
	if path == "" {
		path = fromConfig
	}
	if path == "" {
		return nil, nil
	}
	return lock.Read(path)
}

// pathErr is an *os.PathError's cause without its raw path, which the
// message quotes itself.
func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// loadArgoConfig reads a config file an Application named. The parameter
// comes from whoever may edit the Application, so the file must lie inside
// the application directory once symlinks are resolved, and a file that is
// not a helm-airgap config is refused without quoting a line of it.
func loadArgoConfig(argo ArgoCD) (*config.Config, error) {
	path, err := insideAppDir(argo.config, argo.configFrom)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: reading config %q: %w", argo.configFrom, argo.config, pathErr(err))
	}
	if !looksLikeConfig(data) {
		return nil, fmt.Errorf("%s: %q is not a helm-airgap config (a YAML mapping of apiVersion, mirror, rules, ...); its content is not shown", argo.configFrom, argo.config)
	}
	cfg, err := config.Parse(data, cli.Name(argo.config))
	if err != nil || cfg.Lock == "" {
		return cfg, err
	}
	// The lock file is read too: it must lie inside the application as well.
	if !filepath.IsAbs(cfg.Lock) {
		cfg.Lock = filepath.Join(filepath.Dir(argo.config), cfg.Lock)
	}
	if cfg.Lock, err = insideAppDir(cfg.Lock, argo.configFrom+" (the config's lock:)"); err != nil {
		return nil, err
	}
	return cfg, nil
}

// configKeys are the top-level keys of a config file, from the config type;
// computed when first asked (only under Argo CD), not at every start.
var configKeys = sync.OnceValue(func() map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeOf(config.Config{})
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
})

// looksLikeConfig reports whether data is a YAML mapping whose keys are all
// config keys (or empty), so that the config parser's messages, which quote
// the offending line, are only ever about a config.
func looksLikeConfig(data []byte) bool {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return false
	}
	if len(root.Content) == 0 {
		return true
	}
	m := root.Content[0]
	if yamlnode.IsNull(m) {
		return true
	}
	if m.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(m.Content); i += 2 {
		if !configKeys()[m.Content[i].Value] {
			return false
		}
	}
	return true
}
