package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/plexicus/helm-airgap/rewrite"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
)

// Helm 3's Install creates what the chart's crds/ directories hold (its
// subcharts' too) straight from the chart files, before it renders
// anything and without the post-renderer (Install.installCRDs); Helm does
// not check that a file there holds only CRDs. So those files are
// rewritten in the loaded chart before the action runs, and a public
// reference in one fails the install before Helm creates anything.
// template prints them only with --include-crds, and then through the
// post-renderer; upgrade never installs them (upgrade --install does, as
// an install).

// installChart runs an install with rw: the chart's CRD files first, then
// the action, then the verdict on the hooks of a release that was not
// stored (dry runs; see hooks.go).
func installChart(ctx context.Context, client *action.Install, rw *rewriter, ch *chart.Chart, vals map[string]any) (*release.Release, error) {
	if !client.SkipCRDs {
		if err := rw.rewriteCRDs(ch); err != nil {
			return nil, err
		}
	}
	rel, err := client.RunWithContext(ctx, ch, vals)
	if err == nil {
		err = rw.finish(rel)
	}
	return rel, err
}

// rewriteCRDs rewrites every file of the chart's crds/ directories in
// place, subcharts included (a disabled subchart's too: which ones Helm
// drops is decided inside the action, and rewriting a file Helm then
// skips changes nothing). Any offender fails it, with every offender of
// every file.
func (r *rewriter) rewriteCRDs(ch *chart.Chart) error {
	offenders := len(r.offenders)
	rewritten := map[*chart.File][]byte{}
	refs := 0
	for _, crd := range ch.CRDObjects() {
		if _, done := rewritten[crd.File]; done || len(bytes.TrimSpace(crd.File.Data)) == 0 {
			continue
		}
		out := new(bytes.Buffer)
		report, err := rewrite.Run(bytes.NewReader(crd.File.Data), out, r.opts)
		var policy *rewrite.PolicyError
		if errors.As(err, &policy) {
			r.offenders = append(r.offenders, policy.Report.Offenders...)
			continue
		}
		if err != nil {
			return fmt.Errorf("rewriting %q, which Helm installs as it is (a file of a crds/ directory): %w", crd.Filename, err)
		}
		rewritten[crd.File] = out.Bytes()
		refs += report.Rewritten
		r.ignored = append(r.ignored, report.Ignored...)
	}
	if len(r.offenders) > offenders {
		return r.verdict()
	}
	for file, data := range rewritten {
		file.Data = data
	}
	r.crdRefs += refs
	return nil
}
