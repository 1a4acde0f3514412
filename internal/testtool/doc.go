// Package testtool builds the real binaries that end-to-end tests run: the
// project's own commands (fresh for every test process, so a test never
// runs a stale build) and third-party tools pinned as Go tool dependencies
// in go.mod (Helm 3 and 4, kustomize), which are built once into the
// gitignored build/tools/ and reused. Nothing is downloaded except through
// the Go module proxy, so `go test ./...` works on a clean clone.
//
// Only tests import this package.
package testtool
