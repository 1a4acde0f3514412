// Package inputs turns command-line arguments into a manifest stream: files,
// directories of manifests and stdin concatenated into one YAML stream
// (Expand, NewReader), or a chart rendered by `helm template` when the first
// argument names a chart (IsChart, SplitArgs, HelmTemplate).
//
// The fast binary and its companions share it so that every command reads
// its inputs the same way. It must stay light: no Helm SDK, no registry
// client, only the standard library, pflag and the helm executable.
package inputs
