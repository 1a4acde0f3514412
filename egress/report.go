package egress

import (
	"encoding/json"
	"fmt"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"io"
	"sort"
	"strings"
)

// genericHint is the advice for a public endpoint no known target matches.
const genericHint = "point it at an internal service or leave the setting empty; if the cluster may reach it, add egress.allow: [{host: %s}] to the config"

// WriteJSON writes the report as one JSON object, for CI.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people: public endpoints grouped by host
// with the known target's hint, issuers with a public ACME server, and the
// NetworkPolicy coverage of every workload. Nothing is written for a clean
// stream unless verbose.
func (r *Report) WriteText(w io.Writer, verbose bool) {
	level := "warning"
	if r.Failed {
		level = "error"
	}
	if n := len(r.Endpoints); n > 0 {
		fmt.Fprintf(w, "helm-airgap: egress %s: %d public endpoint(s) the release would call:\n", level, n)
		groups := map[string][]Finding{}
		var hosts []string
		for _, f := range r.Endpoints {
			if _, ok := groups[f.Host]; !ok {
				hosts = append(hosts, f.Host)
			}
			groups[f.Host] = append(groups[f.Host], f)
		}
		sort.Strings(hosts)
		for _, h := range hosts {
			list := groups[h]
			name := h
			if s := list[0].Service; s != "" {
				name += " (" + s + ")"
			}
			fmt.Fprintf(w, "\n  %s, %d:\n", name, len(list))
			for _, f := range list {
				fmt.Fprintf(w, "    %s: %s: %s (document %d, line %d)\n", f.Resource(), yamlnode.Printable(f.Field), yamlnode.Printable(f.Value), f.Document, f.Line)
			}
			hint := list[0].Hint
			if hint == "" {
				hint = fmt.Sprintf(genericHint, h)
			}
			fmt.Fprintf(w, "    hint: %s\n", hint)
		}
		fmt.Fprintln(w)
	}
	var public []Issuer
	for _, i := range r.Issuers {
		if i.Public && !i.Allowed {
			public = append(public, i)
		}
	}
	if len(public) > 0 {
		fmt.Fprintf(w, "helm-airgap: egress %s: %d cert-manager issuer(s) use a public ACME server:\n", level, len(public))
		for _, i := range public {
			used := ""
			if len(i.UsedBy) > 0 {
				used = "; used by " + strings.Join(i.UsedBy, ", ")
			}
			fmt.Fprintf(w, "    %s: spec.acme.server: %s (document %d, line %d)%s\n", i.Resource(), i.Server, i.Document, i.Line, used)
		}
		fmt.Fprintf(w, "    hint: set issuer: {name: <internal-issuer>, kind: ClusterIssuer} in the config (or --issuer) to point Ingresses, Gateways and Certificates at an internal CA, and leave this issuer out\n\n")
	}
	r.writeWorkloads(w, level, verbose)
	for _, d := range r.Truncated {
		fmt.Fprintf(w, "helm-airgap: egress warning: document %d holds more than %d values; the audit stopped there and did not scan the rest of it\n", d, maxValues)
	}
	if r.Failed {
		fmt.Fprintf(w, "helm-airgap: %v\n", &PolicyError{Report: r})
	} else if verbose {
		s := r.Summary
		fmt.Fprintf(w, "helm-airgap: egress: %d public endpoint(s) (%d allowed), %d public ACME issuer(s), %d of %d workload(s) with unrestricted egress\n",
			s.PublicEndpoints, s.AllowedEndpoints, s.PublicACMEIssuers, s.UnrestrictedWorkloads, s.Workloads)
	}
}

func (r *Report) writeWorkloads(w io.Writer, level string, verbose bool) {
	var open []Workload
	for _, wl := range r.Workloads {
		if wl.Egress != EgressRestricted && !wl.Allowed {
			open = append(open, wl)
		}
	}
	if len(open) == 0 && !verbose {
		return
	}
	if !r.Failed || !r.Summary.RequireNetworkPolicy {
		level = "info"
	}
	fmt.Fprintf(w, "helm-airgap: egress %s: network policies: %d of %d workload(s) have unrestricted egress:\n", level, len(open), len(r.Workloads))
	shown := 0
	for _, wl := range r.Workloads {
		if wl.Egress == EgressRestricted && !verbose {
			continue
		}
		// Information must not drown a post-renderer's stderr: a long list
		// is cut unless it is why the run fails.
		if shown++; shown > maxInfoWorkloads && level == "info" && !verbose {
			fmt.Fprintf(w, "    ... and %d more (--output json lists every workload)\n", len(open)-maxInfoWorkloads)
			break
		}
		allowed := ""
		if wl.Allowed {
			allowed = " (allowed)"
		}
		fmt.Fprintf(w, "    %s: %s%s\n", wl.Resource(), describeEgress(wl), allowed)
	}
	if len(open) > 0 {
		fmt.Fprintf(w, "    hint: add a NetworkPolicy with policyTypes [Egress] that selects these pods and allows only in-cluster destinations (and DNS)\n")
	}
	fmt.Fprintln(w)
}

// maxInfoWorkloads is how many workloads an informational list shows.
const maxInfoWorkloads = 20

func describeEgress(wl Workload) string {
	via := strings.Join(wl.Policies, ", ")
	switch wl.Egress {
	case EgressNone:
		return "not restricted: no NetworkPolicy with Egress selects its pods"
	case EgressAllowsAll:
		return "not restricted: " + via + " allows every destination"
	case EgressInternetPorts:
		return "may reach the internet on port(s) " + strings.Join(wl.Ports, ", ") + " (" + via + ")"
	default:
		if len(wl.Ports) > 0 {
			return "restricted by " + via + " (DNS on port 53 to any destination)"
		}
		return "restricted by " + via
	}
}
