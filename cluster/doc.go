// Package cluster reads the images a live cluster runs back into
// helm-airgap's terms: every Pod and every workload pod template
// (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) in the
// chosen namespaces, written as one manifest stream so that the rewrite
// engine finds their images exactly as it does in a rendered release (and
// the plan and check reports are the ones the manifests get), and each
// object classed as rendered (the release made it), runtime (something
// created it at run time: an operator's pods) or node (static and mirror
// pods, kube-system's daemons).
//
// It uses client-go and must not be imported by the fast helm-airgap
// binary; only the helm-airgap-cluster companion imports it.
package cluster
