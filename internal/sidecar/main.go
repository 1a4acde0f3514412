package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/plexicus/helm-airgap/internal/release"
	"github.com/plexicus/helm-airgap/mirror"
	"github.com/plexicus/helm-airgap/plan"
	"github.com/plexicus/helm-airgap/rules/reference"
)

// defaultPlatforms are the platforms Argo CD's own images ship for.
const defaultPlatforms = "linux/amd64,linux/arm64"

// defaultRepository is the name the sidecar patch (argocd/repo-server-patch.yaml)
// and the kustomize Component use for the image.
const defaultRepository = "registry.internal.example.com/helm-airgap/argocd-cmp"

func main() {
	root := flag.String("root", ".", "the checkout")
	out := flag.String("out", "dist", "output directory")
	platforms := flag.String("platforms", defaultPlatforms, "comma-separated linux/GOARCH list")
	repository := flag.String("image", defaultRepository, "the repository the image is pushed to; tagged with the version")
	flag.Parse()
	if err := run(*root, *out, *platforms, *repository, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "sidecar: %v\n", err)
		os.Exit(1)
	}
}

func run(root, out, platformList, repository string, log io.Writer) error {
	platforms, err := release.ParsePlatforms(platformList)
	if err != nil {
		return err
	}
	target, digest, err := build(root, out, platforms, repository, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "%s: %s@%s\n", target, repository, digest)
	return nil
}

// build builds the binaries for every platform and writes the image's
// archive into out; it returns the archive's path and the index digest.
func build(root, out string, platforms []release.Platform, repository string, log io.Writer) (string, v1.Hash, error) {
	for _, pf := range platforms {
		if pf.OS != "linux" {
			return "", v1.Hash{}, fmt.Errorf("platform %s: the sidecar runs on Linux nodes only", pf)
		}
	}
	version, err := release.PluginVersion(filepath.Join(root, "plugin.yaml"))
	if err != nil {
		return "", v1.Hash{}, err
	}
	ref, err := imageRef(repository, version)
	if err != nil {
		return "", v1.Hash{}, err
	}
	pluginYAML, err := os.ReadFile(filepath.Join(root, "argocd", "plugin.yaml"))
	if err != nil {
		return "", v1.Hash{}, fmt.Errorf("reading the plugin config: %w", err)
	}
	stage, err := os.MkdirTemp("", "helm-airgap-image-*")
	if err != nil {
		return "", v1.Hash{}, err
	}
	defer os.RemoveAll(stage)

	c := contents{pluginYAML: pluginYAML, version: version, date: release.SourceDate()}
	var images []platformImage
	for _, pf := range platforms {
		dir := filepath.Join(stage, pf.Dir())
		binaries, err := buildBinaries(root, pf, version, dir, log)
		if err != nil {
			return "", v1.Hash{}, err
		}
		img, err := c.image(pf, binaries)
		if err != nil {
			return "", v1.Hash{}, fmt.Errorf("assembling the image for %s: %w", pf, err)
		}
		images = append(images, platformImage{pf, img})
	}
	idx := imageIndex(images)
	target := filepath.Join(out, "argocd-cmp-"+version+".tar")
	if err := writeArchive(idx, ref, target, log); err != nil {
		return "", v1.Hash{}, err
	}
	digest, err := idx.Digest()
	return target, digest, err
}

// imageRef is the image's name: the repository, tagged with the version.
func imageRef(repository, version string) (reference.Ref, error) {
	repo, err := reference.Parse(repository)
	if err != nil {
		return reference.Ref{}, fmt.Errorf("image repository: %w", err)
	}
	if repo.Suffix != "" {
		return reference.Ref{}, fmt.Errorf("image repository %q: give it without a tag or digest (the image is tagged with the version, %s)", repository, version)
	}
	return reference.Parse(repo.Repository() + ":" + version)
}

// buildBinaries builds Helm and every cmd/* binary (the fast one execs its
// companions: argocd generate is helm-airgap-helm's) for a platform into
// dir, and returns their paths by name.
func buildBinaries(root string, pf release.Platform, version, dir string, log io.Writer) (map[string]string, error) {
	commands, err := release.Commands(root)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "building %s and helm for %s\n", strings.Join(commands, ", "), pf)
	// Helm, with ldflags of its own, builds beside the commands: two go
	// builds at once keep both cores busy through each one's links.
	var helmErr error
	helmBuilt := make(chan struct{})
	go func() {
		defer close(helmBuilt)
		helmErr = release.BuildHelm(root, pf, filepath.Join(dir, "helm"))
	}()
	err = release.BuildCommands(root, commands, pf, version, dir)
	<-helmBuilt
	if err = errors.Join(err, helmErr); err != nil {
		return nil, err
	}
	binaries := map[string]string{"helm": filepath.Join(dir, "helm")}
	for _, name := range commands {
		binaries[name] = filepath.Join(dir, name)
	}
	return binaries, nil
}

// writeArchive writes the index as `mirror --to-archive` writes an image:
// an OCI image layout tar whose index.json entry names the image's
// destination, under the image's repository as the recorded mirror prefix.
// A previous archive is replaced, not added to.
func writeArchive(idx v1.ImageIndex, ref reference.Ref, target string, log io.Writer) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	if err := os.Remove(target); err != nil && !os.IsNotExist(err) {
		return err
	}
	client, err := mirror.New(mirror.Options{Log: log, NoReferrers: true})
	if err != nil {
		return err
	}
	item := mirror.Item{
		Image:    plan.Image{Source: ref.Written, Destination: ref.Written, Status: plan.Copy},
		Artifact: idx,
	}
	opts := mirror.ArchiveOptions{Prefixes: []string{ref.Repository()}}
	report, err := client.ToArchive(context.Background(), []mirror.Item{item}, target, opts)
	if err != nil {
		return err
	}
	if !report.OK() {
		return fmt.Errorf("writing %s: %w", target, report.Results[0].Err)
	}
	return nil
}
