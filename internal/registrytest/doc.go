// Package registrytest runs OCI registries for tests and seeds them with
// random single- and multi-arch images, signatures, referrers and a Helm
// chart artifact. Every registry records the requests it served (so a test
// can prove a re-run wrote nothing).
//
// Two kinds, one Registry type:
//
//   - NewDistribution starts the CNCF distribution registry v3 (what many
//     users run, and what Harbor is built on), built from the pinned
//     tools/registry module by internal/testtool, on loopback with TLS (a
//     certificate of a throwaway CA made by the test process: CAFile for
//     SSL_CERT_FILE, Transport for clients in the test process) and
//     htpasswd auth (DockerConfig and Login write its user where crane,
//     Helm and helm-airgap read credentials). Requests come from its access
//     log. It has no OCI referrers API, so clients use the "sha256-<hex>"
//     tag fallback against it. The mirror, archive, verify, lock, signature
//     and tag-fallback referrer tests run on it.
//
//   - New starts go-containerregistry's in-memory pkg/registry behind
//     httptest (plain HTTP, no auth), kept for what a real server cannot be
//     made to do on demand: Fault answers chosen requests with 401s and 500s
//     or holds them (retry, give-up and interrupt tests), and
//     WithReferrersAPI serves the OCI 1.1 referrers API, which distribution
//     v3 does not. The chart tests stay on it too: the real Helm pulls from
//     it with --plain-http.
//
// Only tests (and the tagged mirror benchmark, bench/mirror) import this
// package; nothing here reaches the internet.
package registrytest
