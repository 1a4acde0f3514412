package main

import (
	"errors"

	"github.com/plexicus/helm-airgap/inputs"
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/plan"
)

// fluxRelease passes --release-name to helm template (as --name-template,
// which takes a plain name too) when images renders a chart. Flux's patches
// target objects by name, and a chart names them after the release: rendered
// as Helm's default "release-name", the patches would match nothing in the
// cluster, so -o flux from a chart needs the name Flux uses
// (spec.releaseName, else [spec.targetNamespace-]metadata.name; the
// namespace goes to helm as -n, as for any chart).
func fluxRelease(args []string, format plan.Format, name string) ([]string, error) {
	chart := len(args) > 0 && inputs.IsChart(args[0])
	switch {
	case !chart && name != "":
		return nil, cli.Usage(errors.New("--release-name names the release of a chart: give a chart as the first argument (rendered manifests already carry their names)"))
	case !chart:
		return args, nil
	case name == "" && format == plan.Flux:
		return nil, cli.Usage(errors.New("-o flux from a chart needs --release-name: the release name Flux gives it (spec.releaseName, else [spec.targetNamespace-]metadata.name of the HelmRelease), and -n with its namespace; docs/flux.md"))
	case name == "":
		return args, nil
	}
	out := append([]string{args[0], "--name-template", name}, args[1:]...)
	return out, nil
}
