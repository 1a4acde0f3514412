// Package cli is the exit-code, error and message plumbing every
// helm-airgap binary shares: the exit codes, the error marks that choose
// them (usage, policy, already reported, interrupted), running a cobra root
// command, the one reporter every message to stderr goes through (levels
// error, warn, info, debug; -q and -v choose which are shown), and what a
// signal does (remove temporary files, say what was left as it was, exit
// 128+signal).
//
// It is a leaf: it must import nothing of this project (domain errors say
// their exit code through an ExitCode() int method instead) and nothing
// heavier than cobra (and levenshtein, for "did you mean"), because the fast
// binary imports it.
package cli
