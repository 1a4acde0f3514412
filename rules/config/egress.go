package config

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/plexicus/helm-airgap/egress/egressconfig"
)

// SetIssuer sets the issuer from a command-line flag, replacing the file's;
// errors about it then name the flag.
func (c *Config) SetIssuer(issuer *egressconfig.Issuer, flag string) {
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
		if is.Kind != "" && is.Kind != egressconfig.ClusterIssuer && is.Kind != egressconfig.NamespacedIssuer {
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
		if a == (egressconfig.AllowRule{}) {
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
