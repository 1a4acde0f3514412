package main

import (
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

// manifestInput opens the manifests named by the arguments: a rendered
// chart, files and directories, or stdin.
func manifestInput(cmd *cobra.Command, args []string) (io.Reader, func() error, error) {
	if len(args) > 0 && inputs.IsChart(args[0]) {
		chart, err := inputs.HelmTemplate(cmd.Context(), args[0], args[1:], cmd.ErrOrStderr())
		if err != nil {
			return nil, nil, cli.Usage(err)
		}
		return chart, chart.Close, nil
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") && a != "-" {
			return nil, nil, cli.Usage(fmt.Errorf("unknown flag: %s (helm flags are accepted only after a chart)", a))
		}
	}
	files, err := expandInputs(args)
	if err != nil {
		return nil, nil, err
	}
	return newStreamReader(cmd, files), func() error { return nil }, nil
}
