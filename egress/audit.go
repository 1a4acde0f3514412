package egress

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rewrite"
	"go.yaml.in/yaml/v3"
)

// Options configure an audit.
type Options struct {
	// Classifier decides what is internal; its InternalDomains come from the
	// config's egress.internalDomains, IsInternalHost from the registries.
	Classifier Classifier
	// Allow exempts endpoints and resources from the report.
	Allow []AllowRule
	// Strict makes any public endpoint, public ACME issuer and (with
	// RequireNetworkPolicy) any workload with unrestricted egress a failure.
	Strict bool
	// RequireNetworkPolicy makes unrestricted egress fail a strict audit.
	RequireNetworkPolicy bool
	// InternalIssuer is set when the issuer rewrite runs in the same pass:
	// Ingresses, Gateways and Certificates then point at it in the output,
	// so they are not listed as users of a public ACME issuer.
	InternalIssuer string
}

// Finding is one public endpoint.
type Finding struct {
	Document   int    `json:"document"` // 1-based
	Line       int    `json:"line"`
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	Field      string `json:"field"`             // path from the resource root
	Setting    string `json:"setting,omitempty"` // the key, env variable or flag
	Value      string `json:"value"`             // the endpoint as written, credentials masked
	Host       string `json:"host"`
	Port       string `json:"port,omitempty"`
	Service    string `json:"service,omitempty"` // the known target's name for it
	Hint       string `json:"hint,omitempty"`
}

// Resource names the object as "Kind namespace/name".
func (f Finding) Resource() string {
	return yamlnode.Resource{Kind: f.Kind, Namespace: f.Namespace, Name: f.Name}.String()
}

// Issuer is a cert-manager Issuer or ClusterIssuer with an ACME server.
type Issuer struct {
	Document  int      `json:"document"`
	Line      int      `json:"line"`
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	Server    string   `json:"server"`
	Host      string   `json:"host"`
	Public    bool     `json:"public"`
	Service   string   `json:"service,omitempty"`
	UsedBy    []string `json:"usedBy,omitempty"` // Ingresses, Gateways and Certificates naming it
	Allowed   bool     `json:"allowed,omitempty"`
}

// Resource names the issuer.
func (i Issuer) Resource() string {
	return yamlnode.Resource{Kind: i.Kind, Namespace: i.Namespace, Name: i.Name}.String()
}

// Auditor scans documents as the rewrite engine hands them over, from any
// number of goroutines, and reports once the stream is done.
type Auditor struct {
	opts       Options
	classifier *Classifier
	allow      []allowMatcher

	mu   sync.Mutex
	docs []*docScan
}

// New returns an Auditor; the allow rules must be valid (see ValidateAllow).
func New(opts Options) (*Auditor, error) {
	a := &Auditor{opts: opts, classifier: &opts.Classifier}
	for i, r := range opts.Allow {
		m, err := compileAllow(r)
		if err != nil {
			return nil, fmt.Errorf("egress allow rule %d: %w", i+1, err)
		}
		a.allow = append(a.allow, m)
	}
	return a, nil
}

// Pass is the rewrite-engine step that scans each document.
func (a *Auditor) Pass() rewrite.Pass {
	return func(doc *rewrite.Document, _ *rewrite.Edit) error {
		a.Scan(doc)
		return nil
	}
}

// Scan audits one document.
func (a *Auditor) Scan(doc *rewrite.Document) {
	s := &docScan{a: a, doc: doc.Index + 1, budget: maxValues}
	line := doc.StreamLine
	root := doc.Root
	if items, ok := yamlnode.ListItems(root); ok {
		for i, item := range items {
			s.object(item, fmt.Sprintf("items[%d]", i), line)
		}
	} else {
		s.object(root, "", line)
	}
	a.mu.Lock()
	a.docs = append(a.docs, s)
	a.mu.Unlock()
}

// acmeIssuer records an Issuer or ClusterIssuer's ACME server.
func (s *docScan) acmeIssuer(obj *yaml.Node, line func(int) int) {
	server := yamlnode.Lookup(yamlnode.Lookup(yamlnode.Lookup(obj, "spec"), "acme"), "server")
	if server == nil || server.Kind != yaml.ScalarNode || server.Value == "" {
		return
	}
	i := Issuer{Document: s.doc, Line: line(server.Line), Kind: s.res.Kind, Namespace: s.res.Namespace,
		Name: s.res.Name, Server: server.Value}
	if eps := Extract(server.Value); len(eps) > 0 {
		i.Host = eps[0].Host
		i.Public = s.a.classifier.Classify(eps[0].Host, eps[0].Port) == Public
	}
	if t, ok := Lookup(i.Host); ok {
		i.Service = t.Service
	}
	i.Allowed = i.Public && s.a.allowed(i.Host, s.res, "spec.acme.server")
	s.issuers = append(s.issuers, i)
}

// maxValues bounds the values and lines scanned in one document, so that a
// pathological document cannot stall the run; a document that reaches it is
// listed in Report.Truncated.
const maxValues = 1 << 20

// Report is the audit's outcome.
type Report struct {
	Strict    bool       `json:"strict"`
	Failed    bool       `json:"failed"`
	Summary   Summary    `json:"summary"`
	Endpoints []Finding  `json:"endpoints"`
	Issuers   []Issuer   `json:"issuers"`
	Workloads []Workload `json:"workloads"`
	// Truncated lists the documents (1-based) whose scan stopped at the
	// limit; the rest of them was not audited.
	Truncated []int `json:"truncated,omitempty"`
}

// Summary counts what the report lists.
type Summary struct {
	Documents             int  `json:"documents"`
	PublicEndpoints       int  `json:"publicEndpoints"`
	AllowedEndpoints      int  `json:"allowedEndpoints"`
	PublicACMEIssuers     int  `json:"publicAcmeIssuers"`
	Workloads             int  `json:"workloads"`
	UnrestrictedWorkloads int  `json:"unrestrictedWorkloads"`
	RequireNetworkPolicy  bool `json:"requireNetworkPolicy"`
}

// Report gathers every document's findings in stream order and evaluates
// the checks that need the whole stream (NetworkPolicy coverage, issuer
// users).
func (a *Auditor) Report() *Report {
	a.mu.Lock()
	docs := append([]*docScan(nil), a.docs...)
	a.mu.Unlock()
	sort.Slice(docs, func(i, j int) bool { return docs[i].doc < docs[j].doc })

	r := &Report{Strict: a.opts.Strict, Endpoints: []Finding{}, Issuers: []Issuer{}, Workloads: []Workload{}}
	var all netData
	for _, d := range docs {
		r.Endpoints = append(r.Endpoints, d.found...)
		if d.budget < 0 {
			r.Truncated = append(r.Truncated, d.doc)
		}
		r.Summary.AllowedEndpoints += d.allowed
		all.workloads = append(all.workloads, d.workloads...)
		all.policies = append(all.policies, d.policies...)
		all.issuers = append(all.issuers, d.issuers...)
		all.refs = append(all.refs, d.refs...)
	}
	sort.SliceStable(r.Endpoints, func(i, j int) bool {
		a, b := r.Endpoints[i], r.Endpoints[j]
		if a.Document != b.Document {
			return a.Document < b.Document
		}
		return a.Line < b.Line
	})
	r.Endpoints = dedupeFindings(r.Endpoints)

	for _, iss := range all.issuers {
		if a.opts.InternalIssuer == "" {
			for _, ref := range all.refs {
				if ref.name == iss.Name && ref.kind == iss.Kind && (iss.Kind == "ClusterIssuer" || sameNamespace(ref.res.Namespace, iss.Namespace)) {
					iss.UsedBy = append(iss.UsedBy, ref.res.String())
				}
			}
		}
		if iss.Public && !iss.Allowed {
			r.Summary.PublicACMEIssuers++
		}
		r.Issuers = append(r.Issuers, iss)
	}
	for _, w := range coverage(all.workloads, all.policies) {
		w.Allowed = a.allowedResource(yamlnode.Resource{APIVersion: w.APIVersion, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name})
		if w.Egress != EgressRestricted && !w.Allowed {
			r.Summary.UnrestrictedWorkloads++
		}
		r.Workloads = append(r.Workloads, w)
	}
	r.Summary.Documents = len(docs)
	r.Summary.PublicEndpoints = len(r.Endpoints)
	r.Summary.Workloads = len(r.Workloads)
	r.Summary.RequireNetworkPolicy = a.opts.RequireNetworkPolicy
	// A strict audit proves the stream clean, which a document it could not
	// read whole does not allow.
	r.Failed = r.Strict && (r.Summary.PublicEndpoints > 0 || r.Summary.PublicACMEIssuers > 0 ||
		(a.opts.RequireNetworkPolicy && r.Summary.UnrestrictedWorkloads > 0) || len(r.Truncated) > 0)
	return r
}

// dedupeFindings drops a finding repeated at the same place (a URL written
// twice on one line).
func dedupeFindings(list []Finding) []Finding {
	seen := map[string]bool{}
	out := list[:0]
	for _, f := range list {
		key := fmt.Sprint(f.Document, "\x00", f.Line, "\x00", f.Field, "\x00", f.Value)
		if !seen[key] {
			seen[key] = true
			out = append(out, f)
		}
	}
	return out
}

// PolicyError is a strict audit that found something public. The CLI exits
// 1 on it.
type PolicyError struct{ Report *Report }

// ExitCode is 1, the CLI's code for a policy failure.
func (e *PolicyError) ExitCode() int { return 1 }

func (e *PolicyError) Error() string {
	s := e.Report.Summary
	var parts []string
	if s.PublicEndpoints > 0 {
		parts = append(parts, fmt.Sprintf("%d public endpoint(s)", s.PublicEndpoints))
	}
	if s.PublicACMEIssuers > 0 {
		parts = append(parts, fmt.Sprintf("%d issuer(s) with a public ACME server", s.PublicACMEIssuers))
	}
	if s.RequireNetworkPolicy && s.UnrestrictedWorkloads > 0 {
		parts = append(parts, fmt.Sprintf("%d workload(s) whose egress no NetworkPolicy restricts", s.UnrestrictedWorkloads))
	}
	if n := len(e.Report.Truncated); n > 0 {
		parts = append(parts, fmt.Sprintf("%d document(s) too large to audit whole", n))
	}
	return "egress audit failed: " + strings.Join(parts, ", ")
}
