// Command helm-airgap-registry is the companion binary that serves
// `helm-airgap mirror` and `helm-airgap verify`: everything that talks to a
// registry. The fast helm-airgap binary execs it with the subcommand name as
// the first argument, so that the rewrite Helm runs at every install never
// links a registry client.
//
// It reads the same inputs and config as `helm-airgap images` (manifests, a
// chart rendered by helm template, or a plan written by images) and uses the
// mirror package to copy, archive, push and verify.
//
// Exit codes: 0 success, 1 an image failed to copy or is missing, 2 usage,
// config or input error.
package main
