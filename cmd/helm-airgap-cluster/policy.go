package main

import (
	"fmt"

	"github.com/plexicus/helm-airgap/admission"
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/spf13/cobra"
)

type policyFlags struct {
	settings.Flags
	output, action, name           string
	namespaceSelector, objSelector string
	lock                           bool
}

func newPolicyCommand() *cobra.Command {
	var f policyFlags
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Write the admission policy that refuses, in the cluster, any image the rules do not put on the mirror",
		Long: `Writes, from the same config as rewrite, an admission policy that makes the API
server refuse a Pod (containers, init and ephemeral containers, image volumes;
the pods/ephemeralcontainers subresource kubectl debug uses too) or a
Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob whose image is
not on an internal registry (the mirror, a rule destination or an allowed
registry). It catches what bypassed the rewrite: a kubectl apply by hand, an
operator creating pods at run time, kubectl debug.

-o vap (the default) writes a ValidatingAdmissionPolicy and its binding
(admissionregistration.k8s.io/v1, CEL, built into the API server since
Kubernetes 1.30); -o kyverno a Kyverno ClusterPolicy with the same CEL.
Images are compared as the rules compare them: an image without a registry
is docker.io's. The denial names the container, the image and the rule that
would have mapped it.

Roll it out with --action audit, then warn, then deny (docs/defence-in-depth.md).`,
		Example: `  helm-airgap policy -c airgap.yaml --action audit > policy.yaml
  helm-airgap policy -c airgap.yaml --namespace-selector 'kubernetes.io/metadata.name notin (kube-system)' | kubectl apply -f -
  helm-airgap policy -c airgap.yaml -o kyverno --action warn`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return runPolicy(cmd, &f) },
	}
	fl := cmd.Flags()
	f.Flags.Add(fl)
	cli.Unoffered(cmd, "pull-secret", "max-document-size") // nothing is rewritten
	fl.StringVarP(&f.output, "output", "o", "vap", "vap (ValidatingAdmissionPolicy and binding) or kyverno (ClusterPolicy)")
	fl.StringVar(&f.action, "action", "deny", "what a violation does: deny, warn (admitted with a warning) or audit (admitted, recorded)")
	fl.StringVar(&f.name, "name", "helm-airgap-images", "name of the policy (and of its binding)")
	fl.StringVar(&f.namespaceSelector, "namespace-selector", "", "only namespaces whose labels match this label selector (\"env=prod,team in (a,b)\")")
	fl.StringVar(&f.objSelector, "object-selector", "", "only objects whose labels match this label selector")
	fl.BoolVar(&f.lock, "lock", false, "also refuse an internal image that is not pinned to a digest (manifests rewritten with --lock)")
	return cmd
}

func runPolicy(cmd *cobra.Command, f *policyFlags) error {
	o, err := f.options()
	if err != nil {
		return cli.Usage(err)
	}
	_, mapper, err := f.Flags.Load()
	if err != nil {
		return cli.Usage(err)
	}
	var out []byte
	switch f.output {
	case "vap":
		out, err = admission.WriteVAP(mapper, o)
	case "kyverno":
		out, err = admission.WriteKyverno(mapper, o)
	default:
		return cli.Usagef("--output: unknown format %q (use vap or kyverno)", f.output)
	}
	if err != nil {
		return err
	}
	_, err = cmd.OutOrStdout().Write(out)
	return err
}

func (f *policyFlags) options() (admission.Options, error) {
	action, err := admission.ParseAction(f.action)
	if err != nil {
		return admission.Options{}, fmt.Errorf("--action: %w", err)
	}
	o := admission.Options{Name: f.name, Action: action, RequireDigest: f.lock}
	if o.NamespaceSelector, err = admission.ParseSelector("--namespace-selector", f.namespaceSelector); err != nil {
		return o, err
	}
	if o.ObjectSelector, err = admission.ParseSelector("--object-selector", f.objSelector); err != nil {
		return o, err
	}
	return o, nil
}
