// Package controlplane starts a real Kubernetes control plane for tests:
// etcd and kube-apiserver, built from the pinned modules under
// tools/controlplane/ by internal/testtool, listening on free loopback
// ports with a throwaway service-account key pair, a static-token admin
// user and RBAC. There is no kubelet and no controller manager; a small
// controller (hooks.go) plays the part that Helm waits on: it marks every
// Job complete and every Pod succeeded, and remembers each one it saw, so
// that a test can still inspect a hook after Helm deleted it.
//
// One control plane serves a whole test package: the package's TestMain
// calls Main, the first test that needs a cluster calls Shared, and Main
// stops both processes when the tests end. Each test takes a namespace of
// its own (Namespace) so tests do not see each other's objects.
//
// Only tests import this package; it must not import the project's
// production packages.
package controlplane
