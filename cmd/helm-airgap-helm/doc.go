// Command helm-airgap-helm is the Helm 3 companion of helm-airgap: it serves
// `helm-airgap template|install|upgrade|rollback` (and so `helm airgap
// install ...` through the Helm plugin) and the Argo CD plugin's
// `helm-airgap argocd generate` (argocd.go) by running Helm 3's own actions from the Helm 3
// SDK with the rewriter as post-renderer, and by rewriting every hook
// manifest too, which Helm 3 never shows to a post-renderer
// (helm/helm#7891).
//
// It lives in its own binary because the Helm SDK takes far longer to
// initialise than the whole rewrite of a chart: the fast binary, which Helm
// runs at every post-render, must never import it.
//
// The policy is assembled by internal/settings as for every entry point
// (the config's issuer: and egress:, strict included, apply), and every
// offender of the manifests and the hooks is reported in one round. Where
// hooks are rewritten is explained in hooks.go. Exit codes come from
// internal/cli: 0 success, 1 policy failure (a public image, a collision, a
// strict egress finding) or a Helm failure, 2 usage, config or input error,
// 128+N stopped by signal N.
package main
