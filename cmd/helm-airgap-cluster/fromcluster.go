package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/plexicus/helm-airgap/cluster"
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// clusterFlags are what images --from-cluster and check --from-cluster
// share: the config flags, and which cluster and namespaces to read.
type clusterFlags struct {
	settings.Flags
	fromCluster   bool
	kubeconfig    string
	context       string
	namespaces    []string
	allNamespaces bool
	release       string
}

func (f *clusterFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	f.Flags.Add(fl)
	cli.Unoffered(cmd, "pull-secret", "max-document-size")
	fl.BoolVar(&f.fromCluster, "from-cluster", false, "read the images of a live cluster (required: this command reads nothing else)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, then ~/.kube/config)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context (default the current one)")
	fl.StringArrayVarP(&f.namespaces, "namespace", "n", nil, "namespace to read; repeatable (default the context's namespace)")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "read every namespace")
	fl.StringVar(&f.release, "release", "", "count only this Helm release's objects as rendered (default: any release's)")
}

// capture connects with the standard kubeconfig loading rules (--kubeconfig,
// $KUBECONFIG, ~/.kube/config) and reads the chosen namespaces.
func (f *clusterFlags) capture(ctx context.Context) (*cluster.Snapshot, error) {
	if !f.fromCluster {
		return nil, cli.Usage(errors.New("--from-cluster is required: without it the command reads manifests, which the helm-airgap binary does"))
	}
	if f.allNamespaces && len(f.namespaces) > 0 {
		return nil, cli.Usage(errors.New("--all-namespaces and --namespace are exclusive"))
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: f.context})
	config, err := loader.ClientConfig()
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("loading the kubeconfig: %w", err))
	}
	namespaces := f.namespaces
	if !f.allNamespaces && len(namespaces) == 0 {
		ns, _, err := loader.Namespace()
		if err != nil {
			return nil, cli.Usage(fmt.Errorf("reading the context's namespace: %w", err))
		}
		namespaces = []string{ns}
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("connecting to %s: %w", config.Host, err))
	}
	snap, err := cluster.Capture(ctx, client, cluster.Options{Namespaces: namespaces, AllNamespaces: f.allNamespaces, Release: f.release})
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("reading the cluster at %s: %w", config.Host, err))
	}
	return snap, nil
}
