// Command helm-airgap rewrites every image reference in rendered Kubernetes
// manifests to an internal mirror, adds imagePullSecrets, and fails closed
// when a reference would still be pulled from a public registry.
//
// This package is the thin command-line layer: flags, environment, inputs
// and exit codes. The rules package owns the config and the mapping; the
// rewrite package owns reading and changing manifests. Each subcommand lives
// in its own file.
//
// Exit codes: 0 success, 1 policy failure (a public reference, a
// destination collision), 2 usage, config or input error. On any non-zero
// exit nothing is written to stdout.
package main
