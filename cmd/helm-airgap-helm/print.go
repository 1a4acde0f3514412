package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/release"
)

// printRelease prints an installed or upgraded release as helm's default
// table output does, with hooks and manifests for a dry run.
func printRelease(out io.Writer, rel *release.Release, hideNotes bool) {
	if rel == nil {
		return
	}
	fmt.Fprintf(out, "NAME: %s\n", rel.Name)
	if !rel.Info.LastDeployed.IsZero() {
		fmt.Fprintf(out, "LAST DEPLOYED: %s\n", rel.Info.LastDeployed.Format(time.ANSIC))
	}
	fmt.Fprintf(out, "NAMESPACE: %s\n", rel.Namespace)
	fmt.Fprintf(out, "STATUS: %s\n", rel.Info.Status.String())
	fmt.Fprintf(out, "REVISION: %d\n", rel.Version)
	tests := 0
	for _, h := range rel.Hooks {
		if isTestHook(h) && !h.LastRun.StartedAt.IsZero() {
			tests++
			fmt.Fprintf(out, "TEST SUITE:     %s\nLast Started:   %s\nLast Completed: %s\nPhase:          %s\n",
				h.Name, h.LastRun.StartedAt.Format(time.ANSIC), h.LastRun.CompletedAt.Format(time.ANSIC), h.LastRun.Phase)
		}
	}
	if tests == 0 {
		fmt.Fprintln(out, "TEST SUITE: None")
	}
	if strings.EqualFold(rel.Info.Description, "Dry run complete") {
		fmt.Fprintln(out, "HOOKS:")
		for _, h := range rel.Hooks {
			fmt.Fprintf(out, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
		}
		fmt.Fprintf(out, "MANIFEST:\n%s\n", rel.Manifest)
	}
	if !hideNotes && len(rel.Info.Notes) > 0 {
		fmt.Fprintf(out, "NOTES:\n%s\n", strings.TrimSpace(rel.Info.Notes))
	}
}
