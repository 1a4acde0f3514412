// Package cli is the exit-code and error plumbing every helm-airgap binary
// shares: the exit codes, the error marks that choose them (usage, policy,
// already reported, interrupted), running a cobra root command, and what a
// signal does (remove temporary files, say what was left as it was, exit
// 128+signal).
//
// It must stay light: the fast binary imports it. It may import rewrite and
// egress (for their policy errors) and cobra, nothing heavier.
package cli
