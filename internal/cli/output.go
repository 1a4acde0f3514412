package cli

import (
	"fmt"
	"io"
	"os"

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

// Level is how much a message matters. -q shows only LevelError, the
// default adds warnings and information, -v adds LevelDebug.
type Level int

const (
	LevelError Level = iota // failures and their reports: always shown
	LevelWarn               // something accepted that may not be what was meant
	LevelInfo               // notes and the summaries a command prints by default
	LevelDebug              // what -v adds: a summary of what was done
)

// levelOf is the highest level the flags of cmd show.
func levelOf(cmd *cobra.Command) Level {
	switch {
	case Quiet(cmd):
		return LevelError
	case Verbose(cmd):
		return LevelDebug
	}
	return LevelInfo
}

// Reporter is the one way a binary's messages reach stderr: every message
// has a level, and the level the command line asked for decides whether it
// is written. Run sets a reporter as every command's stderr, so text
// written to cmd.ErrOrStderr() directly (failure reports, formatted by the
// engine) always passes; Messages finds the reporter again to print by
// level.
type Reporter struct {
	w      io.Writer
	prefix string
	level  Level
	// cmd, once the command to run is known, decides the level by its
	// flags when a message is printed: commands that parse their own flags
	// (images, init) know -q only once they run.
	cmd *cobra.Command
}

// NewReporter writes messages "<prefix>: ..." to w, showing levels up to
// level.
func NewReporter(w io.Writer, prefix string, level Level) *Reporter {
	return &Reporter{w: w, prefix: prefix, level: level}
}

// Write passes text through: what is written to stderr directly is a
// failure report, shown at every level.
func (r *Reporter) Write(p []byte) (int, error) { return r.w.Write(p) }

// Unwrap is the writer underneath, for File and Messages.
func (r *Reporter) Unwrap() io.Writer { return r.w }

// Enabled reports whether messages of level l are shown.
func (r *Reporter) Enabled(l Level) bool {
	if r.cmd != nil {
		return l <= levelOf(r.cmd)
	}
	return l <= r.level
}

// Writer is w for text of level l that another package formats (the
// engine's notes): the reporter's stream when l is shown, io.Discard
// otherwise.
func (r *Reporter) Writer(l Level) io.Writer {
	if r.Enabled(l) {
		return r.w
	}
	return io.Discard
}

// Errorf prints "<prefix>: <message>" at every level.
func (r *Reporter) Errorf(format string, args ...any) { r.printf(LevelError, "", format, args...) }

// Warnf prints "<prefix>: warning: <message>" unless -q.
func (r *Reporter) Warnf(format string, args ...any) {
	r.printf(LevelWarn, "warning: ", format, args...)
}

// Infof prints "<prefix>: <message>" unless -q.
func (r *Reporter) Infof(format string, args ...any) { r.printf(LevelInfo, "", format, args...) }

// Debugf prints "<prefix>: <message>" with -v only.
func (r *Reporter) Debugf(format string, args ...any) { r.printf(LevelDebug, "", format, args...) }

func (r *Reporter) printf(l Level, kind, format string, args ...any) {
	if r.Enabled(l) {
		fmt.Fprintf(r.w, "%s: %s%s\n", r.prefix, kind, fmt.Sprintf(format, args...))
	}
}

// defaultPrefix names the program in messages printed outside Run.
const defaultPrefix = "helm-airgap"

// Messages is the reporter for messages written to w, a command's stderr
// (or a writer wrapping it): the level and prefix of the reporter Run set
// up underneath w, writing to w itself so that whatever wraps stderr (a
// failure capture) sees them too. Without one (a command run outside Run)
// it shows the default levels under the prefix "helm-airgap".
func Messages(w io.Writer) *Reporter {
	for u := w; u != nil; {
		if r, ok := u.(*Reporter); ok {
			return &Reporter{w: w, prefix: r.prefix, level: r.level, cmd: r.cmd}
		}
		next, ok := u.(interface{ Unwrap() io.Writer })
		if !ok {
			break
		}
		u = next.Unwrap()
	}
	return &Reporter{w: w, prefix: defaultPrefix, level: LevelInfo}
}

// File is the *os.File a writer ends in (through writers with an Unwrap
// method, such as the reporter every command's stderr is), or nil.
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
