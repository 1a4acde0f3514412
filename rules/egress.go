package rules

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EgressConfig configures the phone-home audit (package egress): which
// domains are internal beyond the cluster's own names, what is allowed, and
// whether a public endpoint fails the run.
type EgressConfig struct {
	// Enabled runs the audit in rewrite and check without --egress.
	Enabled bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// Strict fails the run (exit 1) on any public endpoint, public ACME
	// issuer, or (see RequireNetworkPolicy) unrestricted workload.
	Strict bool `yaml:"strict,omitempty" json:"strict,omitempty"`
	// InternalDomains are domains (and their subdomains) reachable without
	// the internet: "corp.example.com" or "*.corp.example.com".
	InternalDomains []string `yaml:"internalDomains,omitempty" json:"internalDomains,omitempty"`
	// Allow exempts endpoints by host or by resource and field.
	Allow []EgressAllow `yaml:"allow,omitempty" json:"allow,omitempty"`
	// RequireNetworkPolicy (default true) makes a strict audit also fail on
	// workloads whose egress no NetworkPolicy in the stream restricts.
	RequireNetworkPolicy *bool `yaml:"requireNetworkPolicy,omitempty" json:"requireNetworkPolicy,omitempty"`
}

// EgressAllow is one allow rule; every attribute set must match, "*"
// matches any run of characters.
type EgressAllow struct {
	Host      string `yaml:"host,omitempty" json:"host,omitempty"`
	Kind      string `yaml:"kind,omitempty" json:"kind,omitempty"`
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Name      string `yaml:"name,omitempty" json:"name,omitempty"`
	Field     string `yaml:"field,omitempty" json:"field,omitempty"`
}

// RequiresNetworkPolicy reports the effective requireNetworkPolicy.
func (e *EgressConfig) RequiresNetworkPolicy() bool {
	return e == nil || e.RequireNetworkPolicy == nil || *e.RequireNetworkPolicy
}

// IssuerConfig is the internal cert-manager issuer that Ingress and Gateway
// annotations and Certificate issuerRefs are pointed at. In the file it is
// either a name ("issuer: internal-ca", a ClusterIssuer) or a mapping
// ("issuer: {name: internal-ca, kind: Issuer}").
type IssuerConfig struct {
	Name string `yaml:"name" json:"name"`
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty"`
}

// Issuer kinds.
const (
	ClusterIssuer    = "ClusterIssuer"
	NamespacedIssuer = "Issuer"
)

// UnmarshalYAML accepts the name-only form.
func (i *IssuerConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		i.Name = n.Value
		return nil
	}
	type plain IssuerConfig
	return n.Decode((*plain)(i))
}

// IssuerKind is the configured kind, ClusterIssuer by default.
func (i *IssuerConfig) IssuerKind() string {
	if i.Kind == "" {
		return ClusterIssuer
	}
	return i.Kind
}

// ParseIssuerFlag parses --issuer NAME, --issuer ClusterIssuer/NAME or
// --issuer Issuer/NAME.
func ParseIssuerFlag(s string) (*IssuerConfig, error) {
	kind, name, ok := strings.Cut(s, "/")
	if !ok {
		kind, name = "", s
	}
	if name == "" || (ok && kind != ClusterIssuer && kind != NamespacedIssuer) {
		return nil, fmt.Errorf("parsing issuer %q: want NAME, ClusterIssuer/NAME or Issuer/NAME", s)
	}
	return &IssuerConfig{Name: name, Kind: kind}, nil
}

// SetIssuer sets the issuer from a command-line flag, replacing the file's;
// errors about it then name the flag.
func (c *Config) SetIssuer(issuer *IssuerConfig, flag string) {
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	c.Issuer = issuer
	c.origin["issuer"] = flag
}

// validateEgress checks the egress and issuer sections.
func (c *Config) validateEgress() []error {
	var errs []error
	if is := c.Issuer; is != nil {
		switch {
		case !isDNSSubdomain(is.Name):
			errs = append(errs, c.errorf("issuer", "invalid issuer name %q: want a lower-case DNS subdomain", is.Name))
		case !plainString(is.Name):
			errs = append(errs, c.errorf("issuer", "issuer name %q would be read as a number or boolean by Kubernetes' YAML parser; choose another", is.Name))
		}
		if is.Kind != "" && is.Kind != ClusterIssuer && is.Kind != NamespacedIssuer {
			errs = append(errs, c.errorf("issuer.kind", "invalid issuer kind %q: want ClusterIssuer or Issuer", is.Kind))
		}
	}
	e := c.Egress
	if e == nil {
		return errs
	}
	for i, d := range e.InternalDomains {
		if !isHostPattern(strings.TrimPrefix(d, "*.")) || strings.Contains(strings.TrimPrefix(d, "*."), "*") {
			errs = append(errs, c.errorf("egress.internalDomains["+strconv.Itoa(i)+"]", "invalid domain %q: want a domain such as corp.example.com or *.corp.example.com", d))
		}
	}
	for i, a := range e.Allow {
		key := "egress.allow[" + strconv.Itoa(i) + "]"
		if a == (EgressAllow{}) {
			errs = append(errs, c.errorf(key, "an allow rule needs at least one of host, kind, namespace, name, field"))
		}
		if a.Host != "" && a.Host != "*" && !isHostPattern(a.Host) {
			errs = append(errs, c.errorf(key+".host", "invalid host pattern %q: want a host name or address, with \"*\" matching any part", a.Host))
		}
	}
	return errs
}

// isHostPattern checks a host name (or address) in which "*" may stand for
// any part.
func isHostPattern(s string) bool {
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '*') {
				return false
			}
		}
	}
	return true
}

// plainString reports whether a name written plain would be read back as a
// string by YAML 1.1 parsers (Kubernetes' sigs.k8s.io/yaml), which take
// yes/no/on/off and numbers for other types.
func plainString(s string) bool {
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "on", "off", "true", "false", "null", "~":
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	if _, err := strconv.ParseInt(s, 0, 64); err == nil {
		return false
	}
	return true
}
