package cli

import (
	"bytes"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestReporterLevels: -q shows only errors, the default adds warnings and
// information, -v adds debug; text written to stderr directly (a failure
// report) passes at every level. The message is the same text in every
// case: only its level decides.
func TestReporterLevels(t *testing.T) {
	all := "x: error e\nx: warning: w\nx: info i\nx: debug d\nreport r\n"
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"default", nil, "", "x: error e\nx: warning: w\nx: info i\nreport r\n"},
		{"-q", []string{"-q"}, "", "x: error e\nreport r\n"},
		{"HELM_AIRGAP_QUIET", nil, "true", "x: error e\nreport r\n"},
		{"-v", []string{"-v"}, "", all},
		{"-q wins over -v", []string{"-q", "-v"}, "", "x: error e\nreport r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("HELM_AIRGAP_QUIET", tc.env)
			}
			root := &cobra.Command{Use: "x", RunE: func(cmd *cobra.Command, _ []string) error {
				m := Messages(cmd.ErrOrStderr())
				m.Errorf("error %s", "e")
				m.Warnf("w")
				m.Infof("info i")
				m.Debugf("debug d")
				io.WriteString(cmd.ErrOrStderr(), "report r\n")
				return nil
			}}
			var stderr bytes.Buffer
			if code := Run(root, "x", tc.args, nil, io.Discard, &stderr); code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if stderr.String() != tc.want {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), tc.want)
			}
		})
	}
}

// TestReporterFlagsParsedLate: a command that parses its own flags
// (DisableFlagParsing, as images and init do) is quiet once it has parsed
// -q, and a writer wrapping stderr keeps the level.
func TestReporterFlagsParsedLate(t *testing.T) {
	root := &cobra.Command{Use: "x"}
	sub := &cobra.Command{Use: "sub", DisableFlagParsing: true, RunE: func(cmd *cobra.Command, args []string) error {
		if err := cmd.Flags().Parse(args); err != nil {
			return err
		}
		var captured bytes.Buffer
		w := io.MultiWriter(cmd.ErrOrStderr(), &captured)
		Messages(cmd.ErrOrStderr()).Infof("summary")
		Messages(unwrapper{w, cmd.ErrOrStderr()}).Warnf("through a wrapper")
		Messages(cmd.ErrOrStderr()).Errorf("failed")
		return nil
	}}
	root.AddCommand(sub)
	var stderr bytes.Buffer
	Run(root, "x", []string{"sub", "-q"}, nil, io.Discard, &stderr)
	if stderr.String() != "x: failed\n" {
		t.Errorf("stderr %q, want only the error", stderr.String())
	}
}

type unwrapper struct {
	io.Writer
	under io.Writer
}

func (u unwrapper) Unwrap() io.Writer { return u.under }

// TestMessagesOutsideRun: a writer with no reporter underneath gets the
// default levels and prefix.
func TestMessagesOutsideRun(t *testing.T) {
	var b bytes.Buffer
	m := Messages(&b)
	m.Warnf("w")
	m.Debugf("d")
	if b.String() != "helm-airgap: warning: w\n" {
		t.Errorf("%q", b.String())
	}
	if m.Writer(LevelDebug) != io.Discard || m.Writer(LevelWarn) != io.Writer(&b) {
		t.Error("Writer does not follow the level")
	}
}

// TestLeaf: cli imports nothing of this project; domain errors say their
// exit code themselves.
func TestLeaf(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/plexicus/helm-airgap") {
				t.Errorf("%s imports %s: internal/cli must stay a leaf", name, path)
			}
		}
	}
}
