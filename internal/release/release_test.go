package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/testtool"
)

func TestPluginVersion(t *testing.T) {
	dir := t.TempDir()
	for version, ok := range map[string]bool{
		"0.1.0": true, "1.22.3": true, "1.0.0-rc.1": true, "1.0.0+build.5": true,
		"v0.1.0": false, "0.1": false, "01.2.3": false, "": false, "1.0.0-": false,
	} {
		path := filepath.Join(dir, "plugin.yaml")
		if err := os.WriteFile(path, []byte("name: a\nversion: \""+version+"\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := PluginVersion(path)
		if ok && (err != nil || got != version) || !ok && err == nil {
			t.Errorf("version %q: got %q, %v", version, got, err)
		}
	}
	// The checkout's own versions agree and are strict.
	root := testtool.ModuleRoot(t)
	a, err := PluginVersion(filepath.Join(root, "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := PluginVersion(filepath.Join(root, "plugins", "airgap-postrenderer", "plugin.yaml"))
	if err != nil || a != b {
		t.Errorf("plugin versions %q and %q (%v) must agree", a, b, err)
	}
}

func TestParsePlatforms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{"linux/amd64", "linux-amd64", false},
		{" linux/amd64 , darwin/arm64,", "linux-amd64 darwin-arm64", false},
		{"linux", "", true},
		{"linux/amd64/v2", "", true},
		{"/amd64", "", true},
		{"", "", true},
	} {
		got, err := ParsePlatforms(tc.in)
		var dirs []string
		for _, p := range got {
			dirs = append(dirs, p.Dir())
		}
		if (err != nil) != tc.err || strings.Join(dirs, " ") != tc.want {
			t.Errorf("ParsePlatforms(%q) = %v, %v", tc.in, dirs, err)
		}
	}
}

func FuzzParsePlatforms(f *testing.F) {
	f.Add("linux/amd64,linux/arm64,darwin/amd64,darwin/arm64")
	f.Add("linux/amd64,,/x")
	f.Fuzz(func(t *testing.T, in string) {
		platforms, err := ParsePlatforms(in)
		if err != nil {
			return
		}
		// What parses names every platform again, the same way.
		var parts []string
		for _, p := range platforms {
			if p.OS == "" || p.Arch == "" || strings.ContainsAny(p.OS+p.Arch, "/,") {
				t.Fatalf("%q gave platform %+v", in, p)
			}
			parts = append(parts, p.String())
		}
		again, err := ParsePlatforms(strings.Join(parts, ","))
		if err != nil || len(again) != len(platforms) {
			t.Fatalf("%q: reparse gave %v, %v", in, again, err)
		}
	})
}

func TestCommands(t *testing.T) {
	names, err := Commands(testtool.ModuleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	// The fast binary and the companions it execs.
	for _, want := range []string{"helm-airgap", "helm-airgap-helm", "helm-airgap-registry", "helm-airgap-krm", "helm-airgap-cluster"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("Commands = %v, lacks %s", names, want)
		}
	}
	empty := t.TempDir()
	os.MkdirAll(filepath.Join(empty, "cmd", "other"), 0o755)
	if _, err := Commands(empty); err == nil || !strings.Contains(err.Error(), "cmd/helm-airgap is missing") {
		t.Errorf("a checkout without cmd/helm-airgap: %v", err)
	}
}

func TestSourceDate(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want time.Time
	}{
		{"", time.Unix(0, 0)},
		{"1700000000", time.Unix(1700000000, 0)},
		{"yesterday", time.Unix(0, 0)},
	} {
		t.Setenv("SOURCE_DATE_EPOCH", tc.env)
		if got := SourceDate(); !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("SOURCE_DATE_EPOCH=%q: %v, want %v UTC", tc.env, got, tc.want)
		}
	}
}

func TestHelmVersion(t *testing.T) {
	v, err := HelmVersion(testtool.ModuleRoot(t))
	if err != nil || !strings.HasPrefix(v, "v3.") {
		t.Errorf("HelmVersion = %q, %v; want go.mod's helm.sh/helm/v3 version", v, err)
	}
}
