package cli

import (
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// EnvPrefix starts the environment variable of every flag:
// --max-document-size is HELM_AIRGAP_MAX_DOCUMENT_SIZE, --config
// HELM_AIRGAP_CONFIG, --pull-secret HELM_AIRGAP_PULL_SECRETS (SetEnvName).
const EnvPrefix = "HELM_AIRGAP_"

// EnvName is the environment variable that sets a flag, unless the flag
// names its own (SetEnvName).
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Flag annotations: envAnnotation names a flag's own variable, EnvSet the
// variable a flag's value came from when it was not on the command line.
const (
	envAnnotation = "helm-airgap/env"
	EnvSet        = "helm-airgap/env-set"
)

// SetEnvName gives a flag a variable of its own instead of EnvName's: the
// shared settings, whose names are Argo CD's too (internal/settings). The
// variable of a repeatable flag holds a list, its items separated by commas,
// spaces or newlines, as under Argo CD.
func SetEnvName(fs *pflag.FlagSet, flag, env string) {
	if err := fs.SetAnnotation(flag, envAnnotation, []string{env}); err != nil {
		panic(err) // a flag registered just before: a programming error
	}
}

// flagEnv is the variable that sets a flag.
func flagEnv(f *pflag.Flag) string {
	if v := f.Annotations[envAnnotation]; len(v) == 1 {
		return v[0]
	}
	return EnvName(f.Name)
}

// nameEnv names every flag's environment variable in --help; applyEnv
// sets the flags from them when the command runs.
func nameEnv(root *cobra.Command) {
	var visit func(*cobra.Command)
	visit = func(cmd *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{cmd.LocalNonPersistentFlags(), cmd.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if envBound(f) && !strings.Contains(f.Usage, EnvPrefix) {
					f.Usage += " (env " + flagEnv(f) + ")"
				}
			})
		}
		for _, c := range cmd.Commands() {
			visit(c)
		}
	}
	visit(root)
}

// envBound says whether a flag takes its value from the environment: not
// --help and --version, which only ask, and not --config, whose variable
// ranks below an Argo CD application's own config (settings.Load).
func envBound(f *pflag.Flag) bool {
	return f.Name != "help" && f.Name != "version" && f.Name != "config"
}

// applyEnv sets each flag not given on the command line from its variable.
// Under Argo CD (ARGOCD_APP_NAME set) the plugin's env and parameters speak
// for the application instead, in their own order (docs/argocd.md).
func applyEnv(fs *pflag.FlagSet) error {
	if os.Getenv("ARGOCD_APP_NAME") != "" {
		return nil
	}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || !envBound(f) {
			return
		}
		name := flagEnv(f)
		if generic := EnvName(f.Name); generic != name && os.Getenv(generic) != "" {
			// A variable nobody reads would be a setting silently lost.
			err = Usagef("$%s is not read: the variable of --%s is %s", generic, f.Name, name)
			return
		}
		if v, ok := os.LookupEnv(name); ok {
			err = setFromEnv(fs, f, name, v)
		}
	})
	return err
}

// setFromEnv sets a flag from its variable: a repeatable flag from each
// item of the list, and marks where the value came from (EnvSet).
func setFromEnv(fs *pflag.FlagSet, f *pflag.Flag, name, v string) error {
	items := []string{v}
	if _, list := f.Value.(pflag.SliceValue); list && f.Annotations[envAnnotation] != nil {
		items = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	}
	for _, item := range items {
		if err := fs.Set(f.Name, item); err != nil {
			return Usagef("$%s: %v", name, err)
		}
	}
	return fs.SetAnnotation(f.Name, EnvSet, []string{name})
}
