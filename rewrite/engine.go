package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"

	"github.com/plexicus/helm-airgap/lock"
	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/detect"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
)

// Options configure a run.
type Options struct {
	// Mapper decides where each reference goes and what is internal.
	Mapper *mapper.Mapper
	// Catalogue is the operator catalogue: custom-resource image fields,
	// pull-secret fields and placeholders (config.Config.Catalogue). When nil,
	// the built-in catalogue with ImageFields is used.
	Catalogue *detect.Catalogue
	// ImageFields are extra custom-resource image fields, used when Catalogue
	// is nil.
	ImageFields []detect.ImageField
	// Ignore acknowledges public references left on purpose: they are
	// reported in Report.Ignored instead of failing the run.
	Ignore []config.Ignore
	// Lock, when set, pins every rewritten reference to the digest that was
	// mirrored ("DEST:tag@sha256:..."); a reference the lock does not hold
	// is a policy failure. It is only read: the rewrite stays offline.
	Lock *lock.File
	// CheckOnly reports public references without changing anything and
	// writes no output.
	CheckOnly bool
	// MaxDocumentSize bounds one document (DefaultMaxDocumentSize when 0).
	MaxDocumentSize int
	// Workers is how many documents are processed at once (GOMAXPROCS when 0).
	Workers int
	// SkipImageless copies documents that provably hold no image reference
	// without parsing them (see prefilter.go). The output of a valid stream is
	// the same, about 10% sooner, but such documents are not validated: a
	// malformed one passes through. Off by default: every document is parsed.
	SkipImageless bool
	// Observers are told what the run finds, each in turn (Observe adds one).
	Observers []Observer
	// Passes run on every parsed document after the image rewrite; with
	// Passes set every document is parsed.
	Passes []Pass
	// AdaptMemoryLimit raises the Go runtime's soft memory limit, when one is
	// set, to fit the largest document seen, so that a huge document is
	// processed at full speed instead of under constant garbage collection.
	AdaptMemoryLimit bool
	// MemoryLimit is how much output is held in memory before it moves to a
	// temporary file (16 MiB when 0).
	MemoryLimit int
}

// Observer is told what a run finds. Either function may be nil.
type Observer struct {
	// Image is told every reference found, in stream order.
	Image func(Occurrence)
	// Release is told the report once every document has passed and before
	// anything is written (also with CheckOnly). An error keeps the output
	// unwritten and is returned as it is. It is the seam for verdicts that
	// need the whole stream: a strict egress audit, or refusing an output
	// with no objects where an empty sync would delete an application.
	Release func(*Report) error
}

// Observe adds an observer after the ones already there: a caller adds
// its own without replacing the session's (collisions across streams, the
// run's verdict).
func (o *Options) Observe(obs Observer) { o.Observers = append(o.Observers, obs) }

// image tells every observer of a reference.
func (o *Options) image(oc Occurrence) {
	for _, obs := range o.Observers {
		if obs.Image != nil {
			obs.Image(oc)
		}
	}
}

// release asks every observer for its verdict; the first error wins.
func (o *Options) release(r *Report) error {
	for _, obs := range o.Observers {
		if obs.Release != nil {
			if err := obs.Release(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// Occurrence is one image reference found in the stream.
type Occurrence struct {
	Document   int // 1-based
	Line       int // line of the reference in the stream
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	Container  string
	Field      string
	// Part says what the text is: "" for a whole reference, "repository"
	// (its tag is elsewhere), "prefix" (joined with image names at run time)
	// or "registry+repository".
	Part    string
	Mapping mapper.Mapping
	// Refused says why a reference cannot be rewritten exactly; it fails the
	// run like an unmapped one.
	Refused string
}

// Resource names the object as "Kind namespace/name".
func (o Occurrence) Resource() string {
	return resource{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}.String()
}

// Image is the reference as it ends up in the output.
func (o Occurrence) Image() string { return o.Mapping.Dest }

// Report is what a run found and did.
type Report struct {
	Documents   int
	References  int // image references found
	Rewritten   int // references changed
	PodSpecs    int // pod specs given pull secrets
	ReEncoded   int // documents whose edits could not be spliced and were re-encoded
	Parsed      int // documents parsed; the others provably held no image and were copied
	Objects     int // documents that hold an object (not only comments or white space)
	Offenders   []Occurrence
	Ignored     []Occurrence // public references acknowledged by the config's ignore list
	Warnings    []string     // accepted oddities of the input (a key repeated with the same value)
	Collisions  []mapper.Collision
	InputBytes  int64
	OutputBytes int64
}

// PolicyError is a run whose output would still pull from a public registry
// or map two sources onto one destination. The CLI exits 1 on it.
type PolicyError struct{ Report *Report }

// ExitCode is 1, the CLI's code for a policy failure.
func (e *PolicyError) ExitCode() int { return 1 }

func (e *PolicyError) Error() string {
	var parts []string
	if n := len(e.Report.Offenders); n > 0 {
		parts = append(parts, fmt.Sprintf("%d image reference(s) not on the mirror or an allowed registry", n))
	}
	if n := len(e.Report.Collisions); n > 0 {
		parts = append(parts, fmt.Sprintf("%d destination collision(s)", n))
	}
	return strings.Join(parts, " and ")
}

// Run rewrites the manifest stream in to out. Nothing is written to out
// unless the whole stream succeeds: an input error returns an *InputError,
// a policy failure a *PolicyError, and out stays empty in both cases.
func Run(in io.Reader, out io.Writer, opts Options) (*Report, error) {
	if opts.Mapper == nil {
		return nil, errors.New("rewrite: no mapper configured")
	}
	held := &spool{limit: opts.MemoryLimit}
	if held.limit <= 0 {
		held.limit = 16 << 20
	}
	defer held.Close()
	counted := &countingReader{r: in}
	report, err := process(counted, held, opts)
	if err != nil {
		return nil, err
	}
	report.InputBytes = counted.n
	if len(report.Offenders) > 0 || len(report.Collisions) > 0 {
		return report, &PolicyError{Report: report}
	}
	if err := opts.release(report); err != nil {
		return report, err
	}
	if opts.CheckOnly {
		return report, nil
	}
	if counted.n > 0 && held.Len() == 0 {
		return nil, errors.New("rewrite: refusing to write an empty stream for a non-empty input")
	}
	n, err := held.WriteTo(out)
	report.OutputBytes = n
	if err != nil {
		return report, fmt.Errorf("writing output: %w", err)
	}
	return report, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// docResult is one processed document.
type docResult struct {
	out         []byte
	occurrences []Occurrence
	offenders   []Occurrence
	ignored     []Occurrence
	warnings    []string
	rewritten   int
	podSpecs    int
	reEncoded   bool
	parsed      bool
	object      bool
	err         error
}

// process runs the documents through the workers and collects their results
// in input order.
func process(in io.Reader, out *spool, opts Options) (*Report, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	catalogue := opts.Catalogue
	if catalogue == nil {
		catalogue = detect.NewCatalogue(detect.BuiltinOperators(), opts.ImageFields)
	}
	p := &processor{opts: opts, catalogue: catalogue, triggers: triggers(catalogue.AllImageFields())}
	pl := p.start(in, workers)
	report := &Report{}
	var collisions mapper.Collisions
	var firstErr error
	for res := range pl.order {
		r := <-res
		if firstErr != nil {
			continue
		}
		if r.err == nil {
			report.add(r, &collisions, &opts)
			if !opts.CheckOnly {
				r.err = out.add(r.out)
			}
		}
		if r.err != nil {
			firstErr = r.err
			close(pl.stop)
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	select {
	case err := <-pl.readErr:
		return nil, err
	default:
	}
	report.Collisions = collisions.List()
	return report, nil
}

// pipeline carries the documents of one run: results come back through
// order in input order; closing stop ends the reading early.
type pipeline struct {
	order   chan chan docResult
	stop    chan struct{}
	readErr chan error
}

// job is one document and where its result goes.
type job struct {
	c   chunk
	res chan docResult
}

// start reads the stream into documents and has workers process them.
func (p *processor) start(in io.Reader, workers int) *pipeline {
	pl := &pipeline{order: make(chan chan docResult, 32*workers), stop: make(chan struct{}), readErr: make(chan error, 1)}
	jobs := make(chan job, 32*workers)
	go pl.feed(newSplitter(in, p.opts.MaxDocumentSize), jobs, p.opts.AdaptMemoryLimit)
	for i := 0; i < workers; i++ {
		go func() {
			for j := range jobs {
				j.res <- p.document(j.c)
			}
		}()
	}
	return pl
}

// feed splits the stream, queueing each document's result slot in order
// before its job, until the end, an error or a stop.
func (pl *pipeline) feed(split *splitter, jobs chan<- job, adaptMemory bool) {
	defer close(jobs)
	defer close(pl.order)
	largest := 0
	for {
		c, err := split.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				pl.readErr <- &InputError{Err: err}
			}
			return
		}
		if adaptMemory && len(c.data) > largest {
			largest = len(c.data) // only a new largest document can need a higher limit
			fitMemoryLimit(largest)
		}
		res := make(chan docResult, 1)
		select {
		case pl.order <- res:
		case <-pl.stop:
			return
		}
		jobs <- job{c, res}
	}
}

// add counts one document's result into the report and tells the
// observers of its references.
func (report *Report) add(r docResult, collisions *mapper.Collisions, opts *Options) {
	report.Documents++
	if opts.AdaptMemoryLimit && report.Documents%256 == 0 {
		fitRetained()
	}
	report.References += len(r.occurrences)
	report.Rewritten += r.rewritten
	report.PodSpecs += r.podSpecs
	if r.reEncoded {
		report.ReEncoded++
	}
	if r.parsed {
		report.Parsed++
	}
	if r.object {
		report.Objects++
	}
	report.Offenders = append(report.Offenders, r.offenders...)
	report.Ignored = append(report.Ignored, r.ignored...)
	report.Warnings = append(report.Warnings, r.warnings...)
	for _, o := range r.occurrences {
		collisions.Add(o.Mapping)
		opts.image(o)
	}
}

// parseOverhead is about how many bytes of heap parsing one byte of YAML
// takes (nodes, tokens, strings), with room for the documents in flight.
const parseOverhead = 24

// fitMemoryLimit raises a soft memory limit that is set (not the default
// "none") to fit a document of size bytes.
func fitMemoryLimit(size int) {
	current := debug.SetMemoryLimit(-1)
	if current == math.MaxInt64 {
		return
	}
	if want := int64(size)*parseOverhead + 32<<20; want > current {
		debug.SetMemoryLimit(want)
	}
}

// fitRetained raises a soft memory limit that what a run keeps (the output
// held in memory, the collision table of every destination) has grown
// close to: under a limit the live heap nearly fills, the collector runs
// after every few documents and a stream with a new reference in every
// document slows down quadratically. The limit then grows with the live
// heap: once it holds 60% of the limit, the limit becomes 4x the live heap
// (the fast binary's GOGC=400 rhythm), so collections stay in proportion to
// the work, while a typical stream keeps the 40 MiB limit.
func fitRetained() {
	current := debug.SetMemoryLimit(-1)
	if current == math.MaxInt64 {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	if live := int64(sample[0].Value.Uint64()); live > current*3/5 {
		debug.SetMemoryLimit(4 * live)
	}
}

// processor turns one chunk into its output.
type processor struct {
	opts      Options
	catalogue *detect.Catalogue
	names     nameRoles
	triggers  [][]byte
}

// triggers are the byte strings without which a document cannot hold an
// image reference: an image-named key or flag in either case, a slash (every
// explicit registry has one), repository, registry and hub names of
// composites, a Secret's base64 data, the backslash that could spell any
// of them in an escaped double-quoted string, and the "!" of a tag (a
// "!!binary" value or key is base64 that can spell anything).
func triggers(fields []detect.ImageField) [][]byte {
	t := [][]byte{[]byte("mage"), []byte("MAGE"), []byte("/"), []byte("ontainers"), []byte("Secret"),
		[]byte("epo"), []byte("EPO"), []byte("egistry"), []byte("EGISTRY"), []byte("hub"), []byte("HUB"), []byte(`\`), []byte("!")}
	for _, f := range fields {
		steps, err := detect.ParseFieldPath(f.Path)
		if err == nil {
			t = append(t, []byte(steps[len(steps)-1].Key))
		}
	}
	return t
}

// document rewrites one chunk.
func (p *processor) document(c chunk) docResult {
	if p.opts.SkipImageless && len(p.opts.Passes) == 0 && !p.mayHoldImages(c.data) && !bytes.Contains(c.data, []byte("items")) {
		return docResult{out: c.data, object: hasContent(c.data)}
	}
	d, err := parse(c)
	if err != nil {
		return docResult{err: err}
	}
	if d.root == nil {
		return docResult{out: c.data, parsed: true}
	}
	f := newWalker(d, p.catalogue, &p.names)
	if err := f.find(); err != nil {
		return docResult{err: err}
	}
	if err := d.checkKubernetes(); err != nil {
		return docResult{err: err}
	}
	r := docResult{parsed: true, object: !emptyList(d.root), warnings: f.warnings}
	patch := &patch{splicer: splicer{data: c.data}}
	edits := &spanEdits{}
	for _, s := range f.sites {
		mapping, err := p.mapSite(s)
		if err != nil && s.strict {
			return docResult{err: inputErrorf("%s: %s: %s: %w", c.where(), s.res, s.describe(), err)}
		}
		if err != nil {
			s.refuse = err.Error()
			mapping = mapper.Mapping{Source: reference.Ref{Written: s.value}, Dest: s.value, Status: mapper.Unmapped}
		}
		if err == nil && p.opts.Lock != nil && s.refuse == "" {
			mapping, s.refuse = pin(p.opts.Lock, s, mapping)
		}
		o := occurrence(d, s, mapping)
		refused := s.refuse != "" && mapping.Status != mapper.Internal
		public := mapping.Status == mapper.Unmapped || refused || (p.opts.CheckOnly && mapping.Status != mapper.Internal)
		if public && p.ignored(o) {
			r.ignored = append(r.ignored, o)
			continue
		}
		r.occurrences = append(r.occurrences, o)
		if public {
			r.offenders = append(r.offenders, o)
		}
		if p.opts.CheckOnly || mapping.Status != mapper.Rewritten || refused {
			continue
		}
		if edits.add(s, mapping) {
			r.rewritten++
		}
	}
	edits.apply(patch)
	if !p.opts.CheckOnly {
		r.podSpecs = patch.pullSecrets(f.pods, p.opts.Mapper.PullSecrets())
	}
	for _, pass := range p.opts.Passes {
		if err := pass(&Document{Index: c.index, Line: c.line, Root: d.root}, &Edit{patch: patch}); err != nil {
			return docResult{err: &InputError{Err: fmt.Errorf("%s: %w", c.where(), err)}}
		}
	}
	r.out, r.reEncoded, r.err = patch.output(d)
	return r
}

func occurrence(d *document, s site, m mapper.Mapping) Occurrence {
	return Occurrence{
		Document: d.index + 1, Line: d.streamLine(s.node.Line),
		APIVersion: s.res.APIVersion, Kind: s.res.Kind, Namespace: s.res.Namespace, Name: s.res.Name,
		Container: s.container, Field: s.field, Part: s.kind.String(), Mapping: m, Refused: s.refuse,
	}
}

// mapSite resolves a site through the mapper as what it is.
func (p *processor) mapSite(s site) (mapper.Mapping, error) {
	if s.kind == sitePrefix {
		return p.opts.Mapper.MapPrefix(s.value)
	}
	return p.opts.Mapper.Map(s.value)
}

// pin writes a rewritten reference as the lock recorded it. Composite parts
// (a repository, a prefix) name no single image and stay as mapped;
// internal references are never in a lock.
func pin(l *lock.File, s site, m mapper.Mapping) (mapper.Mapping, string) {
	if m.Status != mapper.Rewritten || s.kind != siteImage {
		return m, ""
	}
	pinned, err := l.Pin(m.Source.Written, m.Dest)
	if errors.Is(err, lock.ErrNotLocked) {
		return m, notLocked
	}
	if err != nil {
		return m, err.Error()
	}
	m.Dest = pinned
	return m, ""
}

// ignored reports whether the config acknowledges a public reference.
func (p *processor) ignored(o Occurrence) bool {
	for _, ig := range p.opts.Ignore {
		if ig.Matches(o.Kind, o.Namespace, o.Name, o.Field, o.Mapping.Source.Written) {
			return true
		}
	}
	return false
}

func (k siteKind) String() string {
	switch k {
	case siteRepository:
		return "repository"
	case sitePrefix:
		return "prefix"
	case sitePair:
		return "registry+repository"
	}
	return ""
}

func (s site) describe() string {
	if s.container == "" {
		return s.field
	}
	return fmt.Sprintf("container %s (%s)", s.container, s.field)
}

// hasContent reports whether an unparsed document holds anything besides
// blank lines, comments and its marker.
func hasContent(data []byte) bool {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if isMarker(line) {
			line = line[3:]
		}
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' {
			return true
		}
	}
	return false
}
