// Package release holds what the release builds share (`make dist`, the
// plugin tarballs, and `make image`, the Argo CD sidecar image): the
// version they carry (plugin.yaml's), the platforms they are built for, and
// the static cross-compiled builds of the project's commands and of Helm.
//
// Only the build commands under internal/ (dist, sidecar) and their tests
// import this package; the shipped binaries never do.
package release
