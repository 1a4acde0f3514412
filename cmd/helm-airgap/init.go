package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/spf13/cobra"
)

// schemaURL is the config's JSON Schema (docs/config.schema.json), named
// in the starter config so editors complete and validate it.
const schemaURL = "https://raw.githubusercontent.com/plexicus/helm-airgap/main/docs/config.schema.json"

func newInitCommand() *cobra.Command {
	var registry, pullSecret string
	cmd := &cobra.Command{
		Use:   "init [FILE|DIR|-]... | init CHART [helm template flags]",
		Short: "Write a starter config from the images the manifests use",
		Long: `Reads manifests (stdin when no path or "-" is given, files and directories
otherwise) or renders a chart (a chart directory, .tgz, oci:// reference or
repo/chart name, with "$HELM_BIN template CHART [helm flags]"), finds every
image reference exactly as rewrite does, and prints a starter config on
stdout: one rule per source registry moving it under --registry, the pull
secret, and above each rule a comment listing the images it covers.

Check the destinations, save it (airgap.yaml), then list the mirror plan with
"helm-airgap images -c airgap.yaml".`,
		Example: `  helm template app ./chart | helm-airgap init --registry registry.corp.example.com > airgap.yaml
  helm airgap init ./chart -f values-prod.yaml --registry registry.corp.example.com > airgap.yaml`,
		DisableFlagParsing: true, // Helm's flags pass through in chart mode.
		RunE: func(cmd *cobra.Command, args []string) error {
			rest, help, err := parseChartModeArgs(cmd, args)
			if err != nil || help {
				return err
			}
			return runInit(cmd, rest, registry, pullSecret)
		},
	}
	cmd.Flags().StringVar(&registry, "registry", "registry.internal.example.com", "the internal registry (host with an optional path) the rules move images to")
	cmd.Flags().StringVar(&pullSecret, "pull-secret", "registry-credentials", "the pull secret for the internal registry (empty for none)")
	cli.SetEnvName(cmd.Flags(), "pull-secret", settings.PullSecretsEnv)
	cmd.Flags().BoolP("help", "h", false, "help for init")
	return cmd
}

// registryImages are the images found on one source registry.
type registryImages struct {
	domain string
	images []string // normalized, sorted, deduplicated
}

// ruleDestination is where a source registry's images go: under the
// registry, in a path named after the source host ("docker.io"; a port's
// colon, which a path cannot hold, becomes a dash).
func ruleDestination(registry, domain string) string {
	return registry + "/" + strings.ReplaceAll(domain, ":", "-")
}

func runInit(cmd *cobra.Command, args []string, registry, pullSecret string) error {
	if err := checkRegistry(registry); err != nil {
		return err
	}
	registry = strings.TrimRight(registry, "/")
	in, err := manifestInput(cmd, args)
	if err != nil {
		return err
	}
	found, err := findImages(in)
	if cerr := in.close(); cerr != nil {
		return cli.Usage(cerr)
	}
	err = in.Explain(err) // errors name the input file and its line
	if err != nil {
		return err
	}
	registryHost, _, _ := strings.Cut(registry, "/")
	starter := &config.Config{}
	if pullSecret != "" {
		starter.PullSecrets = []string{pullSecret}
	}
	var internal []string
	var sources []registryImages
	for _, r := range found {
		if strings.EqualFold(r.domain, registryHost) {
			internal = append(internal, r.images...)
			continue
		}
		sources = append(sources, r)
		starter.Rules = append(starter.Rules, mapper.Rule{From: r.domain, To: ruleDestination(registry, r.domain)})
	}
	// The config written must load: check it before printing it.
	if _, err := starter.Compile(); err != nil {
		return cli.Usage(fmt.Errorf("writing a starter config for --registry %q and --pull-secret %q: %w", registry, pullSecret, err))
	}
	writeStarterConfig(cmd.OutOrStdout(), registry, pullSecret, sources, internal)
	total := len(internal)
	for _, r := range sources {
		total += len(r.images)
	}
	cli.Messages(cmd.ErrOrStderr()).Infof("%d image(s), %d source registry rule(s); review the destinations before use", total, len(sources))
	return nil
}

// checkRegistry refuses a --registry the rules could not move images
// under, before any input is read, with the config parser's advice for a
// scheme, upper case or a trailing slash, and the error about the value as
// given (not about a rule made from it).
func checkRegistry(registry string) error {
	if advice := config.PrefixAdvice(registry); advice != "" {
		return cli.Usagef("--registry %q: %s", registry, advice)
	}
	if _, err := (&config.Config{Mirror: strings.TrimRight(registry, "/")}).Compile(); err != nil {
		why := err.Error()
		if _, after, ok := strings.Cut(why, "mirror: "); ok {
			why = after // the message names the config's key, not the flag
		}
		return cli.Usagef("--registry %q: %s", registry, why)
	}
	return nil
}

// findImages runs the engine, with no rules, over the stream (so it finds
// exactly what rewrite finds) and groups every reference by source
// registry.
func findImages(in io.Reader) ([]registryImages, error) {
	m, err := (&config.Config{}).Compile()
	if err != nil {
		return nil, err
	}
	byDomain := map[string]map[string]bool{}
	opts := rewrite.Options{
		Mapper:    m, // the built-in catalogue: no Catalogue given
		CheckOnly: true,
		Observers: []rewrite.Observer{{Image: func(o rewrite.Occurrence) {
			src := o.Mapping.Source
			if byDomain[src.Domain] == nil {
				byDomain[src.Domain] = map[string]bool{}
			}
			byDomain[src.Domain][src.Repository()+src.Suffix] = true
		}}},
	}
	_, err = rewrite.Run(in, io.Discard, opts)
	var policy *rewrite.PolicyError
	if err != nil && !errors.As(err, &policy) {
		return nil, err // with no rules every image is an offender: expected
	}
	var out []registryImages
	for domain, set := range byDomain {
		r := registryImages{domain: domain}
		for img := range set {
			r.images = append(r.images, img)
		}
		sort.Strings(r.images)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].domain < out[j].domain })
	return out, nil
}

// writeStarterConfig prints the config: one rule per source registry, each
// under a comment listing its images.
func writeStarterConfig(w io.Writer, registry, pullSecret string, sources []registryImages, internal []string) {
	fmt.Fprintf(w, "# yaml-language-server: $schema=%s\n", schemaURL)
	fmt.Fprintf(w, "# Starter helm-airgap config written by `helm-airgap init`. Review each destination,\n")
	fmt.Fprintf(w, "# then list what to mirror with: helm-airgap images -c airgap.yaml\n")
	fmt.Fprintf(w, "apiVersion: %s\n", config.APIVersion)
	fmt.Fprintf(w, "# A catch-all for images no rule matches (without one, such an image fails the run):\n")
	fmt.Fprintf(w, "# mirror: %s/mirror\n", registry)
	if len(sources) == 0 {
		fmt.Fprintf(w, "rules: [] # no public image found\n")
	} else {
		fmt.Fprintf(w, "rules:\n")
	}
	for _, r := range sources {
		fmt.Fprintf(w, "  # %s: %d image(s)\n", r.domain, len(r.images))
		for _, img := range r.images {
			fmt.Fprintf(w, "  #   %s\n", commentLine(img))
		}
		fmt.Fprintf(w, "  - from: %s\n    to: %s\n", r.domain, ruleDestination(registry, r.domain))
	}
	if len(internal) > 0 {
		fmt.Fprintf(w, "# Already on %s, left as they are (%d image(s)):\n", registry, len(internal))
		for _, img := range internal {
			fmt.Fprintf(w, "#   %s\n", commentLine(img))
		}
	}
	if pullSecret != "" {
		fmt.Fprintf(w, "# A Secret of type kubernetes.io/dockerconfigjson in each release namespace:\n")
		fmt.Fprintf(w, "pullSecrets: [%s]\n", pullSecret)
	}
}

// commentLine keeps an image reference taken from the manifests on its
// comment line.
func commentLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return '?'
		}
		return r
	}, s)
}
