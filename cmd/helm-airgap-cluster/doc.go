// Command helm-airgap-cluster is the companion binary for what concerns a
// cluster rather than a manifest stream: `helm-airgap policy` (the
// admission policy generated from the rules: a ValidatingAdmissionPolicy
// and its binding, or a Kyverno ClusterPolicy) and `helm-airgap images
// --from-cluster` / `helm-airgap check --from-cluster` (the images of a live
// cluster, read with client-go). The fast helm-airgap binary execs it, so
// the rewrite Helm runs at every install never links client-go or the
// Kubernetes API types.
//
// Exit codes: 0 success, 1 a running image is not on the mirror (check),
// 2 usage, config, input or cluster-access error.
package main
