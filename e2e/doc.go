// Package e2e holds the end-to-end tests of helm-airgap with the real Helm
// 3 and Helm 4 binaries (built from go.mod's tool dependencies on first
// use into build/tools/): the plugins load on both, every route through
// Helm ends with only mirror images and the pull secret everywhere, hooks
// included, a public image fails with a message a person can read, and the
// dist tarballs install offline. Installs go to an in-process fake API
// server (internal/kubetest), so no cluster and no network are needed.
//
// The tests have no non-test code; this file only documents the package.
package e2e
