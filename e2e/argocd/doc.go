// Package argocd runs the Argo CD config management plugin (argocd/plugin.yaml)
// in Argo CD itself (internal/argocdtest): the real argocd-cmp-server,
// started as the sidecar runs it, with the project's helm-airgap binaries on
// PATH and the sample argocd/airgap.yaml, asked for an Application's
// manifests by the repo-server's own manifest generation, which computes
// the plugin environment from the Application's plugin source (parameters,
// plugin env, destination cluster) and streams the repository over gRPC.
// It asserts that every image, hooks included, comes back on the mirror with
// the pull secrets, that an uncovered image fails and is named, that the
// parameters work as Argo CD sends them, and that values files outside the
// application directory are refused.
//
// It is a package of its own so that `go test ./...` runs it beside the
// other end-to-end tests. The tests have no non-test code; this file only
// documents the package.
package argocd
