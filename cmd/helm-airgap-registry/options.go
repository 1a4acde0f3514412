package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/plexicus/helm-airgap/inputs"
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/mirror"
	"github.com/plexicus/helm-airgap/plan"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// options are the flags mirror and verify share: the rewrite's config flags
// (the same names and meaning as in helm-airgap rewrite and images, so a
// plan is computed exactly as the rewrite computes it), the plan source,
// and the registry client's settings.
type options struct {
	settings.Flags

	planFile    string
	fromArchive string
	why         bool

	jobs      int
	layerJobs int // mirror's --layer-jobs; 0 (the client's default) elsewhere
	retries   int
	backoff   time.Duration
	insecure  bool
	caFile    string
	progress  string

	noReferrers bool
	platforms   string
	lockFile    string
	chartTo     string
	pushUnder   []string
}

func (o *options) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	o.Flags.Add(f) // the config flags, as in helm-airgap rewrite and images
	f.StringVar(&o.planFile, "plan", "", `read the plan written by "helm-airgap images" (plain or -o json; "-" for stdin) instead of manifests`)
	f.StringVar(&o.fromArchive, "from-archive", "", "take the images from an archive written by mirror --to-archive (a tar or an OCI layout directory)")
	f.BoolVar(&o.why, "why", false, "show where each image that failed or is missing was found")
	f.IntVarP(&o.jobs, "jobs", "j", 4, "images handled at once")
	f.IntVar(&o.retries, "retries", 3, "times a failed image is tried again, with exponential backoff (0 for none)")
	f.DurationVar(&o.backoff, "retry-delay", time.Second, "first wait before a retry; doubles each time")
	f.BoolVar(&o.insecure, "insecure", false, "allow plain-HTTP registries and unverified TLS certificates (local registries)")
	f.StringVar(&o.caFile, "ca-file", "", "also trust the CA certificates in this PEM file (an internal registry's CA), beside the system's")
	f.StringVar(&o.progress, "progress", "auto", "progress bars on stderr: auto (when it is a terminal), always or never")
	f.BoolVar(&o.noReferrers, "no-referrers", false, "leave signatures, attestations and SBOMs (OCI referrers and cosign tags) behind")
	f.BoolP("help", "h", false, "help for "+cmd.Name())
}

// parseArgs splits the command line into this command's flags, parsed, and
// the rest: manifests, or a chart followed by helm template's flags. Flag
// parsing is done here rather than by cobra so Helm's flags pass through.
func parseArgs(cmd *cobra.Command, args []string) (rest []string, help bool, err error) {
	own, rest, err := inputs.SplitArgs(cmd.Flags(), args)
	if err != nil {
		return nil, false, cli.Usage(err)
	}
	if err := cmd.Flags().Parse(own); err != nil {
		return nil, false, cli.Usage(err)
	}
	help, _ = cmd.Flags().GetBool("help")
	return rest, help, nil
}

// withParsedArgs is a RunE that parses the flags itself (see parseArgs),
// answers --help, and runs run with what is left.
func withParsedArgs(run func(cmd *cobra.Command, rest []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		rest, help, err := parseArgs(cmd, args)
		if err != nil {
			return err
		}
		if help {
			return cmd.Help()
		}
		return run(cmd, rest)
	}
}

// configGiven reports whether a config was named: then archive entries go
// where the current config sends them, not where the archive says.
func (o *options) configGiven() bool {
	return o.Path() != "" || o.Mirror != "" || len(o.Rules) > 0
}

// load reads the config file and applies the flags, like helm-airgap does.
func (o *options) load() (*config.Config, *mapper.Mapper, error) {
	cfg, m, err := o.Flags.Load()
	if err != nil {
		return nil, nil, cli.Usage(err)
	}
	return cfg, m, nil
}

// readPlan returns the plan: from --plan, or computed from manifests or a
// rendered chart by the rewrite engine with the config.
func (o *options) readPlan(cmd *cobra.Command, args []string) (*plan.Plan, error) {
	if o.planFile != "" {
		if len(args) > 0 {
			return nil, cli.Usage(errors.New("--plan and manifest inputs are exclusive"))
		}
		var r io.Reader = cmd.InOrStdin()
		if o.planFile != "-" {
			f, err := os.Open(o.planFile)
			if err != nil {
				return nil, cli.Usage(fmt.Errorf("reading plan: %w", err))
			}
			defer f.Close()
			r = f
		}
		p, err := plan.Read(r, o.planFile)
		if err != nil {
			return nil, cli.Usage(err)
		}
		return p, nil
	}
	cfg, m, err := o.load()
	if err != nil {
		return nil, err
	}
	opts := o.EngineOptions(cfg, m)
	var in io.Reader
	var chart io.ReadCloser
	if len(args) > 0 && inputs.IsChart(args[0]) {
		chart, err = inputs.HelmTemplate(cmd.Context(), args[0], args[1:], cmd.ErrOrStderr())
		if err != nil {
			return nil, cli.Usage(err)
		}
		defer chart.Close()
		in = chart
	} else {
		for _, a := range args {
			if strings.HasPrefix(a, "-") && a != "-" {
				return nil, cli.Usage(fmt.Errorf("unknown flag: %s (helm flags are accepted only after a chart)", a))
			}
		}
		files, err := inputs.Expand(args)
		if err != nil {
			return nil, cli.Usage(err)
		}
		in = inputs.NewReader(cmd.InOrStdin(), files)
	}
	p, _, err := plan.Build(in, opts, o.why)
	if chart != nil {
		if cerr := chart.Close(); cerr != nil {
			return nil, cli.Usage(cerr)
		}
	}
	var policy *rewrite.PolicyError
	if errors.As(err, &policy) {
		rewrite.WriteReport(cmd.ErrOrStderr(), policy.Report, m)
		return nil, err
	}
	if err != nil {
		return nil, cli.Usage(err)
	}
	return p, nil
}

// planClient reads the plan and opens the client: how resolve and
// inventory, which ask registries about a plan, start.
func (o *options) planClient(cmd *cobra.Command, args []string) (*plan.Plan, *mirror.Client, error) {
	p, err := o.readPlan(cmd, args)
	if err != nil {
		return nil, nil, err
	}
	client, err := o.client(cmd)
	return p, client, err
}

// client makes the registry client the flags describe; progress bars only
// go to a terminal unless asked for.
func (o *options) client(cmd *cobra.Command) (*mirror.Client, error) {
	if o.jobs < 1 {
		return nil, cli.Usage(fmt.Errorf("--jobs must be at least 1, got %d", o.jobs))
	}
	if o.retries < 0 {
		return nil, cli.Usage(fmt.Errorf("--retries must not be negative, got %d", o.retries))
	}

	stderr := cmd.ErrOrStderr()
	var bars bool
	switch o.progress {
	case "auto":
		f := cli.File(stderr)
		bars = f != nil && term.IsTerminal(int(f.Fd()))
	case "always":
		bars = true
	case "never":
	default:
		return nil, cli.Usage(fmt.Errorf("--progress must be auto, always or never, got %q", o.progress))
	}
	retries := o.retries
	if retries == 0 {
		retries = -1 // the client's zero value means its default
	}
	var platforms []v1.Platform
	if o.platforms != "" {
		var err error
		if platforms, err = mirror.ParsePlatforms(o.platforms); err != nil {
			return nil, cli.Usage(fmt.Errorf("--platform: %w", err))
		}
	}
	roots, err := rootCAs(o.caFile)
	if err != nil {
		return nil, err
	}
	return mirror.New(mirror.Options{
		Jobs: o.jobs, LayerJobs: o.layerJobs, Retries: retries, Backoff: o.backoff, Insecure: o.insecure, RootCAs: roots,
		Log: stderr, Progress: bars, UserAgent: "helm-airgap/" + currentVersion(),
		NoReferrers: o.noReferrers, Platforms: platforms,
	})
}

// rootCAs is the system's pool with --ca-file's certificates added, or nil
// (the system's alone) without the flag. A file holding no certificate is
// refused: a typo would otherwise only show as an unknown authority later.
func rootCAs(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("reading --ca-file: %w", err))
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, cli.Usage(fmt.Errorf("--ca-file %q holds no PEM certificate", file))
	}
	return pool, nil
}

// prefixes are the repository prefixes of the config's destinations: the
// mirror and every rule's "to", normalized as references are.
func prefixes(cfg *config.Config, m *mapper.Mapper) []string {
	var out []string
	for _, p := range append([]string{m.Mirror(), cfg.Mirror}, ruleTargets(cfg)...) {
		if n, ok := normalizePrefix(p); ok {
			out = append(out, n)
		}
	}
	return out
}

func ruleTargets(cfg *config.Config) []string {
	var out []string
	for _, r := range cfg.Rules {
		out = append(out, r.To)
	}
	return out
}

// normalizePrefix normalizes a repository prefix the way a reference under
// it is normalized ("Registry.Internal/x" -> "registry.internal/x").
func normalizePrefix(p string) (string, bool) {
	if p == "" {
		return "", false
	}
	ref, err := reference.Parse(strings.TrimSuffix(p, "/") + "/x")
	if err != nil {
		return "", false
	}
	return strings.TrimSuffix(ref.Repository(), "/x"), true
}

// repositories are the destination repositories of items, the prefixes
// recorded when there is no config (a plan given with --plan).
func repositories(items []mirror.Item) []string {
	var out []string
	for _, it := range items {
		if ref, err := reference.Parse(it.Destination); err == nil {
			out = append(out, ref.Repository())
		}
	}
	return out
}
