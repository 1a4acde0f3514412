package cli

import (
	"bytes"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// addOutputFlags gives every command -q/--quiet and -v/--verbose.
func addOutputFlags(root *cobra.Command) {
	if root.PersistentFlags().Lookup("quiet") == nil {
		root.PersistentFlags().BoolP("quiet", "q", false, "print only errors, failure reports and the public references the config ignores on stderr: no warnings, notes or summaries")
	}
	if root.PersistentFlags().Lookup("verbose") == nil {
		root.PersistentFlags().BoolP("verbose", "v", false, "print a summary of what was done on stderr")
	}
}

// Quiet reports whether -q/--quiet was given.
func Quiet(cmd *cobra.Command) bool {
	q, _ := cmd.Flags().GetBool("quiet")
	return q
}

// Verbose reports whether -v/--verbose was given (and not --quiet).
func Verbose(cmd *cobra.Command) bool {
	v, _ := cmd.Flags().GetBool("verbose")
	return v && !Quiet(cmd)
}

// quietWriter drops the warning and note lines ("<prefix>: warning: ...")
// once quiet is on; every other line (errors, failure reports) passes.
type quietWriter struct {
	w       io.Writer
	prefix  string
	quiet   bool
	pending []byte
}

func (q *quietWriter) Write(p []byte) (int, error) {
	if !q.quiet {
		return q.w.Write(p)
	}
	q.pending = append(q.pending, p...)
	for {
		i := bytes.IndexByte(q.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := q.pending[:i+1]
		if !q.dropped(string(line)) {
			if _, err := q.w.Write(line); err != nil {
				return len(p), err
			}
		}
		q.pending = q.pending[i+1:]
	}
}

func (q *quietWriter) dropped(line string) bool {
	// Not "ignored as configured:": a public reference let through by the
	// config's ignore list is listed even under -q, so that an entry that
	// silences more than meant is seen.
	for _, kind := range []string{"warning:", "note:", "reading manifests from standard input"} {
		if strings.HasPrefix(line, q.prefix+": "+kind) {
			return true
		}
	}
	return false
}

// flush writes what is left of an unfinished line.
func (q *quietWriter) flush() {
	if len(q.pending) > 0 && !q.dropped(string(q.pending)) {
		q.w.Write(q.pending)
	}
	q.pending = nil
}

// Unwrap is the writer underneath, for callers that ask whether stderr is
// a terminal (File).
func (q *quietWriter) Unwrap() io.Writer { return q.w }

// File is the *os.File a writer ends in (through writers with an Unwrap
// method, such as the quiet filter every command's stderr passes), or nil.
func File(w io.Writer) *os.File {
	for w != nil {
		if f, ok := w.(*os.File); ok {
			return f
		}
		u, ok := w.(interface{ Unwrap() io.Writer })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}
