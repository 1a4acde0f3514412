package egress

import (
	"net/netip"
	"strings"
)

// Class is what a host name or address means for an air-gapped cluster.
type Class int

const (
	// Reserved names and addresses can never be a real endpoint: the
	// documentation names of RFC 2606 and RFC 6761 (example.com, *.test,
	// *.invalid, *.localhost, *.example), the documentation address ranges,
	// and strings that only look like names.
	Reserved Class = iota
	// Internal endpoints are reachable without the internet.
	Internal
	// Public endpoints are on the internet.
	Public
)

func (c Class) String() string {
	switch c {
	case Internal:
		return "internal"
	case Public:
		return "public"
	default:
		return "reserved"
	}
}

// reservedDomains are the RFC 2606 / RFC 6761 names set aside for
// documentation and testing; they and their subdomains never resolve.
var reservedDomains = []string{"example.com", "example.net", "example.org", "example", "test", "invalid", "localhost"}

// internalSuffixes are names that only resolve inside a cluster or a private
// network: Kubernetes service DNS, mDNS, the private-use TLDs.
var internalSuffixes = []string{"svc", "cluster.local", "local", "internal", "intranet", "lan", "corp", "home.arpa", "private"}

// reservedPrefixes are the documentation and benchmarking address ranges
// (RFC 5737, RFC 3849, RFC 2544): placeholders, never an endpoint.
var reservedPrefixes = mustPrefixes("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "198.18.0.0/15")

// internalPrefixes are address ranges that are not on the internet beyond
// what netip's own predicates cover: carrier-grade NAT and the "this network"
// block.
var internalPrefixes = mustPrefixes("100.64.0.0/10", "0.0.0.0/8", "192.0.0.0/24")

func mustPrefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Classifier decides whether hosts are internal or public.
type Classifier struct {
	// InternalDomains are domains (and their subdomains) the config marks
	// internal; a leading "*." is accepted and means the same.
	InternalDomains []string
	// IsInternalHost, when set, reports further internal hosts, such as the
	// mirror's and the allowed registries (host or host:port).
	IsInternalHost func(host string) bool
}

// normalizeHost lower-cases a host and drops a trailing root dot and IPv6
// brackets.
func normalizeHost(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	return host
}

// Classify classifies a host (a DNS name or an IP address; port optional).
func (c *Classifier) Classify(host, port string) Class {
	host = normalizeHost(host)
	if host == "" {
		return Reserved
	}
	if c.IsInternalHost != nil && (c.IsInternalHost(host) || (port != "" && c.IsInternalHost(host+":"+port))) {
		return Internal
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return classifyAddr(addr)
	}
	if !isHostName(host) {
		return Reserved
	}
	for _, d := range reservedDomains {
		if inDomain(host, d) {
			if host == "localhost" {
				return Internal
			}
			return Reserved
		}
	}
	if !strings.Contains(host, ".") {
		return Internal // a single label resolves through the cluster's search path
	}
	for _, d := range internalSuffixes {
		if inDomain(host, d) {
			return Internal
		}
	}
	for _, d := range c.InternalDomains {
		if inDomain(host, strings.TrimPrefix(strings.ToLower(strings.TrimSuffix(d, ".")), "*.")) {
			return Internal
		}
	}
	if !isTLD(host[strings.LastIndexByte(host, '.')+1:]) {
		// The top-level domain is not in the public suffix list (tlds.go):
		// it does not exist on the internet, so the name can only resolve
		// on a private DNS server.
		return Internal
	}
	return Public
}

func classifyAddr(addr netip.Addr) Class {
	addr = addr.Unmap().WithZone("")
	for _, p := range reservedPrefixes {
		if p.Contains(addr) {
			return Reserved
		}
	}
	for _, p := range internalPrefixes {
		if p.Contains(addr) {
			return Internal
		}
	}
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsUnspecified() ||
		addr.IsMulticast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() {
		return Internal
	}
	if addr.IsGlobalUnicast() {
		return Public
	}
	return Internal
}

// inDomain reports whether host is domain or a subdomain of it.
func inDomain(host, domain string) bool {
	return host == domain || (strings.HasSuffix(host, domain) && strings.HasSuffix(host[:len(host)-len(domain)], "."))
}

// isHostName checks a DNS name: labels of letters, digits, hyphens and
// underscores (SRV-style names), no empty label, and a top-level label with
// a letter (so "1.2.3" is a version, not a name).
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isHostByte(l[i]) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.IndexFunc(tld, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0
}

func isHostByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_'
}
