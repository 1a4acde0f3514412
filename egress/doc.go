// Package egress audits rendered manifests for the network endpoints a
// release would call once installed: URLs, host:port pairs and well-known
// public host names in every string value (container env and args,
// ConfigMap and Secret data including embedded YAML, JSON, INI and
// properties files, annotations, custom-resource specs). Each endpoint is
// classified as internal (cluster DNS, single-label names, private and
// loopback addresses, names with no public top-level domain, domains the
// config marks internal, the mirror's registries) or public, and every public
// one is reported with its resource, field path and value, and a hint when
// it is a known target (ACME directories, Google OAuth, OpenAI, Cloudflare
// Turnstile, chart telemetry and update checks).
//
// It also lists cert-manager Issuers and ClusterIssuers whose ACME server is
// public, and, for every workload in the stream, whether a NetworkPolicy in
// the same stream restricts its egress.
//
// Whether a top-level domain exists comes from the public suffix list of
// golang.org/x/net/publicsuffix, kept as generated data (tlds.go,
// gen_tlds.go): importing the package would pull net/http into the fast
// binary.
//
// The package is pure: it reads parsed documents handed to it by the rewrite
// engine (an Auditor's Pass) and never resolves a name or opens a
// connection. It is part of the fast helm-airgap binary, so it must not
// import kyaml, Helm, Kubernetes client libraries or go-containerregistry.
package egress
