package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"github.com/spf13/pflag"
)

// TestArgoCDGenerateCLI runs the real binaries in a chart directory as
// argocd-cmp-server does, for the exit codes (the server only says the
// step failed; e2e/argocd runs the plugin in it): 0 with the release on
// stdout, 1 for a public image or a failed render, 2 for a setting,
// parameter or input the step refuses; nothing on stdout unless 0.
func TestArgoCDGenerateCLI(t *testing.T) {
	companion := testtool.Command(t, "helm-airgap-helm")
	fast := testtool.Command(t, "helm-airgap")
	charts := filepath.Join(testtool.ModuleRoot(t), "testdata", "charts")
	platform := filepath.Join(charts, "platform")
	empty := writeChart(t, map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: empty\nversion: 0.1.0\n",
		"templates/some.yaml": "{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: some\n{{- end }}\n",
	})
	// A chart that renders lists without an item only: no object either.
	emptyList := writeChart(t, map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: empty-list\nversion: 0.1.0\n",
		"templates/list.yaml": "apiVersion: v1\nkind: List\nitems: []\n---\napiVersion: v1\nkind: ConfigMapList\nitems: []\n",
	})
	// No mirror, and no rule for the hook's registry.
	strict := filepath.Join(t.TempDir(), "strict.yaml")
	if err := os.WriteFile(strict, []byte("rules:\n  - from: docker.io\n    to: registry.internal.example.com/hub\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	app := []string{"ARGOCD_APP_NAME=shop", "ARGOCD_APP_NAMESPACE=shop-prod", "HELM_AIRGAP_CONFIG=" + filepath.Join(charts, "airgap.yaml")}
	with := func(env ...string) []string { return append(append([]string(nil), app...), env...) }
	for _, tc := range []struct {
		name   string
		dir    string
		env    []string
		code   int
		stdout string // on stdout when 0, else on stderr
	}{
		{"the release", platform, with("KUBE_VERSION=1.33"), 0, "image: registry.internal.example.com/plexicus/migrations:3.1.0"},
		{"a public image", platform, with("HELM_AIRGAP_CONFIG=" + strict), 1, "Job shop-migrations: container migrations (spec.template.spec.containers[0].image): europe-west3-docker.pkg.dev/plexicus-registry/platform/migrations:3.1.0"},
		{"a failed render", platform, with(`ARGOCD_APP_PARAMETERS=[{"name":"helm-args","array":["--set","global.imageRegistry=registry.internal.example.com"]}]`), 1, "allowInsecureImages"},
		{"an empty render", empty, app, 2, "no Kubernetes objects"},
		{"an empty render allowed", empty, with("ARGOCD_ENV_HELM_AIRGAP_ALLOW_EMPTY=true"), 0, ""},
		{"a render of empty lists", emptyList, app, 2, "no Kubernetes objects"},
		{"a helm argument refused", platform, with("PARAM_HELM_ARGS_0=--repo", "PARAM_HELM_ARGS_1=https://charts.example.com"), 2, `helm argument "--repo" is not allowed`},
		{"a values file outside", platform, with("PARAM_VALUES_FILES_0=../airgap.yaml"), 2, `"../airgap.yaml": it lies outside the application directory`},
		{"not under Argo CD", platform, nil, 2, "ARGOCD_APP_NAME is not set"},
		{"a release name that is a flag", platform, with("PARAM_RELEASE_NAME=--set-file=x=/etc/passwd"), 2, `release name "--set-file=x=/etc/passwd"`},
		{"a namespace that is a flag", platform, with("ARGOCD_APP_NAMESPACE=--kubeconfig=/etc/passwd"), 2, `namespace "--kubeconfig=/etc/passwd"`},
		{"an argument", platform, app, 2, "unknown command"},
	} {
		for _, binary := range []string{companion, fast} {
			t.Run(tc.name+"/"+filepath.Base(binary), func(t *testing.T) {
				args := []string{"argocd", "generate"}
				if tc.name == "an argument" {
					args = append(args, "platform")
				}
				r := runCLIIn(t, tc.dir, binary, tc.env, args...)
				if r.code != tc.code {
					t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, tc.code, r.stderr)
				}
				out := r.stderr
				if tc.code == 0 {
					out = r.stdout
				}
				if !strings.Contains(out, tc.stdout) {
					t.Errorf("output lacks %q:\nstdout:\n%s\nstderr:\n%s", tc.stdout, r.stdout, r.stderr)
				}
			})
		}
	}
}

// writeChart writes a chart's files into a new directory.
func writeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestArgoTemplateArgs: the release-name parameter and the destination
// namespace are an Application's to set, so a value that is not a Helm
// release name (or a namespace name) is refused before Helm runs, and the
// release and the chart always reach Helm as its two positional arguments,
// never as flags.
func TestArgoTemplateArgs(t *testing.T) {
	for _, tc := range []struct {
		release, namespace string
		want               string // "" when accepted, else part of the error
	}{
		{"shop", "shop-prod", ""},
		{"a.b-1", "", ""},
		{strings.Repeat("a", 53), "", ""},
		{"--set-file=x=/etc/passwd", "", `release name "--set-file=x=/etc/passwd"`},
		{"--values=http://127.0.0.1:9/values.yaml", "", "not a valid Helm release name"},
		{"--enable-dns", "", "not a valid Helm release name"},
		{"--config=/etc/passwd", "", "not a valid Helm release name"},
		{"-f", "", "not a valid Helm release name"},
		{"Shop", "", "not a valid Helm release name"},
		{strings.Repeat("a", 54), "", "not a valid Helm release name"},
		{"shop\x1b[31m", "", `release name "shop\x1b[31m"`},
		{"shop\nhelm-airgap: ok", "", `"shop\nhelm-airgap: ok"`},
		{"shop", "--kubeconfig=/etc/passwd", `namespace "--kubeconfig=/etc/passwd"`},
		{"shop", "Prod", "not a valid namespace name"},
		{"shop", strings.Repeat("n", 64), "not a valid namespace name"},
	} {
		r := settings.ArgoCDRender{Release: tc.release, Namespace: tc.namespace, KubeVersion: "1.33", APIVersions: []string{"batch/v1"}, HelmArgs: []string{"--set", "a=b"}}
		flags := newTemplateCommand().Flags()
		argv, err := argoTemplateArgs(flags, r)
		switch {
		case tc.want != "":
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("argoTemplateArgs(release %q, namespace %q) = %q, %v; want an error with %q", tc.release, tc.namespace, argv, err, tc.want)
			}
			continue
		case err != nil:
			t.Errorf("argoTemplateArgs(release %q, namespace %q): %v", tc.release, tc.namespace, err)
			continue
		}
		if err := flags.Parse(argv); err != nil {
			t.Fatalf("pflag refuses %q: %v", argv, err)
		}
		if got := flags.Args(); len(got) != 2 || got[0] != tc.release || got[1] != "." {
			t.Errorf("argv %q: positional arguments %q, want the release and the chart", argv, got)
		}
		if ns, _ := flags.GetString("namespace"); ns != tc.namespace {
			t.Errorf("argv %q: namespace %q, want %q", argv, ns, tc.namespace)
		}
	}
}

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
