package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/plexicus/helm-airgap/inputs"
	"github.com/plexicus/helm-airgap/internal/atomicfile"
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/spf13/cobra"
)

// fileOutput is rewrite's file mode: --output-dir DIR writes one output file per input
// file, --in-place replaces each input file.
//
// Either way it is all or nothing. Every file is rewritten into a temporary
// file on the destination's file system first; only when every file has
// passed (no input error, no public reference, no collision across files)
// are the temporary files renamed into place. On failure they are removed
// and no input or output file is touched. Each file about to be replaced is
// first kept under a second name (a hard link), so that when one rename
// fails the files already renamed get their originals back. Temporary files
// carry the run's process id; a later run removes those of runs no longer
// alive (killed between staging and commit).
type fileOutput struct {
	outDir  string
	inPlace bool
}

func (f *fileOutput) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.outDir, "output-dir", "", "write one rewritten file per input file under `DIR`, in the same relative layout, instead of stdout")
	cmd.Flags().BoolVar(&f.inPlace, "in-place", false, "rewrite the input files in place (atomically; on any failure no file is changed)")
	cmd.MarkFlagsMutuallyExclusive("output-dir", "in-place")
}

func (f *fileOutput) enabled() bool { return f.outDir != "" || f.inPlace }

// fileJob is one input file and where its output goes.
type fileJob struct {
	src    string           // the input as named on the command line or found in a directory
	rel    string           // path under the output directory (-o)
	dest   string           // final output path
	mode   fs.FileMode      // the input's permissions, given to the output
	owner  fileOwner        // --in-place: the input's owner, kept
	out    *atomicfile.File // the staged output, until committed
	backup string           // during commit: the file dest held before, kept until every rename succeeded
}

// runFiles rewrites every input file into its own output file.
func runFiles(cmd *cobra.Command, o *options, f *fileOutput, args []string) error {
	if err := f.checkArgs(args); err != nil {
		return err
	}
	session, err := o.load(cmd, false)
	if err != nil {
		return err
	}
	m := session.Policy().Mapper
	stderr := cmd.ErrOrStderr()
	messages := cli.Messages(stderr)
	jobs, err := f.jobs(args, messages)
	if err != nil {
		return cli.Usage(err)
	}
	stage, unlock, err := f.prepare(jobs, messages)
	if err != nil {
		return err
	}
	defer unlock()
	committed := false
	defer func() {
		if !committed {
			stage.abort(jobs)
		}
	}()
	// A signal before the renames removes the temporary outputs; the inputs
	// are untouched until then. (During the renames the kept originals stay.)
	defer cli.OnInterrupt(stage.removeTemporaries)()

	opts := o.tune(session.Options()) // one egress audit and collision tracker across the files
	run := stage.rewriteAll(jobs, opts, stderr, m)
	if err := run.verdict(session, stderr, m); err != nil {
		fmt.Fprintf(stderr, "helm-airgap: no file was written or changed (%d of %d failed)\n", run.failed, len(jobs))
		if run.policyErr != nil && noConfig(session.Policy().Config) {
			messages.Errorf("%s", noConfigHint)
		}
		return cli.Reported(err)
	}
	if err := stage.commit(jobs); err != nil {
		return err
	}
	committed = true
	messages.Debugf("%d file(s), %d document(s), %d image reference(s), %d rewritten, %d pod spec(s) given pull secrets; no public references",
		len(jobs), run.total.Documents, run.total.References, run.total.Rewritten, run.total.PodSpecs)
	return nil
}

// filesRun is what rewriting every file found: the totals of the files that
// passed, the first input error and the first policy failure.
type filesRun struct {
	total               rewrite.Report
	inputErr, policyErr error
	failed              int
}

// rewriteAll rewrites every job into its staged output, naming each
// failing file and its offenders on stderr.
func (s *stage) rewriteAll(jobs []fileJob, opts rewrite.Options, stderr io.Writer, m *mapper.Mapper) *filesRun {
	run := &filesRun{}
	for i := range jobs {
		job := &jobs[i]
		report, err := s.rewrite(job, i, opts)
		var policy *rewrite.PolicyError
		switch {
		case errors.As(err, &policy):
			run.failed++
			if len(policy.Report.Offenders) > 0 {
				fmt.Fprintf(stderr, "helm-airgap: %s:\n", cli.Name(job.src))
				rewrite.WriteReport(stderr, &rewrite.Report{Offenders: policy.Report.Offenders}, m)
			}
			if run.policyErr == nil {
				run.policyErr = err
			}
		case err != nil:
			run.failed++
			fmt.Fprintf(stderr, "helm-airgap: %s: %v\n", cli.Name(job.src), err)
			if run.inputErr == nil {
				run.inputErr = err
			}
		default:
			if len(report.Ignored) > 0 {
				fmt.Fprintf(stderr, "helm-airgap: %s:\n", cli.Name(job.src))
				rewrite.WriteNotes(stderr, &rewrite.Report{Ignored: report.Ignored})
			}
			run.total.Documents += report.Documents
			run.total.References += report.References
			run.total.Rewritten += report.Rewritten
			run.total.PodSpecs += report.PodSpecs
		}
	}
	return run
}

// verdict is the run's error, if any: an input error first (the more
// basic failure, exit 2), then a policy failure, counting collisions
// across files (two files may send two sources to one destination) and a
// strict egress audit over every file. The egress report is written either
// way, for the record.
func (run *filesRun) verdict(session *settings.Session, stderr io.Writer, m *mapper.Mapper) error {
	if list := session.Collisions(); len(list) > 0 {
		rewrite.WriteReport(stderr, &rewrite.Report{Collisions: list}, m)
		if run.policyErr == nil {
			run.policyErr = &rewrite.PolicyError{Report: &rewrite.Report{Collisions: list}}
		}
	}
	if egress := session.Egress(); run.inputErr == nil && run.policyErr == nil {
		run.policyErr = egress
	}
	if run.inputErr != nil {
		return run.inputErr
	}
	return run.policyErr
}

// checkArgs refuses what file mode cannot rewrite: no argument, or stdin.
func (f *fileOutput) checkArgs(args []string) error {
	flag := "--in-place"
	if f.outDir != "" {
		flag = "--output-dir"
	}
	if len(args) == 0 {
		return cli.Usage(fmt.Errorf("%s needs FILE or DIR arguments; it cannot rewrite stdin", flag))
	}
	for _, arg := range args {
		if arg == "-" {
			return cli.Usage(fmt.Errorf("%s cannot rewrite stdin (\"-\"); give files or directories", flag))
		}
	}
	return nil
}

// prepare creates the stage and locks the directories the run writes to,
// then removes what killed runs left there; it returns the stage and the
// locks' release.
func (f *fileOutput) prepare(jobs []fileJob, notes *cli.Reporter) (*stage, func(), error) {
	stage, err := f.newStage()
	if err != nil {
		return nil, nil, err
	}
	unlock, err := lockDirs(f.lockedDirs(jobs), notes)
	if err != nil {
		stage.abort(nil)
		return nil, nil, err
	}
	removeLeftovers(jobs, f.outDir, notes)
	return stage, unlock, nil
}

// errDirLocked is flockDir's answer when another process holds the lock.
var errDirLocked = errors.New("locked by another process")

// lockedDirs are the directories a run locks against another run writing
// there at the same time (two --in-place runs over one tree would
// otherwise interleave their files): every directory holding an input
// rewritten in place, or the output directory.
func (f *fileOutput) lockedDirs(jobs []fileJob) []string {
	if f.outDir != "" {
		return []string{f.outDir}
	}
	seen := map[string]bool{}
	var dirs []string
	for _, job := range jobs {
		if dir := filepath.Dir(job.dest); !seen[dir] {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// lockDirs locks the directories, in sorted order so that two runs never
// wait on each other, from before any input is read until the last file
// is renamed into place; a run that finds one locked says so and waits.
// It returns the release.
func lockDirs(dirs []string, notes io.Writer) (func(), error) {
	sort.Strings(dirs)
	var held []func()
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i]()
		}
	}
	for _, dir := range dirs {
		unlock, err := flockDir(dir, false)
		if errors.Is(err, errDirLocked) {
			fmt.Fprintf(notes, "helm-airgap: another helm-airgap run is writing files in %q; waiting for it to finish\n", dir)
			unlock, err = flockDir(dir, true)
		}
		if err != nil {
			release()
			return nil, fmt.Errorf("locking %q against another run writing there: %w", dir, err)
		}
		held = append(held, unlock)
	}
	return release, nil
}

// jobs expands the arguments into jobs: a file argument keeps its base name
// under -o, a directory's manifest files keep their path below it. A
// symlinked manifest in a directory is read like the file it points to
// (stdin mode reads it too), and notes says so; one that cannot be followed
// to a regular file is refused, never skipped.
func (f *fileOutput) jobs(args []string, notes *cli.Reporter) ([]fileJob, error) {
	var outReal string
	if f.outDir != "" {
		var err error
		if outReal, err = realPath(f.outDir); err != nil {
			return nil, fmt.Errorf("resolving the output directory %q: %w", f.outDir, err)
		}
	}
	var jobs []fileJob
	byDest := map[string]string{}
	add := func(src, rel string) error {
		info, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("reading input: %w", err)
		}
		dest := filepath.Join(f.outDir, rel)
		var owner fileOwner
		if f.inPlace {
			// Write through a symlink to its target rather than replacing
			// the link with a regular file.
			if dest, err = filepath.EvalSymlinks(src); err != nil {
				return fmt.Errorf("resolving input %q: %w", src, err)
			}
			if !writableByInvoker(info) {
				return fmt.Errorf("refusing to rewrite %q in place: its permissions (%v) do not let you write it", dest, info.Mode().Perm())
			}
			owner = ownerOf(info)
		}
		key, err := filepath.Abs(dest)
		if err != nil {
			return fmt.Errorf("resolving %q: %w", dest, err)
		}
		if other, dup := byDest[key]; dup {
			if f.inPlace {
				return nil // the same file named twice: rewrite it once
			}
			return fmt.Errorf("inputs %q and %q would both be written to %q; rewrite them in separate runs", other, src, dest)
		}
		byDest[key] = src
		jobs = append(jobs, fileJob{src: src, rel: rel, dest: dest, mode: info.Mode().Perm(), owner: owner})
		return nil
	}
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("reading input: %w", err)
		}
		if !info.IsDir() {
			if !info.Mode().IsRegular() {
				return nil, fmt.Errorf("input %q is not a regular file", arg)
			}
			if err := add(arg, filepath.Base(arg)); err != nil {
				return nil, err
			}
			continue
		}
		if outReal != "" {
			if err := outsideInput(outReal, f.outDir, arg); err != nil {
				return nil, err
			}
		}
		found, err := manifestsIn(arg, f.inPlace, notes)
		if err != nil {
			return nil, err
		}
		for _, path := range found {
			rel, err := filepath.Rel(arg, path)
			if err != nil {
				return nil, fmt.Errorf("reading input directory %q: %w", arg, err)
			}
			if err := add(path, rel); err != nil {
				return nil, err
			}
		}
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("no *.yaml, *.yml or *.json files in %s", strings.Join(quoteAll(args), ", "))
	}
	return jobs, nil
}

// manifestsIn lists a directory's manifest files in lexical order, with the
// symlinks among them that lead to a regular file.
func manifestsIn(dir string, inPlace bool, notes *cli.Reporter) ([]string, error) {
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), stagePrefix) && path != dir {
			// Staging names: a run's own (in progress or left by a killed
			// one) quietly, anything else that would be an input said.
			if !leftover.MatchString(d.Name()) && (d.IsDir() || inputs.IsManifest(path)) {
				fmt.Fprintf(notes, "helm-airgap: skipping %q: names starting with %q are kept for helm-airgap's temporary files; rename it to have it rewritten\n", path, stagePrefix)
			}
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 && !inputs.IsManifest(path) {
			if info, err := os.Stat(path); err == nil && info.IsDir() {
				// Not followed: it may lead anywhere, out of the tree given
				// included, and --in-place would rewrite what it finds there.
				fmt.Fprintf(notes, "helm-airgap: skipping %q: a symlink to a directory is not followed; give the directory it points to as an argument to rewrite it\n", path)
			}
			return nil
		}
		if d.IsDir() || !inputs.IsManifest(path) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(path)
			if err != nil {
				return fmt.Errorf("input %q is a symlink that cannot be followed: %w", path, err)
			}
			if info, err := os.Stat(target); err != nil || !info.Mode().IsRegular() {
				return fmt.Errorf("input %q is a symlink to %q, which is not a regular file", path, target)
			}
			if inPlace {
				notes.Infof("%q is a symlink: rewriting the file it points to, %q", path, target)
			} else {
				notes.Infof("%q is a symlink to %q: its output is a regular file", path, target)
			}
		} else if !d.Type().IsRegular() {
			return fmt.Errorf("input %q is not a regular file", path)
		}
		found = append(found, path)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading input directory %q: %w", dir, err)
	}
	sort.Strings(found)
	return found, nil
}

// outsideInput refuses an output directory inside (or equal to) an input
// directory, symlinks resolved: the run would read its own output, and the
// next one nest it again.
func outsideInput(outReal, outDir, inDir string) error {
	inReal, err := realPath(inDir)
	if err != nil {
		return fmt.Errorf("resolving input directory %q: %w", inDir, err)
	}
	if rel, err := filepath.Rel(inReal, outReal); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("the output directory %q is inside the input directory %q (as %q); choose one outside every input", outDir, inDir, outReal)
	}
	return nil
}

// realPath is the absolute path with every symlink resolved, for a path
// that may not exist yet: its longest existing ancestor is resolved and
// the rest appended.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var rest []string
	for dir := abs; ; dir = filepath.Dir(dir) {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if filepath.Dir(dir) == dir {
			return abs, nil
		}
		rest = append([]string{filepath.Base(dir)}, rest...)
	}
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// stagePrefix starts the name of every temporary file and directory, so
// that a run never reads another's leftovers as input. The process id
// follows, so that a later run can tell leftovers from a run in progress.
const stagePrefix = ".helm-airgap-"

func stageName(rest string) string { return fmt.Sprintf("%s%d-%s", stagePrefix, os.Getpid(), rest) }

// leftover matches what stageName produced: a -o staging directory
// (".helm-airgap-PID-RANDOM") or a file staged or kept beside its
// destination (".helm-airgap-PID-NAME.RANDOM.tmp" or "...NAME.orig").
var leftover = regexp.MustCompile(`^\.helm-airgap-([0-9]+)-(?:[0-9]+|.+\.tmp|.+\.orig)$`)

// removeLeftovers removes, from every directory this run writes to, the
// staging files of runs that were killed before they finished.
func removeLeftovers(jobs []fileJob, outDir string, notes *cli.Reporter) {
	dirs := map[string]bool{}
	if outDir != "" {
		dirs[outDir] = true
	}
	for _, job := range jobs {
		dirs[filepath.Dir(job.dest)] = true
	}
	for dir := range dirs {
		entries, _ := os.ReadDir(dir) // a directory not there yet has none
		for _, e := range entries {
			m := leftover.FindStringSubmatch(e.Name())
			if m == nil {
				continue
			}
			pid, err := strconv.Atoi(m[1])
			if err != nil || pid == os.Getpid() || processAlive(pid) {
				continue
			}
			path := filepath.Join(dir, e.Name())
			if err := os.RemoveAll(path); err == nil {
				notes.Infof("removed %q, left by an interrupted run", path)
			}
		}
	}
}

// stage holds the temporary outputs until commit.
type stage struct {
	mu         sync.Mutex
	temporary  map[string]bool // temporary outputs not yet renamed into place
	dir        string          // -o: the staging directory inside the output directory
	outDir     string
	createdOut bool     // -o: the output directory did not exist before
	created    []string // directories made for the outputs, removed again on failure
	// keepBackups is set when a failed commit could not put every original
	// back: the kept copies are then the only ones and stay.
	keepBackups bool
}

func (f *fileOutput) newStage() (*stage, error) {
	if f.inPlace {
		return &stage{}, nil
	}
	s := &stage{outDir: f.outDir}
	if _, err := os.Stat(f.outDir); errors.Is(err, fs.ErrNotExist) {
		s.createdOut = true
	}
	if err := os.MkdirAll(f.outDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the output directory: %w", err)
	}
	dir, err := os.MkdirTemp(f.outDir, stageName("*"))
	if err != nil {
		return nil, fmt.Errorf("creating a staging directory in %q: %w", f.outDir, err)
	}
	s.dir = dir
	return s, nil
}

// rewrite runs the engine on one file into its temporary output.
func (s *stage) rewrite(job *fileJob, index int, opts rewrite.Options) (*rewrite.Report, error) {
	in, err := os.Open(job.src)
	if err != nil {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	defer in.Close()
	// In the staging directory (-o), or beside the file, so the rename
	// stays on one file system.
	staging := atomicfile.Options{Dir: s.dir, Pattern: fmt.Sprint(index) + ".*.tmp"}
	if s.dir == "" {
		staging = atomicfile.Options{Pattern: stageName(filepath.Base(job.dest) + ".*.tmp")}
	}
	out, err := atomicfile.Stage(job.dest, staging)
	if err != nil {
		return nil, fmt.Errorf("creating a temporary output file: %w", err)
	}
	job.out = out
	s.track(out.Name(), true)
	report, err := rewrite.Run(in, out, opts)
	if err == nil {
		if err = job.owner.giveTo(out.File); err != nil { // before chmod: a chown clears set-id bits
			err = fmt.Errorf("keeping the owner of %q: %w", job.dest, err)
		}
	}
	if err == nil {
		err = out.Chmod(job.mode)
	}
	if cerr := out.Close(); err == nil { // flushed to disk: commit only renames
		err = cerr
	}
	return report, err
}

// commit renames every temporary output into place, all or nothing: each
// file about to be replaced is kept under a second name first, and when a
// rename fails the ones done are undone.
func (s *stage) commit(jobs []fileJob) error {
	for i := range jobs {
		job := &jobs[i]
		if err := s.mkdirs(filepath.Dir(job.dest)); err != nil {
			return s.undo(jobs[:0], fmt.Errorf("writing %q: %w", job.dest, err))
		}
		if err := s.keepOriginal(job, i); err != nil {
			return s.undo(jobs[:0], fmt.Errorf("keeping the original of %q until every file is written: %w", job.dest, err))
		}
	}
	for i := range jobs {
		job := &jobs[i]
		tmp := job.out.Name()
		if err := job.out.Commit(); err != nil {
			return s.undo(jobs[:i], fmt.Errorf("writing %q: %w", job.dest, err))
		}
		s.track(tmp, false)
		job.out = nil
	}
	for i := range jobs {
		if jobs[i].backup != "" {
			os.Remove(jobs[i].backup)
			jobs[i].backup = ""
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir) // every file is in place: a leftover here is only untidy
	}
	return nil
}

// keepOriginal links the regular file dest holds (if any) under a staging
// name, so that undo can put it back with one atomic rename. Anything else
// in the way (a directory) is left for the rename to refuse.
func (s *stage) keepOriginal(job *fileJob, index int) error {
	info, err := os.Lstat(job.dest)
	if err != nil || !(info.Mode().IsRegular() || info.Mode()&fs.ModeSymlink != 0) {
		return nil
	}
	backup := filepath.Join(filepath.Dir(job.dest), stageName(filepath.Base(job.dest)+".orig"))
	if s.dir != "" {
		backup = filepath.Join(s.dir, fmt.Sprint(index)+".orig")
	}
	os.Remove(backup) // our own, from an earlier run that had this process id
	if err := os.Link(job.dest, backup); err != nil {
		return err
	}
	job.backup = backup
	return nil
}

// undo puts back what the renamed jobs replaced (or removes what they
// created) and the directories made for them, and says so in the error.
func (s *stage) undo(renamed []fileJob, cause error) error {
	var lost []string
	for i := len(renamed) - 1; i >= 0; i-- {
		job := &renamed[i]
		var err error
		if job.backup != "" {
			err = os.Rename(job.backup, job.dest)
		} else {
			err = os.Remove(job.dest)
		}
		if err != nil {
			if job.backup != "" {
				lost = append(lost, fmt.Sprintf("%q (%v; the original is kept as %q)", job.dest, err, job.backup))
			} else {
				lost = append(lost, fmt.Sprintf("%q (%v)", job.dest, err))
			}
			continue
		}
		job.backup = ""
	}
	for i := len(s.created) - 1; i >= 0; i-- {
		os.Remove(s.created[i])
	}
	if len(lost) > 0 {
		s.keepBackups = true // they hold the originals that could not be put back
		return fmt.Errorf("%w; %d file(s) could not be restored: %s", cause, len(lost), strings.Join(lost, ", "))
	}
	if len(renamed) > 0 {
		return fmt.Errorf("%w; the %d file(s) already written were restored: no file was written or changed", cause, len(renamed))
	}
	return fmt.Errorf("%w; no file was written or changed", cause)
}

// mkdirs makes dir and its missing parents, remembering the ones it made.
func (s *stage) mkdirs(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		missing = append(missing, d)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		s.created = append(s.created, missing[i])
	}
	return nil
}

// track records a temporary output (or, once renamed, forgets it).
func (s *stage) track(path string, temporary bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.temporary == nil {
		s.temporary = map[string]bool{}
	}
	if temporary {
		s.temporary[path] = true
	} else {
		delete(s.temporary, path)
	}
}

// removeTemporaries removes the temporary outputs not yet renamed into
// place: what a signal would otherwise leave behind.
func (s *stage) removeTemporaries() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for path := range s.temporary {
		os.Remove(path)
	}
	if s.dir != "" {
		// The staging directory is this run's alone: every temporary output
		// there goes, also one created an instant before it was tracked
		// (kept originals, "*.orig", stay).
		leftover, _ := filepath.Glob(filepath.Join(s.dir, "*.tmp"))
		for _, path := range leftover {
			os.Remove(path)
		}
		os.Remove(s.dir) // the staging directory, once empty
	}
}

// abort removes every temporary output and kept original, and the output
// directory when this run created it and left it empty.
func (s *stage) abort(jobs []fileJob) {
	for _, job := range jobs {
		if job.out != nil {
			job.out.Abort()
		}
		if job.backup != "" && !s.keepBackups {
			os.Remove(job.backup)
		}
	}
	if s.dir != "" && !s.keepBackups {
		os.RemoveAll(s.dir)
	}
	if s.createdOut {
		os.Remove(s.outDir) // fails, harmlessly, unless empty
	}
}
