package inputs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/pflag"
)

// chartRepoRef matches a "repo/chart" reference to a chart in a configured
// Helm repository. Compiled on first use: the fast binary's start-up pays
// for nothing the rewrite does not need.
var chartRepoRef = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$`)
})

// IsChart reports whether an argument names a chart rather than manifests: a
// directory holding Chart.yaml, a packaged chart (.tgz), an oci:// or
// http(s):// chart reference, or a "repo/chart" name that is not a path on
// disk and does not end like a manifest file.
func IsChart(arg string) bool {
	if arg == "" || arg == "-" || strings.HasPrefix(arg, "-") {
		return false
	}
	if info, err := os.Stat(arg); err == nil {
		if info.IsDir() {
			_, err := os.Stat(filepath.Join(arg, "Chart.yaml"))
			return err == nil
		}
		return isPackagedChart(arg)
	}
	lower := strings.ToLower(arg)
	switch {
	case strings.HasPrefix(lower, "oci://"):
		return true
	case strings.HasPrefix(lower, "https://"), strings.HasPrefix(lower, "http://"):
		return isPackagedChart(lower)
	case manifestExtensions[filepath.Ext(lower)]:
		return false
	}
	return chartRepoRef().MatchString(arg)
}

func isPackagedChart(name string) bool {
	name = strings.ToLower(name)
	return strings.HasSuffix(name, ".tgz") || strings.HasSuffix(name, ".tar.gz")
}

// SplitArgs separates the flags fs defines (with their values) from every
// other argument, keeping both in order. It lets one command line carry the
// command's own flags and Helm's: `images ./chart --set a=b -o json` gives
// own ["-o", "json"] and rest ["./chart", "--set", "a=b"]. Everything after
// "--" is rest. Flags fs does not know are left in rest untouched, with
// whatever follows them, for Helm to interpret.
func SplitArgs(fs *pflag.FlagSet, args []string) (own, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		var known, needsValue bool
		switch {
		case a == "--":
			return own, append(rest, args[i+1:]...), nil
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name, _, inline := strings.Cut(a[2:], "=")
			if f := fs.Lookup(name); f != nil {
				known, needsValue = true, !inline && f.NoOptDefVal == ""
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			known, needsValue = shorthands(fs, a[1:])
		}
		if !known {
			rest = append(rest, a)
			continue
		}
		own = append(own, a)
		if !needsValue {
			continue
		}
		if i+1 >= len(args) {
			return nil, nil, fmt.Errorf("flag needs an argument: %s", a)
		}
		i++
		own = append(own, args[i])
	}
	return own, rest, nil
}

// shorthands reads a group of single-letter flags ("-o", "-ojson", "-o=json",
// "-hv") the way pflag does: boolean letters may be followed by more letters,
// a letter that takes a value takes the rest of the group or the next
// argument. known is false when any letter is not fs's, so a group meant for
// Helm is left whole.
func shorthands(fs *pflag.FlagSet, group string) (known, needsValue bool) {
	for len(group) > 0 {
		f := fs.ShorthandLookup(group[:1])
		if f == nil {
			return false, false
		}
		if len(group) > 2 && group[1] == '=' {
			return true, false
		}
		if f.NoOptDefVal == "" {
			return true, len(group) == 1
		}
		group = group[1:]
	}
	return true, false
}

// HelmBinary is the helm executable to render charts with: $HELM_BIN, which
// Helm sets for its plugins, else "helm" on PATH.
func HelmBinary() (string, error) {
	if bin := os.Getenv("HELM_BIN"); bin != "" {
		return bin, nil
	}
	path, err := exec.LookPath("helm")
	if err != nil {
		return "", errors.New("rendering a chart needs helm: HELM_BIN is not set and helm is not on PATH")
	}
	return path, nil
}

// HelmTemplate starts `helm template CHART HELMARGS...` and returns its
// output as a stream; helm's stderr goes to stderr. Closing the stream
// waits for helm and returns its failure, so read to EOF, then Close.
func HelmTemplate(ctx context.Context, chart string, helmArgs []string, stderr io.Writer) (io.ReadCloser, error) {
	bin, err := HelmBinary()
	if err != nil {
		return nil, err
	}
	args := append([]string{"template", chart}, helmArgs...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("rendering chart %q: starting %s: %w", chart, bin, err)
	}
	return &helmOutput{ReadCloser: out, cmd: cmd, chart: chart}, nil
}

type helmOutput struct {
	io.ReadCloser
	cmd   *exec.Cmd
	chart string
	done  bool
	err   error
}

// Close drains what helm still writes (so it never blocks on a full pipe)
// and reports how it exited.
func (h *helmOutput) Close() error {
	if h.done {
		return h.err
	}
	h.done = true
	_, _ = io.Copy(io.Discard, h.ReadCloser)
	if err := h.cmd.Wait(); err != nil {
		h.err = fmt.Errorf("rendering chart %q: %s %s: %w", h.chart, filepath.Base(h.cmd.Path), strings.Join(h.cmd.Args[1:], " "), err)
	}
	return h.err
}
