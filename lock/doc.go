// Package lock reads and writes the lock file: for every source image
// reference a mirror run copied, the destination it was copied to and the
// exact digests that landed there, so a later rewrite can pin every
// reference to what was mirrored (DEST:tag@sha256:...) and verify can
// check the destination still holds it.
//
// The file is plain YAML meant to be reviewed in a pull request:
//
//	# Written by helm-airgap mirror --lock; see docs/lock.md.
//	version: 1
//	images:
//	  - source: docker.io/library/nginx:1.25
//	    destination: registry.internal/mirror/library/nginx:1.25
//	    digest: sha256:aaa...          # the source's index (or manifest) digest
//	    filteredDigest: sha256:bbb...  # the index written when --platform kept fewer platforms
//	    platforms:                     # the platform manifests kept (indexes only)
//	      - {platform: linux/amd64, digest: sha256:ccc...}
//	    referrers:                     # signatures, attestations, SBOMs copied with it
//	      - {digest: sha256:ddd..., tag: sha256-aaa....sig}  # cosign's tag
//	      - {digest: sha256:eee...}                          # an OCI 1.1 referrer
//	    mirrored: 2026-11-29T15:04:05Z
//
// Read loads a file; (*File).Lookup finds a source as written or
// normalized; (*File).Pin gives what rewrite --lock writes for a source and
// the destination the config maps it to, or ErrNotLocked, or an error when
// the lock has the source mirrored elsewhere.
//
// Entries are sorted by source; source is the normalized reference
// (registry/path[:tag][@digest], as the mirror plan writes it). An
// unknown version or field is an error, never ignored.
//
// This package is pure: it must not import a registry client, Helm or
// Kubernetes packages, so the fast helm-airgap binary can read a lock on
// every rewrite without network access.
package lock
