package settings

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadArgoCDRender(t *testing.T) {
	app := t.TempDir()
	for _, name := range []string{"values.yaml", "prod,eu.yaml", "sub/more.yaml"} {
		path := filepath.Join(app, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("a: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(app)
	real, err := filepath.EvalSymlinks(app)
	if err != nil {
		t.Fatal(err)
	}
	in := func(name string) string { return filepath.Join(real, name) }
	base := []string{"ARGOCD_APP_NAME=web", "ARGOCD_APP_NAMESPACE=prod", "KUBE_VERSION=1.33.1", "KUBE_API_VERSIONS=apps/v1,batch/v1,v1"}
	for _, tc := range []struct {
		name    string
		env     []string
		want    ArgoCDRender
		wantErr string
	}{
		{"build environment only", base, ArgoCDRender{Release: "web", Namespace: "prod", KubeVersion: "1.33.1", APIVersions: []string{"apps/v1", "batch/v1", "v1"}}, ""},
		{"parameters as JSON", append(base, `ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":["values.yaml","sub/../sub/more.yaml"]},{"name":"helm-args","array":["--set","a=b, c"]},{"name":"mirror","string":"m.example.com"}]`),
			ArgoCDRender{Release: "web", Namespace: "prod", KubeVersion: "1.33.1", APIVersions: []string{"apps/v1", "batch/v1", "v1"},
				ValuesFiles: []string{in("values.yaml"), in("sub/more.yaml")}, HelmArgs: []string{"--set", "a=b, c"}}, ""},
		{"the JSON wins over PARAM_", append(base, `ARGOCD_APP_PARAMETERS=[{"name":"helm-args","array":["--skip-tests"]}]`, "PARAM_HELM_ARGS_0=--no-hooks"),
			ArgoCDRender{Release: "web", Namespace: "prod", KubeVersion: "1.33.1", APIVersions: []string{"apps/v1", "batch/v1", "v1"}, HelmArgs: []string{"--skip-tests"}}, ""},
		{"PARAM_ variables", []string{"ARGOCD_APP_NAME=web", "PARAM_VALUES_FILES_0=values.yaml", "PARAM_VALUES_FILES_1=prod,eu.yaml", "PARAM_HELM_ARGS_0=--set", "PARAM_HELM_ARGS_1=x=1"},
			ArgoCDRender{Release: "web", ValuesFiles: []string{in("values.yaml"), in("prod,eu.yaml")}, HelmArgs: []string{"--set", "x=1"}}, ""},
		{"a string is one item, never split", []string{"ARGOCD_APP_NAME=web", `ARGOCD_APP_PARAMETERS=[{"name":"values-files","string":"prod,eu.yaml"}]`},
			ArgoCDRender{Release: "web", ValuesFiles: []string{in("prod,eu.yaml")}}, ""},
		{"an Application in another namespace", []string{"ARGOCD_APP_NAME=team-a_web"}, ArgoCDRender{Release: "web"}, ""},
		{"the release-name parameter", []string{"ARGOCD_APP_NAME=team-a_web", `ARGOCD_APP_PARAMETERS=[{"name":"release-name","string":"legacy"}]`}, ArgoCDRender{Release: "legacy"}, ""},
		{"release-name as PARAM_", []string{"ARGOCD_APP_NAME=web", "PARAM_RELEASE_NAME=legacy"}, ArgoCDRender{Release: "legacy"}, ""},
		{"release-name as an array", []string{"ARGOCD_APP_NAME=web", `ARGOCD_APP_PARAMETERS=[{"name":"release-name","array":["a"]}]`}, ArgoCDRender{}, "want a string"},
		{"not under Argo CD", []string{"PARAM_VALUES_FILES_0=values.yaml"}, ArgoCDRender{}, "ARGOCD_APP_NAME is not set"},
		{"values file outside", []string{"ARGOCD_APP_NAME=web", "PARAM_VALUES_FILES_0=../x.yaml"}, ArgoCDRender{}, `"../x.yaml": it lies outside the application directory`},
		{"values file by URL", []string{"ARGOCD_APP_NAME=web", "PARAM_VALUES_FILES_0=https://x/v.yaml"}, ArgoCDRender{}, "a URL"},
		{"missing values file", []string{"ARGOCD_APP_NAME=web", "PARAM_VALUES_FILES_0=nope.yaml"}, ArgoCDRender{}, `reading "nope.yaml"`},
		{"a map", []string{"ARGOCD_APP_NAME=web", `ARGOCD_APP_PARAMETERS=[{"name":"helm-args","map":{"a":"b"}}]`}, ArgoCDRender{}, "a map is only accepted"},
		{"bad JSON", []string{"ARGOCD_APP_NAME=web", `ARGOCD_APP_PARAMETERS=[{`}, ArgoCDRender{}, "decoding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadArgoCDRender(tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
