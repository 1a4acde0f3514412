// Command argocd-cmpdrive plays Argo CD's repo-server for one manifest
// generation: it reads a repo-server ManifestRequest (JSON, on stdin) for a
// repository already checked out in --repo and hands it to the repo-server's
// own GenerateManifests, which, for a plugin source, computes the plugin
// environment (ARGOCD_APP_*, KUBE_VERSION, KUBE_API_VERSIONS, ARGOCD_ENV_*,
// ARGOCD_APP_PARAMETERS and PARAM_*), finds the argocd-cmp-server under
// ARGOCD_PLUGINSOCKFILEPATH (by name or by discovery) and streams it the
// repository as a tar.gz over gRPC. The manifests the repo-server would apply
// are printed as a YAML stream (one JSON document each); an error goes to
// stderr with exit status 1.
//
// Only tests run it (internal/argocdtest); nothing here is Argo CD code of
// our own but this wiring.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/reposerver/apiclient"
	"github.com/argoproj/argo-cd/v3/reposerver/repository"
	apppath "github.com/argoproj/argo-cd/v3/util/app/path"
	"github.com/argoproj/argo-cd/v3/util/git"
	utilio "github.com/argoproj/argo-cd/v3/util/io"
)

func main() {
	repo := flag.String("repo", "", "the checked-out repository the request's applicationSource.path is relative to")
	revision := flag.String("revision", "0123456789abcdef0123456789abcdef01234567", "the commit the repository is checked out at (ARGOCD_APP_REVISION)")
	flag.Parse()
	if *repo == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: argocd-cmpdrive --repo DIR [--revision SHA] < manifest-request.json")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *repo, *revision, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "argocd-cmpdrive:", err)
		os.Exit(1)
	}
}

// run generates the manifests for the request read from in and writes them
// to out.
func run(ctx context.Context, repo, revision string, in io.Reader, out io.Writer) error {
	var q apiclient.ManifestRequest
	if err := json.NewDecoder(in).Decode(&q); err != nil {
		return fmt.Errorf("reading the manifest request: %w", err)
	}
	if q.ApplicationSource == nil {
		return fmt.Errorf("the manifest request has no applicationSource")
	}
	if q.Repo == nil {
		// The repo-server always has the Application's repository; its URL
		// becomes ARGOCD_APP_SOURCE_REPO_URL.
		q.Repo = &v1alpha1.Repository{}
	}
	root, err := filepath.Abs(repo)
	if err != nil {
		return err
	}
	appPath, err := apppath.Path(root, q.ApplicationSource.Path)
	if err != nil {
		return fmt.Errorf("application path %q: %w", q.ApplicationSource.Path, err)
	}
	tmp, err := os.MkdirTemp("", "argocd-cmpdrive-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	res, err := repository.GenerateManifests(ctx, appPath, root, revision, &q, false, git.NoopCredsStore{},
		resource.MustParse("100M"), utilio.NewRandomizedTempPaths(tmp))
	if err != nil {
		return err
	}
	for _, manifest := range res.Manifests {
		if _, err := fmt.Fprintf(out, "---\n%s\n", manifest); err != nil {
			return err
		}
	}
	return nil
}
