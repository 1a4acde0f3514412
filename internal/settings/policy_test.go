package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
)

func TestHasScheme(t *testing.T) {
	for s, want := range map[string]bool{
		"http://x/v.yaml": true, "s3:bucket/v.yaml": true, "git+ssh:x": true, "C:x": true,
		"values.yaml": false, "dir/a:b.yaml": false, ":x": false, "1http://x": false, "": false,
	} {
		if got := hasScheme(s); got != want {
			t.Errorf("hasScheme(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestLooksLikeConfig(t *testing.T) {
	for text, want := range map[string]bool{
		"mirror: r.example.com/m\n": true, "": true, "# only a comment\n": true,
		"apiVersion: helm-airgap/v1\nrules: []\negress: {strict: true}\n": true,
		"root:*:19000:0:99999:7:::\n":                                     false, "password: hunter2\n": false, "- a\n- b\n": false, "{": false,
	} {
		if got := looksLikeConfig([]byte(text)); got != want {
			t.Errorf("looksLikeConfig(%q) = %v, want %v", text, got, want)
		}
	}
}

// TestLoadHonoursEveryConfigSection: the one assembly gives every entry
// point the same engine options for one config: the issuer rewrite, the
// egress gate (strict), the image fields.
func TestLoadHonoursEveryConfigSection(t *testing.T) {
	cfg, err := config.Parse([]byte(`mirror: r.example.com/m
issuer: {name: internal-ca}
egress: {strict: true}
imageFields:
  - {apiVersion: example.com/v1, kind: Widget, path: spec.image}
`), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(Request{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	opts := p.Start(nil, nil).Options()
	if len(opts.Passes) != 2 {
		t.Errorf("%d passes, want the issuer rewrite and the egress audit", len(opts.Passes))
	}
	if p.egress == nil || !p.egress.Strict {
		t.Error("egress: {strict: true} did not make a strict audit")
	}
	if got := opts.Catalogue.ImageFields("example.com/v1", "Widget"); len(got) != 1 {
		t.Errorf("the configured image field is missing: %+v", got)
	}
	if len(opts.Observers) == 0 || opts.Observers[0].Image == nil {
		t.Error("no collision tracking across the run")
	}
	check, err := Load(Request{Config: cfg, CheckOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if opts := check.Start(nil, nil).Options(); len(opts.Passes) != 1 || !opts.CheckOnly {
		t.Errorf("check: %d passes, check-only %v; want only the audit", len(opts.Passes), opts.CheckOnly)
	}
}

func TestInsideAppDir(t *testing.T) {
	root := t.TempDir()
	app := filepath.Join(root, "app")
	if err := os.MkdirAll(filepath.Join(app, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(app, "sub", "a.yaml"), filepath.Join(root, "out.yaml")} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../out.yaml", filepath.Join(app, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub/a.yaml", filepath.Join(app, "inner.yaml")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(app)
	for path, want := range map[string]string{
		"sub/a.yaml": "", "inner.yaml": "", "sub/../sub/a.yaml": "",
		"../out.yaml": "outside", "sub/../../out.yaml": "outside", "link.yaml": "outside",
		filepath.Join(root, "out.yaml"): "absolute", "https://x/a.yaml": "URL", "missing.yaml": "no such file",
	} {
		_, err := insideAppDir(path, "parameter")
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("insideAppDir(%q) = %v, want %q", path, err, want)
		}
	}
}
