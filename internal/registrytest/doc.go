// Package registrytest runs real OCI registries in-process for tests:
// go-containerregistry's pkg/registry behind httptest, with every request
// counted (so a test can prove a re-run wrote nothing) and an optional
// fault injector (401s, 500s) in front. It also seeds registries with
// random single- and multi-arch images and a Helm chart artifact.
//
// Only tests import this package; nothing here reaches the internet.
package registrytest
