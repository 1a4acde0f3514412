// Package argocdtest runs Argo CD's config management plugin machinery for
// tests, from the Argo CD release pinned in tools/argocd (built by
// internal/testtool): the real argocd-cmp-server, started as the plugin's
// sidecar container runs it (a plugin config directory, a socket
// directory, the container's environment), and the repo-server's own
// manifest generation (tools/argocd/cmpdrive), which turns an Application's
// plugin source into the plugin environment (ARGOCD_APP_*, KUBE_VERSION,
// KUBE_API_VERSIONS, ARGOCD_ENV_*, ARGOCD_APP_PARAMETERS and PARAM_*), finds
// the sidecar by name or by discovery and streams it the repository over
// gRPC. A test lays out the sidecar's file system (plugin.yaml, binaries,
// config) and the repository; this package only runs Argo CD on them.
//
// Only tests import this package; it must not import the project's
// production packages.
package argocdtest
