package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	helmcli "helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/registry"
)

// helmOptions are what every release command shares: Helm's global
// settings (from HELM_* variables, which `helm airgap ...` exports, and
// from the same global flags helm takes), the values flags (not rollback's)
// and helm-airgap's own flags.
type helmOptions struct {
	settings *helmcli.EnvSettings
	values   values.Options
	airgap   airgapOptions
}

func newHelmOptions() *helmOptions {
	return &helmOptions{settings: helmcli.New()}
}

func (h *helmOptions) addFlags(f *pflag.FlagSet, values bool) {
	h.settings.AddFlags(f)
	h.airgap.addFlags(f)
	if !values {
		return
	}
	f.StringSliceVarP(&h.values.ValueFiles, "values", "f", nil, "specify values in a YAML file or a URL (can specify multiple)")
	f.StringArrayVar(&h.values.Values, "set", nil, "set values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)")
	f.StringArrayVar(&h.values.StringValues, "set-string", nil, "set STRING values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)")
	f.StringArrayVar(&h.values.FileValues, "set-file", nil, "set values from respective files specified via the command line (can specify multiple or separate values with commas: key1=path1,key2=path2)")
	f.StringArrayVar(&h.values.JSONValues, "set-json", nil, "set JSON values on the command line (can specify multiple or separate values with commas: key1=jsonval1,key2=jsonval2)")
	f.StringArrayVar(&h.values.LiteralValues, "set-literal", nil, "set a literal STRING value on the command line")
}

// addChartPathFlags are the flags that locate a chart, as helm has them.
func addChartPathFlags(f *pflag.FlagSet, c *action.ChartPathOptions, devel *bool) {
	f.StringVar(&c.Version, "version", "", "specify a version constraint for the chart version to use; without it the latest version is used")
	f.BoolVar(devel, "devel", false, "use development versions, too (equivalent to version '>0.0.0-0'); ignored if --version is set")
	f.BoolVar(&c.Verify, "verify", false, "verify the package before using it")
	f.StringVar(&c.Keyring, "keyring", defaultKeyring(), "location of public keys used for verification")
	f.StringVar(&c.RepoURL, "repo", "", "chart repository url where to locate the requested chart")
	f.StringVar(&c.Username, "username", "", "chart repository username where to locate the requested chart")
	f.StringVar(&c.Password, "password", "", "chart repository password where to locate the requested chart")
	f.StringVar(&c.CertFile, "cert-file", "", "identify HTTPS client using this SSL certificate file")
	f.StringVar(&c.KeyFile, "key-file", "", "identify HTTPS client using this SSL key file")
	f.StringVar(&c.CaFile, "ca-file", "", "verify certificates of HTTPS-enabled servers using this CA bundle")
	f.BoolVar(&c.InsecureSkipTLSverify, "insecure-skip-tls-verify", false, "skip tls certificate checks for the chart download")
	f.BoolVar(&c.PlainHTTP, "plain-http", false, "use insecure HTTP connections for the chart download")
}

func defaultKeyring() string {
	if v, ok := os.LookupEnv("GNUPGHOME"); ok {
		return v + "/pubring.gpg"
	}
	home, _ := os.UserHomeDir()
	return home + "/.gnupg/pubring.gpg"
}

// initAction initialises Helm's action configuration like helm does (kube
// client from the settings, release storage from $HELM_DRIVER) and puts
// the hook rewriter in front of the release storage (see hooks.go).
func (h *helmOptions) initAction(cfg *action.Configuration, rw *rewriter, errOut io.Writer) error {
	debug := func(format string, v ...any) {
		if h.settings.Debug {
			log.New(errOut, "", 0).Output(2, fmt.Sprintf("[debug] "+format, v...))
		}
	}
	if err := cfg.Init(h.settings.RESTClientGetter(), h.settings.Namespace(), os.Getenv("HELM_DRIVER"), debug); err != nil {
		return fmt.Errorf("initialising Helm: %w", err)
	}
	guardHooks(cfg, rw)
	return nil
}

// registryClient builds the OCI registry client as helm does.
func (h *helmOptions) registryClient(c *action.ChartPathOptions, errOut io.Writer) (*registry.Client, error) {
	opts := []registry.ClientOption{
		registry.ClientOptDebug(h.settings.Debug),
		registry.ClientOptEnableCache(true),
		registry.ClientOptWriter(errOut),
		registry.ClientOptCredentialsFile(h.settings.RegistryConfig),
		registry.ClientOptBasicAuth(c.Username, c.Password),
	}
	if c.PlainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	if (c.CertFile != "" && c.KeyFile != "") || c.CaFile != "" || c.InsecureSkipTLSverify {
		client, err := registry.NewRegistryClientWithTLS(errOut, c.CertFile, c.KeyFile, c.CaFile, c.InsecureSkipTLSverify, h.settings.RegistryConfig, h.settings.Debug)
		if err != nil {
			return nil, fmt.Errorf("creating the registry client: %w", err)
		}
		return client, nil
	}
	client, err := registry.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the registry client: %w", err)
	}
	return client, nil
}

// loadChart locates (downloading from a repository or registry when the
// reference is not a local path, as helm does) and loads an installable
// chart with its dependencies present.
func (h *helmOptions) loadChart(c *action.ChartPathOptions, devel bool, ref string) (*chart.Chart, error) {
	if c.Version == "" && devel {
		c.Version = ">0.0.0-0"
	}
	path, err := c.LocateChart(ref, h.settings)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("locating chart %q: %w", ref, err))
	}
	ch, err := loader.Load(path)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("loading chart %q: %w", ref, err))
	}
	switch ch.Metadata.Type {
	case "", "application":
	default:
		return nil, cli.Usage(fmt.Errorf("chart %q is a %s chart, which cannot be installed", ref, ch.Metadata.Type))
	}
	if req := ch.Metadata.Dependencies; req != nil {
		if err := action.CheckDependencies(ch, req); err != nil {
			return nil, cli.Usage(fmt.Errorf("checking the dependencies of chart %q: %w (run `helm dependency build` first)", ref, err))
		}
	}
	return ch, nil
}

// mergeValues reads -f, --set and the rest, as helm does.
func (h *helmOptions) mergeValues() (map[string]any, error) {
	vals, err := h.values.MergeValues(getter.All(h.settings))
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("reading values: %w", err))
	}
	return vals, nil
}

// failure prints a failed action's report and returns the error to exit
// with: every offender (manifests and hooks together) with the rule that
// would fix it for a policy failure, which wins over any error Helm met
// after the manifests were rendered; Helm's message otherwise.
func failure(cmd *cobra.Command, rw *rewriter, what string, err error) error {
	if v := rw.verdict(); v != nil && !errors.As(err, new(*rewrite.PolicyError)) {
		err = v
	}
	var policy *rewrite.PolicyError
	if errors.As(err, &policy) {
		rewrite.WriteReport(cmd.ErrOrStderr(), policy.Report, rw.session.Policy().Mapper)
		rw.session.Egress() // the egress report too, for the record
		fmt.Fprintf(cmd.ErrOrStderr(), "helm-airgap: %s failed: %v\n", what, err)
		return cli.Reported(err)
	}
	var input *rewrite.InputError
	if cli.IsReported(err) || errors.As(err, new(cli.UsageError)) || errors.As(err, &input) || errors.As(err, new(*cli.InterruptedError)) {
		return err
	}
	return cli.Failed(fmt.Errorf("%s failed: %w", what, err))
}

// summary tells what was rewritten, hooks apart, so that a user can see
// that the hooks were covered.
func summary(cmd *cobra.Command, rw *rewriter) {
	rewrite.WriteNotes(cmd.ErrOrStderr(), &rewrite.Report{Ignored: rw.ignored})
	crds := ""
	if rw.crdRefs > 0 {
		crds = fmt.Sprintf(" (and %d in the chart's crds/ files)", rw.crdRefs)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "helm-airgap: %d image reference(s) rewritten in manifests and %d in %d hook(s)%s; no public references\n",
		rw.manifestRefs, rw.hookRefs, rw.hooks, crds)
}
