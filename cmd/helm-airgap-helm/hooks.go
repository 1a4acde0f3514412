package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/rewrite"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/postrender"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
)

// Where hooks are rewritten.
//
// Helm 3's actions (pkg/action) render a chart in renderResources, which
// splits hooks from the other manifests and passes only the latter to the
// post-renderer; hooks go straight into release.Hooks. Install and Upgrade
// then, without any callback in between, build and create the manifests,
// persist the release (cfg.Releases.Create), and only after that execute
// each hook: execHook reads release.Hooks[i].Manifest and hands it to
// KubeClient.Build and Create.
//
// The seam chosen is that first persist: the release storage driver is
// wrapped so that Create rewrites every hook manifest of the release it is
// given, in place. Because Install and Upgrade store the same *Release they
// go on executing, the hooks that reach the cluster, the release record
// (`helm get hooks`) and any later `helm rollback`, which replays the stored
// hooks, all carry the mirror images; and a hook with an unmapped public
// image fails the action before any hook or resource is applied.
//
// The alternative, a KubeClient whose Build rewrites every manifest, also
// sees every hook, but only at the moment it runs: the release record keeps
// the public images (so a later plain `helm rollback` pulls them), a public
// image in a post-install hook is found after the resources were applied,
// and Helm type-asserts its KubeClient to optional interfaces
// (InterfaceThreeWayMerge without a check), so a wrapper must mimic the
// concrete client.
//
// Dry runs and `template` never persist (Install swaps in a throwaway
// memory store for client-only runs), and never apply hooks either, so the
// hooks of the release they return are rewritten after the action, before
// they are printed. rewriteHooks skips hooks already done, so running it at
// both places is safe.

// rewriter is helm-airgap's engine for one Helm action: the post-renderer
// for manifests, and the hook rewriter. Every offender is reported in one
// round: a public image in the manifests does not stop the action at the
// post-renderer, whose output Helm would only report, but is recorded, the
// manifests passing through unchanged, so that the hooks are checked too;
// verdict then fails the action with every offender of both, before
// anything is applied (Create) or printed (template, dry runs).
type rewriter struct {
	session *settings.Session
	opts    rewrite.Options
	done    map[*release.Hook]bool
	// offenders found so far, in the manifests and in every hook.
	offenders     []rewrite.Occurrence
	hookOffenders int
	// Stats, for the summary line.
	manifestRefs, hookRefs, hooks, crdRefs int
	// ignored are the public references the config's ignore list let
	// through, listed with the summary.
	ignored []rewrite.Occurrence
	// objects counts the Kubernetes objects of manifests and hooks, for the
	// Argo CD check that an application never renders empty.
	objects int
}

var _ postrender.PostRenderer = (*rewriter)(nil)

func newRewriter(session *settings.Session) *rewriter {
	return &rewriter{session: session, opts: session.Options(), done: map[*release.Hook]bool{}}
}

// Run is the post-renderer: Helm 3 calls it with every rendered manifest
// that is not a hook. The engine refuses to turn a non-empty input into an
// empty output, which Helm 3 would accept and deploy nothing.
func (r *rewriter) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	rendered := bytes.Clone(in.Bytes())
	out := new(bytes.Buffer)
	report, err := rewrite.Run(bytes.NewReader(rendered), out, r.opts)
	var policy *rewrite.PolicyError
	if errors.As(err, &policy) {
		// Recorded for verdict; the hooks are still to be checked.
		r.offenders = append(r.offenders, policy.Report.Offenders...)
		return bytes.NewBuffer(rendered), nil
	}
	if err != nil {
		return nil, err
	}
	r.manifestRefs += report.Rewritten
	r.objects += report.Objects
	r.ignored = append(r.ignored, report.Ignored...)
	return out, nil
}

// rewriteHooks rewrites the manifest of every hook of rel not rewritten
// yet, recording the offenders for verdict; it returns the rewritten
// manifests, which finish puts in place only when the verdict passes.
func (r *rewriter) rewriteHooks(rel *release.Release) (map[*release.Hook]string, int, error) {
	rewritten := map[*release.Hook]string{}
	refs := 0
	for _, h := range rel.Hooks {
		if r.done[h] || strings.TrimSpace(h.Manifest) == "" {
			continue
		}
		out := new(bytes.Buffer)
		report, err := rewrite.Run(strings.NewReader(h.Manifest), out, r.opts)
		var policy *rewrite.PolicyError
		if errors.As(err, &policy) {
			r.offenders = append(r.offenders, policy.Report.Offenders...)
			r.hookOffenders += len(policy.Report.Offenders)
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("rewriting hook %q (%q): %w", h.Name, h.Path, err)
		}
		rewritten[h] = out.String()
		refs += report.Rewritten
		r.objects += report.Objects
		r.ignored = append(r.ignored, report.Ignored...)
	}
	return rewritten, refs, nil
}

// finish rewrites rel's hooks and takes the verdict on the whole release;
// no hook is changed unless it passes.
func (r *rewriter) finish(rel *release.Release) error {
	if rel == nil {
		return r.verdict()
	}
	rewritten, refs, err := r.rewriteHooks(rel)
	if err != nil {
		return err
	}
	if err := r.verdict(); err != nil {
		return err
	}
	// Under Argo CD, a release with no object is refused (settings'
	// argoEmpty): only once it is whole, so that a Helm error is never
	// hidden behind it.
	if err := r.session.Verdict(&rewrite.Report{Objects: r.objects}); err != nil {
		return err
	}
	for h, manifest := range rewritten {
		h.Manifest = manifest
		r.done[h] = true
	}
	r.hooks += len(rewritten)
	r.hookRefs += refs
	return nil
}

// verdict is the action's verdict once manifests and hooks were seen:
// every offender and every collision across them, then the egress audit.
func (r *rewriter) verdict() error {
	collisions := r.session.Collisions()
	if len(r.offenders) > 0 || len(collisions) > 0 {
		return &releasePolicyError{
			PolicyError: &rewrite.PolicyError{Report: &rewrite.Report{Offenders: r.offenders, Collisions: collisions}},
			hooks:       r.hookOffenders,
		}
	}
	return r.session.Egress()
}

// releasePolicyError is a policy failure of a release; its message says how
// many offenders are in hooks, since the offender lines name resources,
// not hooks.
type releasePolicyError struct {
	*rewrite.PolicyError
	hooks int
}

func (e *releasePolicyError) Error() string {
	if e.hooks == 0 {
		return e.PolicyError.Error()
	}
	return fmt.Sprintf("%v (%d of them in hooks)", e.PolicyError, e.hooks)
}

func (e *releasePolicyError) Unwrap() error { return e.PolicyError }

// guardHooks puts rw's hook rewriting in front of cfg's release storage.
func guardHooks(cfg *action.Configuration, rw *rewriter) {
	cfg.Releases.Driver = hookRewritingDriver{Driver: cfg.Releases.Driver, rewriter: rw}
}

// hookRewritingDriver is the release storage driver seam described above.
type hookRewritingDriver struct {
	driver.Driver
	rewriter *rewriter
}

// Create rewrites the release's hooks and takes the verdict on the whole
// release, then stores it: nothing of the release is applied before.
func (d hookRewritingDriver) Create(key string, rls *release.Release) error {
	if err := d.rewriter.finish(rls); err != nil {
		return err
	}
	return d.Driver.Create(key, rls)
}
