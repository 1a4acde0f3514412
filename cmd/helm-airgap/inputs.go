package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/plexicus/helm-airgap/inputs"
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// expandInputs turns FILE|DIR|- arguments into a list of files ("-" is
// stdin); a missing path is a usage error.
func expandInputs(args []string) ([]string, error) {
	files, err := inputs.Expand(args)
	if err != nil {
		return nil, cli.Usage(err)
	}
	return files, nil
}

// newStreamReader concatenates the inputs into one YAML stream; its Explain
// names the file and line behind a line of the stream in an error. When the
// stream is read from a terminal, stderr says so: a command waiting for
// input that never comes looks hung.
func newStreamReader(cmd *cobra.Command, files []string) *inputs.Reader {
	stdin := cmd.InOrStdin()
	if readsStdin(files) {
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			cli.Messages(cmd.ErrOrStderr()).Infof("reading manifests from standard input (end with Ctrl-D; pipe them in, or name files)")
		}
	}
	return inputs.NewReader(stdin, files)
}

// readsStdin reports whether the inputs include standard input.
func readsStdin(files []string) bool {
	if len(files) == 0 {
		return true
	}
	for _, f := range files {
		if f == "-" {
			return true
		}
	}
	return false
}

// parseChartModeArgs parses the flags of a command that takes a chart and
// passes helm's flags through (DisableFlagParsing): its own flags are parsed,
// the rest returned. help reports that --help was given and shown.
func parseChartModeArgs(cmd *cobra.Command, args []string) (rest []string, help bool, err error) {
	own, rest, err := inputs.SplitArgs(cmd.Flags(), args)
	if err != nil {
		return nil, false, cli.Usage(err)
	}
	if err := cmd.Flags().Parse(own); err != nil {
		return nil, false, cli.Usage(err)
	}
	if help, _ := cmd.Flags().GetBool("help"); help {
		return nil, true, cmd.Help()
	}
	return rest, false, nil
}

// manifests are the manifests a command reads: a rendered chart, or files,
// directories and stdin joined into one stream.
type manifests struct {
	templates              // the stream, watched for template syntax
	close     func() error // helm's exit status, for a rendered chart
	stream    *inputs.Reader
}

// Explain makes an error about the stream name the input file and its
// line, as rewrite's errors do, and says that a chart's templates must be
// rendered first when the input held template syntax.
func (m *manifests) Explain(err error) error {
	if err == nil {
		return nil
	}
	if m.stream != nil {
		err = m.stream.Explain(err)
	}
	return m.templates.explain(err)
}

// manifestInput opens the manifests named by the arguments: a rendered
// chart, files and directories, or stdin.
func manifestInput(cmd *cobra.Command, args []string) (*manifests, error) {
	if len(args) > 0 && inputs.IsChart(args[0]) {
		chart, err := inputs.HelmTemplate(cmd.Context(), args[0], args[1:], cmd.ErrOrStderr())
		if err != nil {
			return nil, cli.Usage(err)
		}
		return &manifests{templates: templates{r: chart}, close: chart.Close}, nil
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") && a != "-" {
			return nil, cli.Usage(fmt.Errorf("unknown flag: %s (helm flags are accepted only after a chart)", a))
		}
	}
	files, err := expandInputs(args)
	if err != nil {
		return nil, err
	}
	stream := newStreamReader(cmd, files)
	return &manifests{templates: templates{r: stream}, close: func() error { return nil }, stream: stream}, nil
}

// templates reads a stream and notes whether it held "{{", the start of a
// Helm template action: raw chart templates given where rendered manifests
// belong fail to parse, and the parser's message does not say why.
type templates struct {
	r    io.Reader
	last byte // the last byte read, for "{{" split across two reads
	seen bool
}

func (t *templates) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 && !t.seen {
		t.seen = (t.last == '{' && p[0] == '{') || bytes.Contains(p[:n], []byte("{{"))
		t.last = p[n-1]
	}
	return n, err
}

// explain adds the advice to render first to an input error, when the
// input held template syntax.
func (t *templates) explain(err error) error {
	if !t.seen || cli.ExitCode(err) != cli.ExitUsage {
		return err
	}
	return fmt.Errorf("%w (the input holds \"{{\": these look like chart templates; render with `helm template` first, or name the chart directory)", err)
}
