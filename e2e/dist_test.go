package e2e

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/plexicus/helm-airgap/internal/controlplane"
	"github.com/plexicus/helm-airgap/internal/helmtest"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"go.yaml.in/yaml/v3"
)

// `make dist` for this platform, built once per test process.
var (
	distOnce sync.Once
	distDir  string
	distErr  error
)

// dist runs the dist tool (what `make dist` runs) for the test's own
// platform into a temporary directory and returns it and the version.
func dist(t *testing.T) (dir, version string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the release tarballs")
	}
	root := testtool.ModuleRoot(t)
	distOnce.Do(func() {
		distDir, distErr = os.MkdirTemp("", "helm-airgap-dist-")
		if distErr != nil {
			return
		}
		cmd := exec.Command("go", "run", "./internal/dist", "-out", distDir, "-platforms", runtime.GOOS+"/"+runtime.GOARCH)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			distErr = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if distErr != nil {
		t.Fatalf("make dist: %v", distErr)
	}
	var meta struct{ Version string }
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(root, "plugin.yaml"))), &meta); err != nil {
		t.Fatal(err)
	}
	return distDir, meta.Version
}

// TestMain also stops the control plane the install tests share
// (cluster_test.go).
func TestMain(m *testing.M) {
	code := controlplane.Main(m)
	if distDir != "" {
		os.RemoveAll(distDir)
	}
	os.Exit(code)
}

// offline makes any network access by Helm fail: every proxy points at a
// closed port.
func offline(h *helmtest.Helm) {
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"} {
		h.Setenv(k, "http://127.0.0.1:9")
	}
	h.Setenv("NO_PROXY", "")
	h.Setenv("no_proxy", "")
}

func TestDistTarballs(t *testing.T) {
	dir, version := dist(t)
	platform := runtime.GOOS + "-" + runtime.GOARCH
	entries, err := os.ReadDir(filepath.Join(testtool.ModuleRoot(t), "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var everyCommand []string
	for _, e := range entries {
		if e.IsDir() {
			everyCommand = append(everyCommand, "bin/"+platform+"/"+e.Name())
		}
	}
	for name, binaries := range map[string][]string{
		"airgap":              everyCommand,
		"airgap-postrenderer": {"bin/" + platform + "/helm-airgap"},
	} {
		tarball := name + "-" + version + "-" + platform + ".tgz"
		files := tarFiles(t, filepath.Join(dir, tarball))
		want := append([]string{"plugin.yaml", "README.md", "LICENSE", "docs/install.md"}, binaries...)
		for _, w := range want {
			if mode, ok := files[name+"/"+w]; !ok {
				t.Errorf("%s lacks %s/%s", tarball, name, w)
			} else if strings.HasPrefix(w, "bin/") && mode&0o111 == 0 {
				t.Errorf("%s/%s is not executable", name, w)
			}
		}
		for f := range files {
			if strings.HasPrefix(f, name+"/bin/") && !contains(prefix(binaries, name+"/"), f) && !strings.HasSuffix(f, "/") {
				t.Errorf("%s carries an unexpected binary %s", tarball, f)
			}
		}
	}
	if sums := readFile(t, filepath.Join(dir, "SHA256SUMS")); strings.Count(sums, ".tgz\n") != 2 {
		t.Errorf("SHA256SUMS:\n%s", sums)
	}
}

func prefix(list []string, p string) []string {
	var out []string
	for _, s := range list {
		out = append(out, p+s)
	}
	return out
}

// tarFiles lists a gzipped tarball's entries with their modes.
func tarFiles(t *testing.T, path string) map[string]int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string]int64{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = h.Mode
	}
}

// TestDistInstallsOffline: Helm 4 installs both tarballs with no network,
// Helm 3 the unpacked airgap plugin, and both render the chart through
// them with every image on the mirror.
func TestDistInstallsOffline(t *testing.T) {
	dir, version := dist(t)
	platform := runtime.GOOS + "-" + runtime.GOARCH
	f := newFixture(t)

	h4 := helmtest.New(t, 4)
	offline(h4)
	for _, name := range []string{"airgap", "airgap-postrenderer"} {
		h4.MustRun(f.dir, "plugin", "install", filepath.Join(dir, name+"-"+version+"-"+platform+".tgz"), "--verify=false")
	}
	if got := strings.TrimSpace(h4.MustRun(f.dir, "airgap", "version").Stdout); got != version {
		t.Errorf("helm4 airgap version = %q, want %q", got, version)
	}
	assertCompletes(t, h4, f.dir)
	if list := h4.MustRun(f.dir, "plugin", "list").Stdout; !regexp.MustCompile(`(?m)^airgap\s+` + regexp.QuoteMeta(version) + `\s`).MatchString(list) {
		t.Errorf("helm plugin list does not show airgap %s:\n%s", version, list)
	}
	r := h4.MustRun(f.dir, append([]string{"template", release, f.chart}, postRender(f.config)...)...)
	assertMirrored(t, podImages(decodeStream(t, r.Stdout)))

	h3 := helmtest.New(t, 3)
	offline(h3)
	h3.MustRun(f.dir, "plugin", "install", filepath.Join(dir, platform, "airgap"))
	assertCompletes(t, h3, f.dir)
	if got := strings.TrimSpace(h3.MustRun(f.dir, "airgap", "version").Stdout); got != version {
		t.Errorf("helm3 airgap version = %q, want %q", got, version)
	}
	r = h3.MustRun(f.dir, "airgap", "template", release, f.chart, "--config", f.config)
	assertMirrored(t, podImages(decodeStream(t, r.Stdout)))
}

// TestDistSigned follows the README's signing steps: `helm plugin package
// --sign` over the unpacked plugin, then an install that verifies the
// provenance against the public key.
func TestDistSigned(t *testing.T) {
	dir, version := dist(t)
	keys := t.TempDir()
	secring, pubring := filepath.Join(keys, "secring.gpg"), filepath.Join(keys, "pubring.gpg")
	writeKeyrings(t, "helm-airgap release", secring, pubring)
	signed := t.TempDir()
	h := helmtest.New(t, 4)
	offline(h)
	h.MustRun(dir, "plugin", "package", filepath.Join(dir, runtime.GOOS+"-"+runtime.GOARCH, "airgap"), "--sign", "--key", "helm-airgap release", "--keyring", secring, "-d", signed)
	tarball := filepath.Join(signed, "airgap-"+version+".tgz")
	if _, err := os.Stat(tarball + ".prov"); err != nil {
		t.Fatalf("no provenance file: %v", err)
	}
	h.MustRun(signed, "plugin", "install", tarball, "--keyring", pubring)
	if got := strings.TrimSpace(h.MustRun(signed, "airgap", "version").Stdout); got != version {
		t.Errorf("helm4 airgap version = %q, want %q", got, version)
	}

	// A tampered tarball is refused.
	h2 := helmtest.New(t, 4)
	offline(h2)
	data, err := os.ReadFile(tarball)
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(t.TempDir(), filepath.Base(tarball))
	data[len(data)/2] ^= 0xff
	write(t, tampered, string(data))
	write(t, tampered+".prov", readFile(t, tarball+".prov"))
	if r := h2.Run(signed, "plugin", "install", tampered, "--keyring", pubring); r.Code == 0 || !strings.Contains(r.Stderr, "verif") {
		t.Errorf("Helm installed a tarball that does not match its provenance, or refused it for another reason: exit %d\n%s", r.Code, r.Stderr)
	}
}

// writeKeyrings writes a new signing key as GnuPG's legacy secret and
// public keyrings, which Helm reads.
func writeKeyrings(t *testing.T, name, secring, pubring string) {
	t.Helper()
	entity, err := openpgp.NewEntity(name, "", "release@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	for path, serialize := range map[string]func(io.Writer) error{
		secring: func(w io.Writer) error { return entity.SerializePrivate(w, nil) },
		pubring: entity.Serialize,
	} {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := serialize(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// assertCompletes: helm airgap <TAB> completes the plugin's commands, and a
// companion's command completes its own flags (plugin.complete).
func assertCompletes(t *testing.T, h *helmtest.Helm, dir string) {
	t.Helper()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "airgap", "mir"}, "mirror"},
		{[]string{"__complete", "airgap", "rewrite", "--pull"}, "--pull-secret"},
		{[]string{"__complete", "airgap", "mirror", "--pla"}, "--platform"},
	} {
		if out := h.MustRun(dir, tc.args...).Stdout; !strings.Contains(out, tc.want) {
			t.Errorf("helm %v does not offer %s:\n%s", tc.args, tc.want, out)
		}
	}
}
