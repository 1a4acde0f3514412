// Package testtool builds the real binaries that end-to-end tests run: the
// project's own commands (fresh for every test process, so a test never
// runs a stale build) and pinned third-party tools, which are built once
// into the gitignored build/tools/ and reused: Helm 3 and 4 and kustomize
// from go.mod's tool dependencies, etcd and kube-apiserver from their own
// modules under tools/controlplane/, Argo CD's cmp-server and repo-server
// side from tools/argocd/, the distribution registry from tools/registry/.
// Nothing is downloaded except through
// the Go module proxy, so `go test ./...` works on a clean clone.
//
// Tests import this package, and buildtools (`make tools`), which builds
// every pinned tool before the tests start.
package testtool
