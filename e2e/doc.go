// Package e2e holds the end-to-end tests of helm-airgap with the real Helm
// 3 and Helm 4 binaries (built from go.mod's tool dependencies on first
// use into build/tools/): the plugins load on both, every route through
// Helm ends with only mirror images and the pull secret everywhere, hooks
// included, a public image fails with a message a person can read, and the
// dist tarballs install offline. Installs, upgrades and rollbacks go to a
// real etcd and kube-apiserver that the tests start on loopback
// (internal/controlplane), so no cluster and no network are needed, and
// the assertions are on what the API server accepted and stored.
//
// The tests have no non-test code; this file only documents the package.
package e2e
