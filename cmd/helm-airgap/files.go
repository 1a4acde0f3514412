package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/plexicus/helm-airgap/inputs"
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/spf13/cobra"
)

// fileOutput is rewrite's file mode: -o DIR writes one output file per input
// file, --in-place replaces each input file.
//
// Either way it is all or nothing. Every file is rewritten into a temporary
// file on the destination's file system first; only when every file has
// passed (no input error, no public reference, no collision across files)
// are the temporary files renamed into place. On failure they are removed
// and no input or output file is touched. Each rename is atomic; a crash in
// the middle of the renames can leave some files renamed and not others.
type fileOutput struct {
	outDir  string
	inPlace bool
}

func (f *fileOutput) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.outDir, "output-dir", "o", "", "write one rewritten file per input file under `DIR`, in the same relative layout, instead of stdout")
	cmd.Flags().BoolVar(&f.inPlace, "in-place", false, "rewrite the input files in place (atomically; on any failure no file is changed)")
	cmd.MarkFlagsMutuallyExclusive("output-dir", "in-place")
}

func (f *fileOutput) enabled() bool { return f.outDir != "" || f.inPlace }

// fileJob is one input file and where its output goes.
type fileJob struct {
	src  string      // the input as named on the command line or found in a directory
	rel  string      // path under the output directory (-o)
	dest string      // final output path
	mode fs.FileMode // the input's permissions, given to the output
	tmp  string      // the staged output
}

// runFiles rewrites every input file into its own output file.
func runFiles(cmd *cobra.Command, o *options, f *fileOutput, args []string, verbose bool) error {
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
	session, err := o.load(cmd, false)
	if err != nil {
		return err
	}
	mapper := session.Policy().Mapper
	jobs, err := f.plan(args)
	if err != nil {
		return cli.Usage(err)
	}
	stage, err := f.newStage()
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			stage.abort(jobs)
		}
	}()

	stderr := cmd.ErrOrStderr()
	opts := o.tune(session.Options()) // one egress audit and collision tracker across the files
	total := &rewrite.Report{}
	var inputErr, policyErr error
	failed := 0
	for i := range jobs {
		job := &jobs[i]
		report, err := stage.rewrite(job, i, opts)
		var policy *rewrite.PolicyError
		switch {
		case errors.As(err, &policy):
			failed++
			if len(policy.Report.Offenders) > 0 {
				fmt.Fprintf(stderr, "helm-airgap: %s:\n", cli.Name(job.src))
				rewrite.WriteReport(stderr, &rewrite.Report{Offenders: policy.Report.Offenders}, mapper)
			}
			if policyErr == nil {
				policyErr = err
			}
		case err != nil:
			failed++
			fmt.Fprintf(stderr, "helm-airgap: %s: %v\n", cli.Name(job.src), err)
			if inputErr == nil {
				inputErr = err
			}
		default:
			total.Documents += report.Documents
			total.References += report.References
			total.Rewritten += report.Rewritten
			total.PodSpecs += report.PodSpecs
		}
	}
	// Collisions are counted across files: two files may send two sources
	// to one destination.
	if list := session.Collisions(); len(list) > 0 {
		rewrite.WriteReport(stderr, &rewrite.Report{Collisions: list}, mapper)
		if policyErr == nil {
			policyErr = &rewrite.PolicyError{Report: &rewrite.Report{Collisions: list}}
		}
	}
	if inputErr == nil && policyErr == nil {
		policyErr = session.Egress() // a strict egress audit over every file
	} else {
		session.Egress() // the egress report too, for the record
	}
	if inputErr != nil || policyErr != nil {
		fmt.Fprintf(stderr, "helm-airgap: no file was written or changed (%d of %d failed)\n", failed, len(jobs))
		if inputErr != nil { // an input error is the more basic failure: exit 2
			return cli.Reported(inputErr)
		}
		return cli.Reported(policyErr)
	}
	if err := stage.commit(jobs); err != nil {
		return err
	}
	committed = true
	if verbose {
		fmt.Fprintf(stderr, "helm-airgap: %d file(s), %d document(s), %d image reference(s), %d rewritten, %d pod spec(s) given pull secrets; no public references\n",
			len(jobs), total.Documents, total.References, total.Rewritten, total.PodSpecs)
	}
	return nil
}

// plan expands the arguments into jobs: a file argument keeps its base name
// under -o, a directory's manifest files keep their path below it.
func (f *fileOutput) plan(args []string) ([]fileJob, error) {
	var outAbs string
	if f.outDir != "" {
		var err error
		if outAbs, err = filepath.Abs(f.outDir); err != nil {
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
		if f.inPlace {
			// Write through a symlink to its target rather than replacing
			// the link with a regular file.
			if dest, err = filepath.EvalSymlinks(src); err != nil {
				return fmt.Errorf("resolving input %q: %w", src, err)
			}
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
		jobs = append(jobs, fileJob{src: src, rel: rel, dest: dest, mode: info.Mode().Perm()})
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
		var found []string
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				// Never read our own output (-o inside an input directory) or
				// a staging directory left by a killed run.
				if abs, _ := filepath.Abs(path); outAbs != "" && abs == outAbs && path != arg {
					return filepath.SkipDir
				}
				if strings.HasPrefix(d.Name(), stagePrefix) {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && inputs.IsManifest(path) && !strings.HasPrefix(d.Name(), stagePrefix) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading input directory %q: %w", arg, err)
		}
		sort.Strings(found)
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

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// stagePrefix starts the name of every temporary file and directory, so
// that a run never reads another's leftovers as input.
const stagePrefix = ".helm-airgap-"

// stage holds the temporary outputs until commit.
type stage struct {
	dir        string // -o: the staging directory inside the output directory
	outDir     string
	createdOut bool // -o: the output directory did not exist before
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
	dir, err := os.MkdirTemp(f.outDir, stagePrefix+"*")
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
	var out *os.File
	if s.dir != "" {
		out, err = os.OpenFile(filepath.Join(s.dir, fmt.Sprint(index)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	} else {
		// Beside the file, so the rename stays on one file system.
		out, err = os.CreateTemp(filepath.Dir(job.dest), stagePrefix+filepath.Base(job.dest)+".*.tmp")
	}
	if err != nil {
		return nil, fmt.Errorf("creating a temporary output file: %w", err)
	}
	job.tmp = out.Name()
	report, err := rewrite.Run(in, out, opts)
	if err == nil {
		err = out.Chmod(job.mode)
	}
	if err == nil {
		err = out.Sync() // the data must be on disk before the rename makes it the file
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return report, err
}

// commit renames every temporary output into place.
func (s *stage) commit(jobs []fileJob) error {
	for i := range jobs {
		job := &jobs[i]
		if err := os.MkdirAll(filepath.Dir(job.dest), 0o755); err != nil {
			return fmt.Errorf("writing %q: %w", job.dest, err)
		}
		if err := os.Rename(job.tmp, job.dest); err != nil {
			return fmt.Errorf("writing %q (%d of %d files written): %w", job.dest, i, len(jobs), err)
		}
		job.tmp = ""
	}
	if s.dir != "" {
		return os.Remove(s.dir)
	}
	return nil
}

// abort removes every temporary output, and the output directory when this
// run created it and left it empty.
func (s *stage) abort(jobs []fileJob) {
	for _, job := range jobs {
		if job.tmp != "" {
			os.Remove(job.tmp)
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
	if s.createdOut {
		os.Remove(s.outDir) // fails, harmlessly, unless empty
	}
}
