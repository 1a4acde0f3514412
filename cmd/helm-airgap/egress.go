package main

import (
	"fmt"
	"io"

	"github.com/plexicus/helm-airgap/egress"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules"
	"github.com/spf13/cobra"
)

// egressFlags are the phone-home audit and certificate-issuer settings of
// rewrite and check; the config's egress: and issuer: sections say the same.
type egressFlags struct {
	enabled         bool
	strict          bool
	issuer          string
	internalDomains []string
	allowEndpoints  []string
	output          string // check only: text or json
}

func (e *egressFlags) addFlags(cmd *cobra.Command, check bool) {
	f := cmd.Flags()
	f.BoolVar(&e.enabled, "egress", false, "audit the manifests for public endpoints the release would call (URLs, host:port, known phone-home hosts), ACME issuers and NetworkPolicy coverage")
	f.BoolVar(&e.strict, "strict", false, "with the egress audit: any public endpoint, public ACME issuer or unrestricted workload fails the run (exit 1); implies --egress")
	f.StringArrayVar(&e.internalDomains, "internal-domain", nil, "domain whose hosts are internal for the egress audit (corp.example.com); repeatable")
	f.StringArrayVar(&e.allowEndpoints, "allow-endpoint", nil, "host the cluster may reach, exempt from the egress audit (\"*\" matches any part); repeatable")
	if check {
		f.StringVar(&e.output, "output", "text", "egress report format: text (stderr) or json (stdout); json implies --egress")
		return
	}
	f.StringVar(&e.issuer, "issuer", "", "point cert-manager annotations and Certificate issuerRefs at this issuer: NAME (a ClusterIssuer), ClusterIssuer/NAME or Issuer/NAME")
}

// apply puts the flags into the config before it is validated.
func (e *egressFlags) apply(cfg *rules.Config) error {
	if e.issuer != "" {
		issuer, err := rules.ParseIssuerFlag(e.issuer)
		if err != nil {
			return usageError{fmt.Errorf("--issuer: %w", err)}
		}
		cfg.SetIssuer(issuer, "--issuer "+e.issuer)
	}
	if e.output != "" && e.output != "text" && e.output != "json" {
		return usageError{fmt.Errorf("--output: unknown format %q (want text or json)", e.output)}
	}
	for _, h := range e.allowEndpoints {
		if err := egress.ValidateAllow(egress.AllowRule{Host: h}); err != nil {
			return usageError{fmt.Errorf("--allow-endpoint: %w", err)}
		}
	}
	return nil
}

// issuerPasses is the issuer rewrite, when an issuer is configured.
func issuerPasses(cfg *rules.Config) []rewrite.Pass { return rewrite.ConfigPasses(cfg) }

// filePasses are the passes of rewrite's file mode (-o, --in-place): the
// issuer rewrite. The audit reads one stream, so there it is left to check.
func (e *egressFlags) filePasses(cfg *rules.Config, stderr io.Writer) []rewrite.Pass {
	if e.enabled || e.strict || (cfg.Egress != nil && cfg.Egress.Enabled) {
		fmt.Fprintln(stderr, "helm-airgap: warning: the egress audit does not run with --output-dir or --in-place; run helm-airgap check --egress on the files")
	}
	return issuerPasses(cfg)
}

// egressRun is one run's audit; a nil *egressRun does nothing.
type egressRun struct {
	auditor *egress.Auditor
	strict  bool
	json    bool
}

// start adds the issuer rewrite and the audit to the engine options, as the
// config and flags ask; it returns nil when no audit runs.
func (e *egressFlags) start(cfg *rules.Config, mapper *rules.Mapper, opts *rewrite.Options, checkOnly bool) (*egressRun, error) {
	if !checkOnly {
		opts.Passes = append(opts.Passes, issuerPasses(cfg)...)
	}
	ec := cfg.Egress
	if ec == nil {
		ec = &rules.EgressConfig{}
	}
	strict := e.strict || ec.Strict
	if !(e.enabled || strict || ec.Enabled || e.output == "json") {
		return nil, nil
	}
	o := egress.Options{
		Classifier: egress.Classifier{
			InternalDomains: append(append([]string(nil), ec.InternalDomains...), e.internalDomains...),
			IsInternalHost:  mapper.IsInternal,
		},
		Strict:               strict,
		RequireNetworkPolicy: ec.RequiresNetworkPolicy(),
	}
	for _, a := range ec.Allow {
		o.Allow = append(o.Allow, egress.AllowRule{Host: a.Host, Kind: a.Kind, Namespace: a.Namespace, Name: a.Name, Field: a.Field})
	}
	for _, h := range e.allowEndpoints {
		o.Allow = append(o.Allow, egress.AllowRule{Host: h})
	}
	if cfg.Issuer != nil && !checkOnly {
		o.InternalIssuer = cfg.Issuer.Name
	}
	auditor, err := egress.New(o)
	if err != nil {
		return nil, usageError{fmt.Errorf("invalid configuration: %w", err)}
	}
	opts.Passes = append(opts.Passes, auditor.Pass())
	return &egressRun{auditor: auditor, strict: strict, json: e.output == "json"}, nil
}

// gate is the engine's Release step: once every document has been read, it
// prints the report (text on stderr, or JSON on stdout for check) and fails
// a strict audit that found anything, before any output is written.
func (r *egressRun) gate(cmd *cobra.Command) func(*rewrite.Report) error {
	if r == nil {
		return nil
	}
	return func(*rewrite.Report) error { return r.finish(cmd) }
}

// finish prints the report and returns the strict audit's verdict. After
// the image check has failed it is called only to print the report for the
// record.
func (r *egressRun) finish(cmd *cobra.Command) error {
	if r == nil {
		return nil
	}
	report := r.auditor.Report()
	if r.json {
		if err := report.WriteJSON(cmd.OutOrStdout()); err != nil {
			return fmt.Errorf("writing the egress report: %w", err)
		}
	} else {
		report.WriteText(cmd.ErrOrStderr(), false)
	}
	if !report.Failed {
		return nil
	}
	err := &egress.PolicyError{Report: report}
	if r.json {
		fmt.Fprintf(cmd.ErrOrStderr(), "helm-airgap: %v\n", err)
	}
	return reportedError{err}
}
