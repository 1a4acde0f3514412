package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/registrytest"
	"github.com/plexicus/helm-airgap/internal/testtool"
)

const chartYAML = "apiVersion: v2\nname: hello\nversion: 0.1.0\ndescription: a test chart\n"
const chartTemplate = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-hello\ndata:\n  greeting: crossed the gap\n"

// TestLocalChartsCrossTheGap: a chart directory and a packaged .tgz with
// its .prov go through the archive into the internal registry, where the
// real Helm 3 and Helm 4 pull and render them from oci://.
func TestLocalChartsCrossTheGap(t *testing.T) {
	c := newCLI(t)
	dst := registrytest.New(t)
	c.write("hello/Chart.yaml", chartYAML)
	c.write("hello/templates/cm.yaml", chartTemplate)
	c.write("hello/.helmignore", "secret.txt\n")
	c.write("hello/secret.txt", "not packaged\n")
	signed := c.write("signed/Chart.yaml", strings.Replace(chartYAML, "hello", "signed", 1))
	c.write("signed/templates/cm.yaml", chartTemplate)
	helm3 := ""
	if !testing.Short() {
		helm3 = testtool.Tool(t, testtool.Helm3)
	}
	// A packaged chart and a .prov beside it (its content is carried, not
	// checked: signing needs a GPG key ring).
	tgz := filepath.Join(c.dir, "signed-0.1.0.tgz")
	if helm3 != "" {
		c.helm(t, helm3, "package", filepath.Dir(signed), "-d", c.dir)
	} else {
		t.Skip("-short: the packaged chart is made by the real Helm 3")
	}
	c.write("signed-0.1.0.tgz.prov", "-----BEGIN PGP SIGNED MESSAGE-----\nprovenance\n")

	mirrorFlag := dst.Host + "/mirror"
	_, stderr := c.must(0, "", "mirror", "--mirror", mirrorFlag, "--chart", "hello", "--chart", tgz, "--to-archive", "bundle.tar", "-")
	if !strings.Contains(stderr, "2 image(s): 2 copied") {
		t.Errorf("archiving the charts:\n%s", stderr)
	}
	_, stderr = c.must(0, "", "mirror", "--from-archive", "bundle.tar", "--push-under", mirrorFlag)
	if !strings.Contains(stderr, "-> "+dst.Ref("mirror/charts/hello:0.1.0")) {
		t.Errorf("pushing the charts:\n%s", stderr)
	}
	manifest := string(registrytest.Manifest(t, dst.Ref("mirror/charts/signed:0.1.0")))
	if !strings.Contains(manifest, "application/vnd.cncf.helm.chart.provenance.v1.prov") {
		t.Errorf("the .prov did not travel:\n%s", manifest)
	}
	kubeconfig := fakeKubeconfig(t, c)
	for _, tool := range []string{testtool.Helm3, testtool.Helm4} {
		helm := testtool.Tool(t, tool)
		for _, name := range []string{"hello", "signed"} {
			ref := "oci://" + dst.Ref("mirror/charts/"+name)
			pulled := filepath.Join(c.dir, tool+"-"+name)
			if err := os.MkdirAll(pulled, 0o755); err != nil {
				t.Fatal(err)
			}
			c.helm(t, helm, "pull", ref, "--version", "0.1.0", "--plain-http", "-d", pulled)
			if _, err := os.Stat(filepath.Join(pulled, name+"-0.1.0.tgz")); err != nil {
				t.Errorf("%s pull %s: %v", tool, ref, err)
			}
			out := c.helm(t, helm, "template", "rel", ref, "--version", "0.1.0", "--plain-http")
			if !strings.Contains(out, "name: rel-hello") || !strings.Contains(out, "crossed the gap") {
				t.Errorf("%s template %s:\n%s", tool, ref, out)
			}
			// install as far as it goes without a cluster (a stand-in API
			// server answers Helm's reachability check): the client-side
			// dry run pulls and renders the chart as install does.
			out = c.helm(t, helm, "install", "rel", ref, "--version", "0.1.0", "--plain-http", "--dry-run=client", "--disable-openapi-validation", "--kubeconfig", kubeconfig)
			if !strings.Contains(out, "crossed the gap") {
				t.Errorf("%s install --dry-run=client %s:\n%s", tool, ref, out)
			}
		}
		pulledTgz := filepath.Join(c.dir, tool+"-hello", "hello-0.1.0.tgz")
		if out := c.helm(t, helm, "show", "all", pulledTgz); strings.Contains(out, "not packaged") {
			t.Errorf("%s: .helmignore was not honoured", tool)
		}
	}
	// Registry to registry too, and idempotent.
	other := registrytest.New(t)
	c.must(0, "", "mirror", "--mirror", other.Host+"/m", "--chart", tgz, "-")
	_, stderr = c.must(0, "", "mirror", "--mirror", other.Host+"/m", "--chart", tgz, "-")
	if !strings.Contains(stderr, "0 copied, 1 already present") {
		t.Errorf("second copy of the packaged chart:\n%s", stderr)
	}
	if !registrytest.Exists(other.Ref("m/charts/signed:0.1.0")) {
		t.Error("the chart was not copied registry to registry")
	}
}

// helm runs a Helm binary with its homes inside the test directory.
func (c *cliRun) helm(t *testing.T, helm string, args ...string) string {
	t.Helper()
	cmd := exec.Command(helm, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+filepath.Join(c.dir, "hc"), "HELM_CACHE_HOME="+filepath.Join(c.dir, "hcache"),
		"HELM_DATA_HOME="+filepath.Join(c.dir, "hd"), "KUBECONFIG="+filepath.Join(c.dir, "no-kubeconfig"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(helm), strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// fakeKubeconfig points at an API server that answers only the version
// and discovery requests a client-side dry run makes.
func fakeKubeconfig(t *testing.T, c *cliRun) string {
	t.Helper()
	answers := map[string]string{
		"/version": `{"major":"1","minor":"33","gitVersion":"v1.33.0"}`,
		"/api":     `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}`,
		"/apis":    `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`,
		"/api/v1":  `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1","resources":[{"name":"configmaps","singularName":"configmap","namespaced":true,"kind":"ConfigMap","verbs":["get","list","create"]}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, ok := answers[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, body)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return c.write("kubeconfig", fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: %q}}]
contexts: [{name: fake, context: {cluster: fake, user: fake}}]
users: [{name: fake, user: {}}]
current-context: fake
`, srv.URL))
}
