package release

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// strictSemver is semver.org's regular expression for a version.
var strictSemver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// Platform is GOOS/GOARCH.
type Platform struct{ OS, Arch string }

// Dir is the platform as a directory name: linux-amd64.
func (p Platform) Dir() string { return p.OS + "-" + p.Arch }

// String is the platform as GOOS/GOARCH.
func (p Platform) String() string { return p.OS + "/" + p.Arch }

// ParsePlatforms reads a comma-separated GOOS/GOARCH list.
func ParsePlatforms(list string) ([]Platform, error) {
	var out []Platform
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		os, arch, ok := strings.Cut(item, "/")
		if !ok || os == "" || arch == "" || strings.Contains(arch, "/") {
			return nil, fmt.Errorf("platform %q is not GOOS/GOARCH", item)
		}
		out = append(out, Platform{os, arch})
	}
	if len(out) == 0 {
		return nil, errors.New("no platforms")
	}
	return out, nil
}

// Commands lists cmd/*, every binary of the project.
func Commands(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		return nil, fmt.Errorf("listing the commands: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if !slices.Contains(names, "helm-airgap") {
		return nil, errors.New("cmd/helm-airgap is missing")
	}
	return names, nil
}

// PluginVersion reads and checks a plugin.yaml's version: the release's
// version, which must be strict semver (Helm 4 rejects anything else).
func PluginVersion(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var meta struct {
		Version string `yaml:"version"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	if !strictSemver.MatchString(meta.Version) {
		return "", fmt.Errorf("%s: version %q is not strict semver (X.Y.Z, no leading v), which Helm 4 requires", path, meta.Version)
	}
	return meta.Version, nil
}

// BuildCommands builds cmd/<name> of the checkout at root for each name,
// for a platform, stamped with version, into dir/<name>: one go build for
// all of them, as make build does, so their packages compile in one graph
// and the links run side by side instead of one binary after the other.
func BuildCommands(root string, names []string, pf Platform, version, dir string) error {
	pkgs := make([]string, len(names))
	for i, name := range names {
		pkgs[i] = "./cmd/" + name
	}
	// A trailing separator makes -o a directory for one package too.
	return goBuild(root, pkgs, pf, "-s -w -X main.version="+version, dir+string(filepath.Separator))
}

// BuildHelm builds Helm 3 from go.mod's tool dependency for a platform to
// target, stamped with the version go.mod pins (it would report "v3.x"
// otherwise).
func BuildHelm(root string, pf Platform, target string) error {
	version, err := HelmVersion(root)
	if err != nil {
		return err
	}
	return goBuild(root, []string{"helm.sh/helm/v3/cmd/helm"}, pf, "-s -w -X helm.sh/helm/v3/internal/version.version="+version, target)
}

// HelmVersion is the Helm 3 version go.mod pins, such as v3.19.0.
func HelmVersion(root string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "helm.sh/helm/v3")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("reading Helm's version from go.mod: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// goBuild builds a static binary (no cgo: nothing to load at start, and it
// runs in an image with no libc) without local paths in it.
func goBuild(root string, pkgs []string, pf Platform, ldflags, target string) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	args := append([]string{"build", "-trimpath", "-ldflags", ldflags, "-o", target}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+pf.OS, "GOARCH="+pf.Arch, "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s for %s: %w\n%s", strings.Join(pkgs, " "), pf, err, out)
	}
	return nil
}

// SourceDate is the time stamped on everything a release packs:
// $SOURCE_DATE_EPOCH, else the Unix epoch, so that two builds of the same
// checkout are byte for byte the same.
func SourceDate() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Unix(0, 0).UTC()
}
