// Package kubetest runs a minimal fake Kubernetes API server in-process
// (httptest), enough for real Helm binaries to install into: version and
// discovery for the core, apps and batch groups, and an in-memory object
// store with create, get, list (label and name selectors), replace, merge
// patch, server-side apply, delete and an idle watch. Jobs complete as soon
// as they are created, so Helm's hook Jobs finish. Every object written is
// recorded, so a test can assert exactly what would have reached a cluster,
// hooks included.
//
// It is not a conformant API server: no admission, no validation, no
// garbage collection, no field management. Only tests import this package.
package kubetest
