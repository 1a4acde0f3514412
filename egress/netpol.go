package egress

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"go.yaml.in/yaml/v3"
)

// Egress statuses of a workload.
const (
	// EgressNone: no NetworkPolicy in the stream restricts the pods' egress.
	EgressNone = "none"
	// EgressAllowsAll: a policy selects the pods but one of its rules allows
	// every destination (egress: [{}], or an ipBlock on the internet with no
	// ports).
	EgressAllowsAll = "allows-all"
	// EgressInternetPorts: the pods may reach the internet on some ports.
	EgressInternetPorts = "allows-internet-ports"
	// EgressRestricted: the pods may reach only in-cluster or private
	// destinations.
	EgressRestricted = "restricted"
)

// netData is what a document contributes to the stream-wide checks, which
// can only be computed once every document has been seen.
type netData struct {
	workloads []workload
	policies  []policy
	issuers   []Issuer
	refs      []issuerRef
}

type workload struct {
	res    yamlnode.Resource
	doc    int
	line   int
	labels map[string]string
}

type policy struct {
	res      yamlnode.Resource
	selector selector
	// openAll: some rule allows every destination on every port.
	openAll bool
	// ports the pods may use to reach the internet, when not openAll.
	ports []string
}

// selector is a label selector (matchLabels and matchExpressions).
type selector struct {
	labels      map[string]string
	expressions []expression
	invalid     bool // an operator this package does not know: matches nothing
}

type expression struct {
	key, op string
	values  []string
}

// issuerRef is a resource that names a cert-manager issuer.
type issuerRef struct {
	res        yamlnode.Resource
	kind, name string
}

// podTemplateExcluded are kinds that hold a pod template without running
// pods. Every other kind owns pods when it is a Pod or embeds a template
// (found by shape, template.spec.containers, as the image rewrite does).
var podTemplateExcluded = map[string]bool{"PodTemplate": true}

// collect records the workload, NetworkPolicy and issuer data of an object.
func (s *docScan) collect(obj *yaml.Node, line func(int) int) {
	res := s.res
	at := line(obj.Line)
	if meta := yamlnode.Lookup(obj, "metadata"); meta != nil {
		at = line(meta.Line)
	}
	switch {
	case res.Kind == "NetworkPolicy" && strings.HasPrefix(res.APIVersion, "networking.k8s.io/"):
		if p, ok := readPolicy(obj, res); ok {
			s.policies = append(s.policies, p)
		}
		return
	case (res.Kind == "Issuer" || res.Kind == "ClusterIssuer") && strings.HasPrefix(res.APIVersion, "cert-manager.io/"):
		s.acmeIssuer(obj, line)
		return
	case res.Kind == "Certificate" && strings.HasPrefix(res.APIVersion, "cert-manager.io/"):
		ref := yamlnode.Lookup(yamlnode.Lookup(obj, "spec"), "issuerRef")
		if name := yamlnode.ScalarAt(ref, "name"); name != "" && groupIsCertManager(yamlnode.ScalarAt(ref, "group")) {
			kind := yamlnode.ScalarAt(ref, "kind")
			if kind == "" {
				kind = "Issuer"
			}
			s.refs = append(s.refs, issuerRef{res: res, kind: kind, name: name})
		}
		return
	case res.Kind == "Ingress" || res.Kind == "Gateway":
		annotations := yamlnode.Lookup(yamlnode.Lookup(obj, "metadata"), "annotations")
		if name := yamlnode.ScalarAt(annotations, "cert-manager.io/cluster-issuer"); name != "" {
			s.refs = append(s.refs, issuerRef{res: res, kind: "ClusterIssuer", name: name})
		} else if name := yamlnode.ScalarAt(annotations, "cert-manager.io/issuer"); name != "" && groupIsCertManager(yamlnode.ScalarAt(annotations, "cert-manager.io/issuer-group")) {
			kind := yamlnode.ScalarAt(annotations, "cert-manager.io/issuer-kind")
			if kind == "" {
				kind = "Issuer"
			}
			s.refs = append(s.refs, issuerRef{res: res, kind: kind, name: name})
		}
		return
	}
	if res.Kind == "Pod" {
		s.workloads = append(s.workloads, workload{res: res, doc: s.doc, line: at, labels: stringMap(yamlnode.Lookup(yamlnode.Lookup(obj, "metadata"), "labels"))})
		return
	}
	if podTemplateExcluded[res.Kind] {
		return
	}
	if tmpl := findPodTemplate(yamlnode.Lookup(obj, "spec"), 0); tmpl != nil {
		s.workloads = append(s.workloads, workload{res: res, doc: s.doc, line: at, labels: stringMap(yamlnode.Lookup(yamlnode.Lookup(tmpl, "metadata"), "labels"))})
	}
}

func groupIsCertManager(group string) bool { return group == "" || group == "cert-manager.io" }

// findPodTemplate finds a pod template (a "template" whose spec has
// containers) below a workload's spec: spec.template,
// spec.jobTemplate.spec.template, and the templates of custom resources.
func findPodTemplate(n *yaml.Node, depth int) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode || depth > 6 {
		return nil
	}
	if t := yamlnode.Lookup(n, "template"); t != nil {
		if spec := yamlnode.Lookup(t, "spec"); spec != nil && (yamlnode.Lookup(spec, "containers") != nil || yamlnode.Lookup(spec, "initContainers") != nil) {
			return t
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if t := findPodTemplate(n.Content[i+1], depth+1); t != nil {
			return t
		}
	}
	return nil
}

func stringMap(m *yaml.Node) map[string]string {
	out := map[string]string{}
	if m == nil || m.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if v := yamlnode.Resolve(m.Content[i+1]); v != nil && v.Kind == yaml.ScalarNode {
			out[m.Content[i].Value] = v.Value
		}
	}
	return out
}

func stringList(n *yaml.Node) []string {
	var out []string
	if n == nil || n.Kind != yaml.SequenceNode {
		return out
	}
	for _, item := range n.Content {
		if item = yamlnode.Resolve(item); item.Kind == yaml.ScalarNode {
			out = append(out, item.Value)
		}
	}
	return out
}

// readPolicy reads a NetworkPolicy that applies to egress; ok is false for a
// policy that only governs ingress.
func readPolicy(obj *yaml.Node, res yamlnode.Resource) (policy, bool) {
	spec := yamlnode.Lookup(obj, "spec")
	egress := yamlnode.Lookup(spec, "egress")
	types := yamlnode.Lookup(spec, "policyTypes")
	applies := false
	if types != nil {
		for _, t := range stringList(types) {
			applies = applies || t == "Egress"
		}
	} else {
		applies = egress != nil // the API server's default for policyTypes
	}
	if !applies {
		return policy{}, false
	}
	p := policy{res: res, selector: readSelector(yamlnode.Lookup(spec, "podSelector"))}
	if egress == nil || egress.Kind != yaml.SequenceNode {
		return p, true // no rules: all egress denied
	}
	for _, rule := range egress.Content {
		rule = yamlnode.Resolve(rule)
		to := yamlnode.Lookup(rule, "to")
		ports := rulePorts(yamlnode.Lookup(rule, "ports"))
		internet := to == nil || (to.Kind == yaml.SequenceNode && len(to.Content) == 0)
		if !internet && to.Kind == yaml.SequenceNode {
			for _, peer := range to.Content {
				if cidr := yamlnode.ScalarAt(yamlnode.Lookup(peer, "ipBlock"), "cidr"); cidr != "" && reachesInternet(cidr) {
					internet = true
				}
			}
		}
		switch {
		case !internet:
		case len(ports) == 0:
			p.openAll = true
		default:
			p.ports = append(p.ports, ports...)
		}
	}
	return p, true
}

// rulePorts lists a rule's ports as "53/UDP", "443", "8000-9000".
func rulePorts(n *yaml.Node) []string {
	var out []string
	if n == nil || n.Kind != yaml.SequenceNode {
		return out
	}
	for _, p := range n.Content {
		port := yamlnode.ScalarAt(p, "port")
		if port == "" {
			port = "*"
		}
		if end := yamlnode.ScalarAt(p, "endPort"); end != "" {
			port += "-" + end
		}
		if proto := yamlnode.ScalarAt(p, "protocol"); proto != "" && proto != "TCP" {
			port += "/" + proto
		}
		out = append(out, port)
	}
	return out
}

// privateRanges are the ranges an ipBlock may allow without reaching the
// internet.
var privateRanges = mustPrefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
	"169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128")

// reachesInternet reports whether a CIDR holds any public address.
func reachesInternet(cidr string) bool {
	p, err := netip.ParsePrefix(strings.TrimSpace(cidr))
	if err != nil {
		return false // the API server rejects it; nothing is allowed
	}
	p = p.Masked()
	for _, r := range privateRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return false
		}
	}
	return true
}

func readSelector(n *yaml.Node) selector {
	sel := selector{labels: stringMap(yamlnode.Lookup(n, "matchLabels"))}
	if exprs := yamlnode.Lookup(n, "matchExpressions"); exprs != nil && exprs.Kind == yaml.SequenceNode {
		for _, e := range exprs.Content {
			x := expression{key: yamlnode.ScalarAt(e, "key"), op: yamlnode.ScalarAt(e, "operator"), values: stringList(yamlnode.Lookup(e, "values"))}
			switch x.op {
			case "In", "NotIn", "Exists", "DoesNotExist":
			default:
				sel.invalid = true
			}
			sel.expressions = append(sel.expressions, x)
		}
	}
	return sel
}

// matches applies a label selector to pod labels, as the API server does:
// every matchLabels pair and every expression must hold; an empty selector
// selects every pod.
func (sel selector) matches(labels map[string]string) bool {
	if sel.invalid {
		return false
	}
	for k, v := range sel.labels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	for _, x := range sel.expressions {
		v, has := labels[x.key]
		switch x.op {
		case "In":
			if !has || !contains(x.values, v) {
				return false
			}
		case "NotIn":
			if has && contains(x.values, v) {
				return false
			}
		case "Exists":
			if !has {
				return false
			}
		case "DoesNotExist":
			if has {
				return false
			}
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

// sameNamespace treats an empty namespace as the release's: a rendered
// object without one is installed into the namespace Helm is given, which
// may be any other object's.
func sameNamespace(a, b string) bool { return a == b || a == "" || b == "" }

// Workload is a pod-owning resource and how far its egress is restricted.
type Workload struct {
	Document   int      `json:"document"`
	Line       int      `json:"line"`
	APIVersion string   `json:"apiVersion,omitempty"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Name       string   `json:"name"`
	Egress     string   `json:"egress"`
	Policies   []string `json:"policies,omitempty"` // the egress policies that select it
	Ports      []string `json:"internetPorts,omitempty"`
	Allowed    bool     `json:"allowed,omitempty"` // exempted by an allow rule
}

// Resource names the workload as "Kind namespace/name".
func (w Workload) Resource() string {
	return yamlnode.Resource{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}.String()
}

// coverage evaluates every workload against every egress policy.
func coverage(workloads []workload, policies []policy) []Workload {
	out := make([]Workload, 0, len(workloads))
	for _, w := range workloads {
		r := Workload{Document: w.doc, Line: w.line, APIVersion: w.res.APIVersion, Kind: w.res.Kind,
			Namespace: w.res.Namespace, Name: w.res.Name, Egress: EgressNone}
		open := false
		var ports []string
		for _, p := range policies {
			if !sameNamespace(p.res.Namespace, w.res.Namespace) || !p.selector.matches(w.labels) {
				continue
			}
			r.Policies = append(r.Policies, p.res.String())
			open = open || p.openAll
			ports = append(ports, p.ports...)
		}
		switch {
		case len(r.Policies) == 0:
		case open:
			r.Egress = EgressAllowsAll
		case len(ports) > 0 && !onlyDNS(ports):
			r.Egress, r.Ports = EgressInternetPorts, dedupe(ports)
		case len(ports) > 0:
			r.Egress, r.Ports = EgressRestricted, dedupe(ports)
		default:
			r.Egress = EgressRestricted
		}
		out = append(out, r)
	}
	return out
}

// onlyDNS reports ports that are all 53: resolving names through any DNS
// server is the usual allowance of a policy that otherwise keeps pods in the
// cluster, and no HTTP phone-home can pass it.
func onlyDNS(ports []string) bool {
	for _, p := range ports {
		if p != "53" && p != "53/UDP" {
			return false
		}
	}
	return true
}

func dedupe(list []string) []string {
	sort.Strings(list)
	out := list[:0]
	for i, s := range list {
		if i == 0 || s != list[i-1] {
			out = append(out, s)
		}
	}
	return out
}
