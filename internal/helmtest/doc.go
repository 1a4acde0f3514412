// Package helmtest runs the real Helm 3 and Helm 4 binaries (built from
// go.mod's tool dependencies by internal/testtool) in isolated homes, with
// helm-airgap installed as plugins from a copy of the checkout layout, and
// runs commands under a pseudo-terminal so that a test can read what a user
// would see on their terminal.
//
// Nothing touches the user's Helm: every run gets its own HELM_CONFIG_HOME,
// HELM_DATA_HOME, HELM_CACHE_HOME and KUBECONFIG. Only tests import this
// package.
package helmtest
