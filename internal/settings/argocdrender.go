package settings

import (
	"errors"
	"fmt"
	"strings"
)

// ArgoCDRender is what the Argo CD plugin's generate step renders: the
// release Argo CD asks for and the Helm inputs an Application may add. It
// is read from the environment argocd-cmp-server builds (the build
// environment, KUBE_VERSION, KUBE_API_VERSIONS and the parameters
// values-files and helm-args), so that no shell ever quotes a user's value.
type ArgoCDRender struct {
	Release     string   // the release-name parameter, else the Application's name
	Namespace   string   // ARGOCD_APP_NAMESPACE
	KubeVersion string   // the destination cluster's, "" when unknown
	APIVersions []string // the destination cluster's API versions
	ValuesFiles []string // resolved, each inside the application directory
	HelmArgs    []string // unchecked: the Helm command knows its flags
}

// ReadArgoCDRender reads the generate step's inputs from an environment in
// os.Environ form, with the working directory as the application
// directory. Outside Argo CD (no ARGOCD_APP_NAME) it is an error: the step
// renders an Application, and there is none.
func ReadArgoCDRender(environ []string) (ArgoCDRender, error) {
	env := environMap(environ)
	r := ArgoCDRender{
		Release:     releaseOf(strings.TrimSpace(env[argoAppName])),
		Namespace:   strings.TrimSpace(env["ARGOCD_APP_NAMESPACE"]),
		KubeVersion: strings.TrimSpace(env["KUBE_VERSION"]),
	}
	if versions := splitList(env["KUBE_API_VERSIONS"]); len(versions) > 0 {
		r.APIVersions = versions
	}
	if r.Release == "" {
		return r, errors.New("reading the Argo CD application: " + argoAppName + " is not set; argocd-cmp-server sets it when it runs the plugin")
	}
	params, err := readArgoParameters(env, true, argoRenderList)
	if err != nil {
		return r, fmt.Errorf("reading Argo CD parameters: %w", err)
	}
	if v, ok := params[argoReleaseName.param]; ok {
		if v.str == nil {
			return r, fmt.Errorf("reading Argo CD parameters: %s: want a string, not an array or a map", v.from)
		}
		r.Release = strings.TrimSpace(*v.str)
	}
	for _, file := range params[argoValuesFiles.param].items() {
		resolved, err := insideAppDir(file, fmt.Sprintf("values file (parameter %q)", argoValuesFiles.param))
		if err != nil {
			return r, err
		}
		r.ValuesFiles = append(r.ValuesFiles, resolved)
	}
	r.HelmArgs = params[argoHelmArgs.param].items()
	return r, nil
}

// releaseOf is the release name Argo CD's own Helm source uses for an
// application (util/argo ParseInstanceName): ARGOCD_APP_NAME is
// "<namespace>_<name>" for an Application outside Argo CD's namespace,
// and a release name can hold no "_".
func releaseOf(appName string) string {
	if _, name, ok := strings.Cut(appName, "_"); ok {
		return name
	}
	return appName
}

// items is a list parameter's values: its array, or its string as the one
// item (never split: a values file name or a Helm argument may hold a comma
// or a space). A map never gets here: only rules may be one.
func (v argoValue) items() []string {
	if v.str != nil {
		return []string{*v.str}
	}
	return v.list
}
