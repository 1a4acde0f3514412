package cli

import (
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// EnvPrefix starts the environment variable of every flag: --pull-secret is
// HELM_AIRGAP_PULL_SECRET, --config HELM_AIRGAP_CONFIG.
const EnvPrefix = "HELM_AIRGAP_"

// EnvName is the environment variable that sets a flag.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// nameEnv names every flag's environment variable in --help; applyEnv
// sets the flags from them when the command runs.
func nameEnv(root *cobra.Command) {
	var visit func(*cobra.Command)
	visit = func(cmd *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{cmd.LocalNonPersistentFlags(), cmd.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if envBound(f) && !strings.Contains(f.Usage, EnvPrefix) {
					f.Usage += " (env " + EnvName(f.Name) + ")"
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
		if v, ok := os.LookupEnv(EnvName(f.Name)); ok {
			if setErr := fs.Set(f.Name, v); setErr != nil {
				err = Usagef("$%s: %v", EnvName(f.Name), setErr)
			}
		}
	})
	return err
}
