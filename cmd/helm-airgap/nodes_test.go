package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLINodes runs `nodes` on the built binary with the bundled chart's
// config: the files it writes are nodeconfig's golden files, a refusal is
// exit 2 naming every rule with empty stdout, and usage mistakes are exit 2.
func TestCLINodes(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(root, "testdata", "charts", "airgap.yaml")
	golden := filepath.Join(root, "nodeconfig", "testdata", "golden")
	dir := t.TempDir()

	crio := runCLI(t, dir, nil, "", "nodes", "-c", config, "--runtime", "crio", "--block-source")
	crio.want(t, 0, "helm-airgap: note: CRI-O reads registry credentials")
	if want := readFile(t, filepath.Join(golden, "bundled-crio-blocked", "registries.conf.d", "90-helm-airgap.conf")); crio.stdout != want {
		t.Errorf("nodes --runtime crio on stdout differs from the golden file:\n%s", crio.stdout)
	}

	out := filepath.Join(dir, "openshift")
	runCLI(t, dir, nil, "", "nodes", "-c", config, "--runtime", "openshift", "--output-dir", out).want(t, 0, "openshift-config")
	for _, name := range []string{"imagedigestmirrorset.yaml", "imagetagmirrorset.yaml"} {
		if got, want := readFile(t, filepath.Join(out, name)), readFile(t, filepath.Join(golden, "bundled-openshift", name)); got != want {
			t.Errorf("%s differs from the golden file:\n%s", name, got)
		}
	}
	stream := runCLI(t, dir, nil, "", "nodes", "-c", config, "--runtime", "openshift", "-q")
	stream.want(t, 0)
	if strings.Count(stream.stdout, "\n---\n") != 1 || stream.stderr != "" {
		t.Errorf("openshift on stdout: want two documents and no notes with -q; stdout:\n%s\nstderr:\n%s", stream.stdout, stream.stderr)
	}

	refused := runCLI(t, dir, nil, "", "nodes", "-c", config, "--runtime", "containerd", "--output-dir", filepath.Join(dir, "containerd"))
	refused.want(t, 2, "airgap.yaml:5: rules[0]", "airgap.yaml:7: rules[1]", "airgap.yaml:9: rules[2]", "containerd cannot express this rule")
	if _, err := os.Stat(filepath.Join(dir, "containerd")); !os.IsNotExist(err) {
		t.Errorf("a refused configuration left files behind (%v)", err)
	}

	runCLI(t, dir, nil, "", "nodes", "-c", config).want(t, 2, "--runtime is required")
	runCLI(t, dir, nil, "", "nodes", "-c", config, "--runtime", "docker").want(t, 2, `unknown runtime "docker"`)
	runCLI(t, dir, nil, "", "nodes", "--mirror", "r.example.com/m", "--runtime", "containerd").want(t, 2, "give --output-dir")
	runCLI(t, dir, nil, "", "nodes", "-c", config, "--runtime", "k3s", "--block-source").want(t, 2, "--disable-default-registry-endpoint")
}
