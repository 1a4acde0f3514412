package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules"
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
// for manifests, and the hook rewriter.
type rewriter struct {
	opts   rewrite.Options
	mapper *rules.Mapper
	done   map[*release.Hook]bool
	// collisions spans the manifests and every hook: the engine finds two
	// sources landing on one destination within one run, and the hooks
	// are separate runs.
	collisions *rules.Collisions
	// Stats, for the summary line.
	manifestRefs, hookRefs, hooks int
}

var _ postrender.PostRenderer = (*rewriter)(nil)

func newRewriter(mapper *rules.Mapper, opts rewrite.Options) *rewriter {
	r := &rewriter{mapper: mapper, done: map[*release.Hook]bool{}, collisions: &rules.Collisions{}}
	onImage := opts.OnImage
	opts.OnImage = func(o rewrite.Occurrence) {
		r.collisions.Add(o.Mapping)
		if onImage != nil {
			onImage(o)
		}
	}
	r.opts = opts
	return r
}

// Run is the post-renderer: Helm 3 calls it with every rendered manifest
// that is not a hook. The engine refuses to turn a non-empty input into an
// empty output, which Helm 3 would accept and deploy nothing.
func (r *rewriter) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	out := new(bytes.Buffer)
	report, err := rewrite.Run(in, out, r.opts)
	if err != nil {
		return nil, err
	}
	r.manifestRefs += report.Rewritten
	return out, nil
}

// rewriteHooks rewrites the manifest of every hook of rel not rewritten yet.
// On a policy failure no hook is changed and the error names every offender
// of every hook.
func (r *rewriter) rewriteHooks(rel *release.Release) error {
	if rel == nil {
		return nil
	}
	rewritten := map[*release.Hook]string{}
	failed := &rewrite.Report{}
	refs := 0
	for _, h := range rel.Hooks {
		if r.done[h] || strings.TrimSpace(h.Manifest) == "" {
			continue
		}
		out := new(bytes.Buffer)
		report, err := rewrite.Run(strings.NewReader(h.Manifest), out, r.opts)
		var policy *rewrite.PolicyError
		if errors.As(err, &policy) {
			failed.Offenders = append(failed.Offenders, policy.Report.Offenders...)
			failed.Collisions = append(failed.Collisions, policy.Report.Collisions...)
			continue
		}
		if err != nil {
			return fmt.Errorf("rewriting hook %s (%s): %w", h.Name, h.Path, err)
		}
		rewritten[h] = out.String()
		refs += report.Rewritten
	}
	if len(failed.Collisions) == 0 {
		failed.Collisions = r.collisions.List()
	}
	if len(failed.Offenders) > 0 || len(failed.Collisions) > 0 {
		return &hookPolicyError{PolicyError: &rewrite.PolicyError{Report: failed}}
	}
	for h, manifest := range rewritten {
		h.Manifest = manifest
		r.done[h] = true
	}
	r.hooks += len(rewritten)
	r.hookRefs += refs
	return nil
}

// hookPolicyError is a policy failure found in hooks; its message says so,
// since the offender lines name resources, not hooks.
type hookPolicyError struct{ *rewrite.PolicyError }

func (e *hookPolicyError) Error() string { return "hooks: " + e.PolicyError.Error() }
func (e *hookPolicyError) Unwrap() error { return e.PolicyError }

// guardHooks puts rw's hook rewriting in front of cfg's release storage.
func guardHooks(cfg *action.Configuration, rw *rewriter) {
	cfg.Releases.Driver = hookRewritingDriver{Driver: cfg.Releases.Driver, rewriter: rw}
}

// hookRewritingDriver is the release storage driver seam described above.
type hookRewritingDriver struct {
	driver.Driver
	rewriter *rewriter
}

// Create rewrites the release's hooks, then stores it.
func (d hookRewritingDriver) Create(key string, rls *release.Release) error {
	if err := d.rewriter.rewriteHooks(rls); err != nil {
		return err
	}
	return d.Driver.Create(key, rls)
}
