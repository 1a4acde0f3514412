package main

import (
	"fmt"
	"github.com/plexicus/helm-airgap/internal/cli"
	"strconv"

	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

func newConfigCommand() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "config [flags]",
		Short: "Print the effective config, with where each value came from",
		Long: `config prints the config every command would run with: the config file
(--config, $HELM_AIRGAP_CONFIG, or under Argo CD the plugin's settings) with
the flags and the Argo CD parameters applied on top, as YAML. A comment above
each top-level value says where it came from: a flag, or the file and line.`,
		Example: `  helm-airgap config -c airgap.yaml --mirror registry.corp.example.com/mirror`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			session, err := o.load(cmd, true)
			if err != nil {
				return err
			}
			cfg := session.Policy().Config
			if noConfig(cfg) {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), "# "+noConfigHint+" (no --config, $"+cli.EnvName("config")+", --mirror or --rule)")
				return err
			}
			return writeEffectiveConfig(cmd, cfg)
		},
	}
	o.addFlags(cmd)
	cli.Unoffered(cmd, "skip-imageless", "report-file") // nothing is rewritten
	return cmd
}

// noConfigHint is what a run with no config at all says.
const noConfigHint = "no config given; `helm-airgap init` writes one"

// noConfig reports whether a run has no config at all: nothing from a
// file, the flags or Argo CD (the config prints as "{}").
func noConfig(cfg *config.Config) bool {
	out, err := yaml.Marshal(cfg)
	return err == nil && string(out) == "{}\n"
}

// writeEffectiveConfig prints cfg as YAML with an origin comment per value.
func writeEffectiveConfig(cmd *cobra.Command, cfg *config.Config) error {
	var doc yaml.Node
	if err := doc.Encode(cfg); err != nil {
		return fmt.Errorf("printing the config: %w", err)
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, value := doc.Content[i], doc.Content[i+1]
		key.HeadComment = originComment(cfg, key.Value)
		if value.Kind == yaml.SequenceNode {
			for j, item := range value.Content {
				if from := cfg.Origin(key.Value + "[" + strconv.Itoa(j) + "]"); from != "" && from != cfg.Origin(key.Value) {
					item.HeadComment = "from " + from
				}
			}
		}
	}
	w := cmd.OutOrStdout()
	fmt.Fprintln(w, "# The effective helm-airgap config: the file, then Argo CD's settings and the flags on top.")
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("printing the config: %w", err)
	}
	return enc.Close()
}

func originComment(cfg *config.Config, key string) string {
	if from := cfg.Origin(key); from != "" {
		return "from " + from
	}
	return ""
}
