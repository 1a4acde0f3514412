package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestCheckHelmArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" when accepted, else part of the error
	}{
		{nil, ""},
		{[]string{"--set", "a=b", "--set-string=c=1,d=2", "--skip-tests"}, ""},
		{[]string{"--set", "--values=/etc/passwd"}, ""}, // the value of --set, as pflag reads it
		{[]string{"-a", "batch/v1", "-amonitoring.coreos.com/v1", "--kube-version=1.31"}, ""},
		{[]string{"--no-hooks=false"}, ""},
		{[]string{"--values", "x.yaml"}, `"--values" is not allowed`},
		{[]string{"-fx.yaml"}, `"-fx.yaml" is not allowed`},
		{[]string{"--set-file", "a=/etc/passwd"}, `"--set-file" is not allowed`},
		{[]string{"--post-renderer", "sh"}, `"--post-renderer": helm template has no such flag`},
		{[]string{"--mirror=evil.example.com"}, `"--mirror=evil.example.com" is not allowed`},
		{[]string{"--enable-dns"}, "not allowed"},
		{[]string{"--validate"}, "not allowed"},
		{[]string{"--repo", "https://x"}, "not allowed"},
		{[]string{"other-chart"}, "only flags"},
		{[]string{"--"}, "only flags"},
		{[]string{"-"}, "only flags"},
		{[]string{""}, "only flags"},
		{[]string{"--set"}, "needs a value"},
		{[]string{"--nosuch"}, "no such flag"},
		{[]string{"-Z"}, "no such flag"},
	} {
		err := checkHelmArgs(newTemplateCommand().Flags(), tc.args)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("checkHelmArgs(%q) = %v, want it accepted", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("checkHelmArgs(%q) = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}

// FuzzCheckHelmArgs: whatever checkHelmArgs accepts, pflag reads as the
// allowed flags only, with no positional argument (no other chart or
// release).
func FuzzCheckHelmArgs(f *testing.F) {
	for _, seed := range []string{"--set\x00a=b", "-a\x00v1", "--values=x", "-f\x00x", "--\x00x", "--set=--repo", "-n\x00ns", "--skip-crds=true"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		flags := newTemplateCommand().Flags()
		if checkHelmArgs(flags, args) != nil {
			return
		}
		if err := flags.Parse(args); err != nil {
			return // pflag's own refusal (a bad value) fails the step too
		}
		if flags.NArg() != 0 {
			t.Fatalf("accepted %q, which pflag reads with positional arguments %q", args, flags.Args())
		}
		flags.Visit(func(f *pflag.Flag) {
			if !argoHelmFlags[f.Name] {
				t.Fatalf("accepted %q, which sets --%s", args, f.Name)
			}
		})
	})
}
