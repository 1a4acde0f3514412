// Command helm-airgap rewrites every image reference in rendered Kubernetes
// manifests to an internal mirror, adds imagePullSecrets, and fails closed
// when a reference would still be pulled from a public registry.
//
// This package is the thin command-line layer: flags, environment, inputs
// and exit codes. The rules packages own the config (rules/config) and the
// mapping (rules/mapper); the rewrite package owns reading and changing
// manifests. Each subcommand lives
// in its own file.
//
// The policy (config, flags, environment) is assembled by internal/settings
// and the exit codes come from internal/cli, as for every binary: 0
// success, 1 policy failure (a public reference, a destination collision,
// a strict egress finding), 2 usage, config or input error, 128+N stopped
// by signal N. On any non-zero exit nothing is written to stdout.
package main
