// Package testproc runs the long-lived child processes tests start (etcd,
// kube-apiserver, argocd-cmp-server) so that none outlives its test
// binary: each is started and waited for on one locked OS thread with
// Linux's parent-death signal, which kills it when the test process dies
// before its cleanup ran (a panic, a timeout, ^C), and is stopped with
// SIGTERM, then SIGKILL after a grace period.
//
// Only tests and test helpers import this package; it must not import the
// project's production packages.
package testproc
