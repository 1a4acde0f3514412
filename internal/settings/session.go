package settings

import (
	"fmt"
	"io"
	"sync"

	"github.com/plexicus/helm-airgap/egress"
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/mapper"
)

// argoAllowEmptyHint says how an Application may render nothing.
const argoAllowEmptyHint = "set the plugin env " + argoAllowEmptyEV + "=true if this application is meant to render nothing"

// Session is one run of a policy over one or more streams: one stream for
// rewrite and check, one per file for --output-dir/--in-place, the manifests and then
// each hook for helm-airgap-helm, one per item for the KRM function. One
// egress audit and one collision tracker span every stream of the run.
type Session struct {
	policy  *Policy
	stdout  io.Writer // the JSON egress report of check
	stderr  io.Writer
	auditor *egress.Auditor

	mu         sync.Mutex
	collisions mapper.Collisions
	egressDone bool
	egressErr  error
	images     *rewrite.Report // the image check's report, for check --output json
}

// Start begins a run: it prints the policy's warnings on stderr.
func (p *Policy) Start(stdout, stderr io.Writer) *Session {
	messages := cli.Messages(stderr)
	for _, w := range p.Warnings {
		messages.Warnf("%s", w)
	}
	s := &Session{policy: p, stdout: stdout, stderr: stderr}
	if p.egress != nil {
		s.auditor, _ = egress.New(*p.egress) // validated by Load
	}
	return s
}

// Options are the engine options for one stream of the run: the config's
// (EngineOptions), the document limit, check-only, the egress audit, and
// collision tracking across the run. An entry point may add OnImage or
// Release; it must keep the ones set here (chain them).
func (s *Session) Options() rewrite.Options {
	p := s.policy
	opts := EngineOptions(p.Config, p.Mapper)
	opts.Lock = p.Lock
	opts.MaxDocumentSize = p.maxDocumentSize
	opts.CheckOnly = p.checkOnly
	if p.checkOnly {
		opts.Passes = nil // nothing is written, so nothing to rewrite
	}
	if s.auditor != nil {
		opts.Passes = append(opts.Passes, s.auditor.Pass())
	}
	opts.Observe(rewrite.Observer{Image: func(o rewrite.Occurrence) {
		s.mu.Lock()
		s.collisions.Add(o.Mapping)
		s.mu.Unlock()
	}})
	return opts
}

// StreamOptions are Options for a run of one stream, observed by the whole
// run's verdict (Verdict), taken before anything is written.
func (s *Session) StreamOptions() rewrite.Options {
	opts := s.Options()
	opts.Observe(rewrite.Observer{Release: s.Verdict})
	return opts
}

// Collisions are the destination collisions across every stream so far.
func (s *Session) Collisions() []mapper.Collision {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.collisions.List()
}

// Verdict is the whole run's verdict beyond images, once every stream has
// passed: the egress audit (its report printed, a strict audit with
// findings failing), then, under Argo CD, refusing an output with no
// object. report is the stream's engine report (nil for several streams).
func (s *Session) Verdict(report *rewrite.Report) error {
	s.Images(report)
	if err := s.Egress(); err != nil {
		return err
	}
	return s.argoEmpty(report)
}

// Images records the image check's report (offenders, collisions) for
// the JSON report of check --output json, which Egress writes: a caller
// that saw the images fail records their report before calling Egress.
func (s *Session) Images(report *rewrite.Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if report != nil {
		s.images = report
	}
}

// Egress prints the audit's report, once (text on stderr, or JSON on
// stdout for check --output json), and returns the strict audit's verdict;
// nil when no audit runs. After an image failure it is called only to
// print the report for the record.
func (s *Session) Egress() error {
	if s.auditor == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.egressDone {
		return s.egressErr
	}
	s.egressDone = true
	report := s.auditor.Report()
	if s.policy.egressJSON {
		if err := writeCheckJSON(s.stdout, report, s.images, s.policy.Mapper); err != nil {
			s.egressErr = fmt.Errorf("writing the egress report: %w", err)
			return s.egressErr
		}
	} else {
		report.WriteText(s.stderr, false)
	}
	if !report.Failed {
		return nil
	}
	err := &egress.PolicyError{Report: report}
	if s.policy.egressJSON {
		fmt.Fprintf(s.stderr, "helm-airgap: %v\n", err)
	}
	s.egressErr = cli.Reported(err)
	return s.egressErr
}

// argoEmpty refuses, under Argo CD, an output with no object. Argo CD syncs
// whatever a plugin prints, and with auto-prune an output with no objects
// deletes every resource of the application; so it is an error (exit 2,
// nothing written) unless the application says it may render nothing.
func (s *Session) argoEmpty(report *rewrite.Report) error {
	a := s.policy.ArgoCD
	if report == nil || s.policy.checkOnly || !a.underArgoCD || a.allowEmpty || report.Objects > 0 {
		return nil
	}
	return cli.Usagef("refusing to print a manifest with no Kubernetes objects: Argo CD would sync it as an empty application and, with auto-prune, delete every resource (%s)", argoAllowEmptyHint)
}

// Policy is the policy the session runs.
func (s *Session) Policy() *Policy { return s.policy }
