package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/util/validation"
)

func newArgoCDCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "argocd",
		Short: "The steps of the Argo CD config management plugin",
		Args:  cli.Args(cobra.NoArgs),
	}
	cmd.AddCommand(newArgoCDGenerateCommand())
	return cmd
}

func newArgoCDGenerateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "generate",
		Short: "Render the Application's chart with Helm 3 and rewrite every manifest, hooks included",
		Long: `The generate step of the Argo CD config management plugin (argocd/plugin.yaml):
renders the chart in the working directory as "helm-airgap template" does,
hooks included, with what argocd-cmp-server puts in the environment:

  ARGOCD_APP_NAME, ARGOCD_APP_NAMESPACE   the release name and namespace
  KUBE_VERSION, KUBE_API_VERSIONS         the destination cluster
  parameter release-name                  a release name other than the Application's
  parameter values-files                  values files inside the application directory
  parameter helm-args                     --set and the other value and rendering flags

and the helm-airgap settings every entry point reads (parameters
airgap-config, mirror, rules, pull-secrets, allow; ARGOCD_ENV_HELM_AIRGAP_*;
$HELM_AIRGAP_CONFIG). No shell runs and no value is quoted: each parameter
item is one argument. A values file outside the application directory (or a
URL), a helm argument that reads files, reaches the network or changes
where the manifests go, and a public image all fail the step with nothing
on stdout.`,
		Example: `  # spec.source.plugin in an Application
  plugin:
    name: helm-airgap
    parameters:
      - name: values-files
        array: [values-prod.yaml]
      - name: helm-args
        array: [--set, image.tag=1.2.3]`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			render, err := settings.ReadArgoCDRender(os.Environ())
			if err != nil {
				return cli.Usage(err)
			}
			template := newTemplateCommand()
			argv, err := argoTemplateArgs(template.Flags(), render)
			if err != nil {
				return cli.Usage(err)
			}
			template.SetOut(cmd.OutOrStdout())
			template.SetErr(cmd.ErrOrStderr())
			template.SetContext(cmd.Context())
			if err := template.ParseFlags(argv); err != nil {
				return cli.Usage(fmt.Errorf("reading the Argo CD parameters as helm arguments: %w", err))
			}
			return template.RunE(template, template.Flags().Args())
		},
	}
}

// argoTemplateArgs are the template command's arguments for an
// Application: CRDs included as Argo CD's own Helm source does, the
// namespace, the destination's versions, the values files, the checked
// helm arguments, then "--" and the two positional arguments, release and
// chart (the working directory). Every value of a flag is joined to it
// ("--namespace=NS") and the positionals follow "--", so no value an
// Application sets is ever read as a flag of its own.
func argoTemplateArgs(flags *pflag.FlagSet, r settings.ArgoCDRender) ([]string, error) {
	if err := checkArgoNames(r); err != nil {
		return nil, err
	}
	argv := []string{"--include-crds"}
	if r.Namespace != "" {
		argv = append(argv, "--namespace="+r.Namespace)
	}
	if r.KubeVersion != "" {
		argv = append(argv, "--kube-version="+r.KubeVersion)
	}
	for _, v := range r.APIVersions {
		argv = append(argv, "--api-versions="+v)
	}
	for _, file := range r.ValuesFiles {
		argv = append(argv, "--values="+file)
	}
	if err := checkHelmArgs(flags, r.HelmArgs); err != nil {
		return nil, err
	}
	argv = append(argv, r.HelmArgs...)
	return append(argv, "--", r.Release, "."), nil
}

// checkArgoNames checks the release name as Helm names a release (its own
// rule: a DNS-1123 subdomain of at most 53 characters) and the namespace
// as Kubernetes names one, before Helm runs: both come from the
// Application (the release-name parameter, spec.destination.namespace).
func checkArgoNames(r settings.ArgoCDRender) error {
	if err := chartutil.ValidateReleaseName(r.Release); err != nil {
		return fmt.Errorf("release name %q (the release-name parameter, else the Application's name) is not a valid Helm release name: %w", r.Release, err)
	}
	if r.Namespace == "" {
		return nil
	}
	if errs := validation.IsDNS1123Label(r.Namespace); len(errs) > 0 {
		return fmt.Errorf("namespace %q (ARGOCD_APP_NAMESPACE, the Application's destination) is not a valid namespace name: %s", r.Namespace, strings.Join(errs, "; "))
	}
	return nil
}

// argoHelmFlags are the template flags an Application may give in
// helm-args: values and rendering switches. Everything else is refused:
// what reads a file or a URL (--values, whose files go through the
// values-files check, --set-file, --repo, --kubeconfig, the TLS files),
// what reaches the network or a cluster at render time (--enable-dns,
// --validate), and helm-airgap's own flags, which the sidecar's config and
// the plugin parameters set.
var argoHelmFlags = map[string]bool{
	"set": true, "set-string": true, "set-json": true, "set-literal": true,
	"skip-crds": true, "skip-tests": true, "no-hooks": true, "is-upgrade": true,
	"kube-version": true, "api-versions": true, "skip-schema-validation": true,
	"description": true,
}

// checkHelmArgs checks helm-args item by item, as pflag will read them: a
// flag, with its value in the same item (--set=a=b) or the next one.
func checkHelmArgs(flags *pflag.FlagSet, args []string) error {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		f, inline, err := lookupHelmArg(flags, arg)
		if err != nil {
			return err
		}
		if !argoHelmFlags[f.Name] {
			return fmt.Errorf("helm argument %q is not allowed in the helm-args parameter (allowed: %s; values files go in values-files)", arg, allowedHelmFlags())
		}
		if f.NoOptDefVal == "" && !inline {
			if i++; i == len(args) {
				return fmt.Errorf("helm argument %q needs a value: give it as the next item or after \"=\"", arg)
			}
		}
	}
	return nil
}

// lookupHelmArg finds the flag an item names, and whether the item holds
// its value too (--set=a=b, -av1). A positional argument or "--" is an
// error: the chart and the release are the Application's.
func lookupHelmArg(flags *pflag.FlagSet, arg string) (f *pflag.Flag, inline bool, err error) {
	switch {
	case strings.HasPrefix(arg, "--") && len(arg) > 2:
		var name string
		name, _, inline = strings.Cut(arg[2:], "=")
		f = flags.Lookup(name)
	case strings.HasPrefix(arg, "-") && len(arg) > 1 && arg[1] != '-':
		f = flags.ShorthandLookup(arg[1:2])
		inline = len(arg) > 2
		if f != nil && f.NoOptDefVal != "" && inline {
			// -xyz: several switches in one item; refuse rather than read
			// each.
			return nil, false, fmt.Errorf("helm argument %q: give one flag per item", arg)
		}
	default:
		return nil, false, fmt.Errorf("helm argument %q: only flags may be given, each in its own item (the chart and the release are the Application's)", arg)
	}
	if f == nil {
		return nil, false, fmt.Errorf("helm argument %q: helm template has no such flag", arg)
	}
	return f, inline, nil
}

func allowedHelmFlags() string {
	names := make([]string, 0, len(argoHelmFlags))
	for name := range argoHelmFlags {
		names = append(names, "--"+name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
