package egressconfig

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Egress configures the phone-home audit (package egress): which
// domains are internal beyond the cluster's own names, what is allowed, and
// whether a public endpoint fails the run.
type Egress struct {
	// Enabled runs the audit in rewrite and check without --egress.
	Enabled bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// Strict fails the run (exit 1) on any public endpoint, public ACME
	// issuer, or (see RequireNetworkPolicy) unrestricted workload.
	Strict bool `yaml:"strict,omitempty" json:"strict,omitempty"`
	// InternalDomains are domains (and their subdomains) reachable without
	// the internet: "corp.example.com" or "*.corp.example.com".
	InternalDomains []string `yaml:"internalDomains,omitempty" json:"internalDomains,omitempty"`
	// Allow exempts endpoints by host or by resource and field.
	Allow []AllowRule `yaml:"allow,omitempty" json:"allow,omitempty"`
	// RequireNetworkPolicy (default true) makes a strict audit also fail on
	// workloads whose egress no NetworkPolicy in the stream restricts.
	RequireNetworkPolicy *bool `yaml:"requireNetworkPolicy,omitempty" json:"requireNetworkPolicy,omitempty"`
}

// AllowRule is one allow rule; every attribute set must match, "*"
// matches any run of characters.
type AllowRule struct {
	Host      string `yaml:"host,omitempty" json:"host,omitempty"`
	Kind      string `yaml:"kind,omitempty" json:"kind,omitempty"`
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Name      string `yaml:"name,omitempty" json:"name,omitempty"`
	Field     string `yaml:"field,omitempty" json:"field,omitempty"`
}

// RequiresNetworkPolicy reports the effective requireNetworkPolicy.
func (e *Egress) RequiresNetworkPolicy() bool {
	return e == nil || e.RequireNetworkPolicy == nil || *e.RequireNetworkPolicy
}

// Issuer is the internal cert-manager issuer that Ingress and Gateway
// annotations and Certificate issuerRefs are pointed at. In the file it is
// either a name ("issuer: internal-ca", a ClusterIssuer) or a mapping
// ("issuer: {name: internal-ca, kind: Issuer}").
type Issuer struct {
	Name string `yaml:"name" json:"name"`
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty"`
}

// Issuer kinds.
const (
	ClusterIssuer    = "ClusterIssuer"
	NamespacedIssuer = "Issuer"
)

// UnmarshalYAML accepts the name-only form.
func (i *Issuer) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		i.Name = n.Value
		return nil
	}
	type plain Issuer
	return n.Decode((*plain)(i))
}

// IssuerKind is the configured kind, ClusterIssuer by default.
func (i *Issuer) IssuerKind() string {
	if i.Kind == "" {
		return ClusterIssuer
	}
	return i.Kind
}

// ParseIssuerFlag parses --issuer NAME, --issuer ClusterIssuer/NAME or
// --issuer Issuer/NAME.
func ParseIssuerFlag(s string) (*Issuer, error) {
	kind, name, ok := strings.Cut(s, "/")
	if !ok {
		kind, name = "", s
	}
	if name == "" || (ok && kind != ClusterIssuer && kind != NamespacedIssuer) {
		return nil, fmt.Errorf("parsing issuer %q: want NAME, ClusterIssuer/NAME or Issuer/NAME", s)
	}
	return &Issuer{Name: name, Kind: kind}, nil
}
