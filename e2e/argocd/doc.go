// Package argocd runs the Argo CD config management plugin (argocd/plugin.yaml)
// in Argo CD itself: the real argocd-cmp-server, started as the sidecar runs
// it (plugin config in its config directory, socket in the plugins
// directory, the sidecar's HELM_AIRGAP_CONFIG), with the project's
// helm-airgap binaries on PATH; and the repo-server's own manifest
// generation (tools/argocd/cmpdrive), which computes the plugin environment
// from an Application's source (ARGOCD_APP_*, KUBE_VERSION,
// KUBE_API_VERSIONS, ARGOCD_ENV_*, ARGOCD_APP_PARAMETERS and PARAM_*),
// finds the sidecar by name or by discovery and streams it the repository
// over gRPC. Both are built from the Argo CD release pinned in
// tools/argocd/go.mod.
//
// It is a package of its own so that `go test ./...` runs it beside the
// other end-to-end tests. The tests have no non-test code; this file only
// documents the package.
package argocd
