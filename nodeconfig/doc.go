// Package nodeconfig turns helm-airgap's rules into each container runtime's
// own mirror configuration, so that a pull of an image's public name on a
// node is served by the mirror the rules send it to: containerd's
// certs.d/<host>/hosts.toml, a CRI-O/Podman registries.conf.d drop-in, a
// k3s/RKE2 registries.yaml, and OpenShift's ImageDigestMirrorSet and
// ImageTagMirrorSet. One file per runtime format.
//
// A rule a format cannot express (containerd maps a whole registry host to
// one mirror prefix and cannot rename a repository path; k3s sends a host to
// one endpoint) is refused with an error naming the rule, its origin in the
// config and the runtime: never a configuration that would quietly send an
// image somewhere the rewrite does not. Credentials never appear in the
// output; the notes say where each runtime reads them.
//
// It imports rules and go.yaml.in/yaml/v3 only: the fast binary links it, so
// no Helm SDK, Kubernetes client, kyaml or registry client, and no TOML
// library (toml.go says why). It never reads or writes files; the nodes
// command does.
package nodeconfig
