// Package admission turns the rules of an airgap.yaml into admission
// policies that enforce them in the cluster: a Kubernetes
// ValidatingAdmissionPolicy and its binding (CEL, run by the API server
// itself), or a Kyverno ClusterPolicy with the same CEL. A Pod (containers,
// init and ephemeral containers, image volumes; the ephemeralcontainers
// subresource too) or a workload's pod template whose image is not on an
// internal registry is refused, with a message naming the container, the
// image and the rule that would have mapped it.
//
// The CEL compares registries exactly as package mapper does: an image
// is normalized as the runtime pulls it (no registry means docker.io, a
// one-component Docker Hub path gains library/, index.docker.io is
// docker.io) and is internal when its registry host is (mapper.Mapper's
// InternalRegistries); rules are tried longest source first at path
// component boundaries (CompiledRules).
//
// It builds Kubernetes API types (k8s.io/api) and must not be imported by
// the fast helm-airgap binary; only the helm-airgap-cluster companion
// imports it. It talks to no cluster.
package admission
