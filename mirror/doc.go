// Package mirror copies the images of a mirror plan with go-containerregistry:
// registry to registry (Copy), into one OCI image layout archive to carry
// across an air gap (ToArchive), from that archive into the internal
// registry (Push), and checks that every destination exists (Verify).
//
// Copies are exact: manifests are copied byte for byte, so digests are
// preserved and a multi-arch index is copied whole with every platform; a
// digest-pinned source is pulled by its digest. Every operation is safe to
// re-run: an image whose destination already holds the same digest is
// skipped after one manifest HEAD, and blobs the destination already has are
// not uploaded again. Transient failures (5xx, 429, 401, dropped
// connections) are retried with exponential backoff; a source that does not
// exist is not. Credentials come from the Docker config and its credential
// helpers (authn.DefaultKeychain).
//
// Only the helm-airgap-registry companion imports this package (and make
// image's builder, internal/sidecar, to write its archive): the fast binary
// must never link a registry client.
package mirror
