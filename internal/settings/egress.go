package settings

import (
	"fmt"

	"github.com/plexicus/helm-airgap/egress"
	"github.com/plexicus/helm-airgap/egress/egressconfig"
	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/spf13/pflag"
)

// EgressFlags are the phone-home audit and certificate-issuer flags of
// rewrite and check; the config's egress: and issuer: sections say the
// same, and are honoured by every entry point whether it has the flags or
// not.
type EgressFlags struct {
	Enabled         bool
	Strict          bool
	Issuer          string
	InternalDomains []string
	AllowEndpoints  []string
	Output          string // check only: text or json
}

// Add registers the flags; check has --output instead of --issuer.
func (e *EgressFlags) Add(f *pflag.FlagSet, check bool) {
	f.BoolVar(&e.Enabled, "egress", false, "audit the manifests for public endpoints the release would call (URLs, host:port, known phone-home hosts), ACME issuers and NetworkPolicy coverage")
	f.BoolVar(&e.Strict, "strict", false, "with the egress audit: any public endpoint, public ACME issuer or unrestricted workload fails the run (exit 1); implies --egress")
	f.StringArrayVar(&e.InternalDomains, "internal-domain", nil, "domain whose hosts are internal for the egress audit (corp.example.com); repeatable")
	f.StringArrayVar(&e.AllowEndpoints, "allow-endpoint", nil, "host the cluster may reach, exempt from the egress audit (\"*\" matches any part); repeatable")
	if check {
		f.StringVarP(&e.Output, "output", "o", "text", "egress report format: text (stderr) or json (stdout); json implies --egress")
		return
	}
	f.StringVar(&e.Issuer, "issuer", "", "point cert-manager annotations and Certificate issuerRefs at this issuer: NAME (a ClusterIssuer), ClusterIssuer/NAME or Issuer/NAME")
}

// apply puts the flags into the config before it is validated.
func (e *EgressFlags) apply(cfg *config.Config) error {
	if e.Issuer != "" {
		issuer, err := egressconfig.ParseIssuerFlag(e.Issuer)
		if err != nil {
			return fmt.Errorf("--issuer: %w", err)
		}
		cfg.SetIssuer(issuer, "--issuer "+e.Issuer)
	}
	if e.Output != "" && e.Output != "text" && e.Output != "json" {
		return fmt.Errorf("--output: unknown format %q (want text or json)", e.Output)
	}
	for _, h := range e.AllowEndpoints {
		if err := egress.ValidateAllow(egress.AllowRule{Host: h}); err != nil {
			return fmt.Errorf("--allow-endpoint: %w", err)
		}
	}
	return nil
}

// options are the audit's options as the config and the flags ask, or nil
// when no audit runs.
func (e *EgressFlags) options(cfg *config.Config, m *mapper.Mapper, checkOnly bool) (*egress.Options, error) {
	ec := cfg.Egress
	if ec == nil {
		ec = &egressconfig.Egress{}
	}
	strict := e.Strict || ec.Strict
	if !(e.Enabled || strict || ec.Enabled || e.Output == "json") {
		return nil, nil
	}
	o := &egress.Options{
		Classifier: egress.Classifier{
			InternalDomains: append(append([]string(nil), ec.InternalDomains...), e.InternalDomains...),
			IsInternalHost:  m.IsInternal,
		},
		Strict:               strict,
		RequireNetworkPolicy: ec.RequiresNetworkPolicy(),
	}
	for _, a := range ec.Allow {
		o.Allow = append(o.Allow, egress.AllowRule{Host: a.Host, Kind: a.Kind, Namespace: a.Namespace, Name: a.Name, Field: a.Field})
	}
	for _, h := range e.AllowEndpoints {
		o.Allow = append(o.Allow, egress.AllowRule{Host: h})
	}
	if cfg.Issuer != nil && !checkOnly {
		o.InternalIssuer = cfg.Issuer.Name
	}
	if _, err := egress.New(*o); err != nil { // validate now: a config error is a usage error
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	return o, nil
}
