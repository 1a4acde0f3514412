package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/nodeconfig"
	"github.com/spf13/cobra"
)

func newNodesCommand() *cobra.Command {
	var o options
	var opts nodeconfig.Options
	var outDir string
	cmd := &cobra.Command{
		Use:   "nodes --runtime containerd|crio|k3s|openshift [--output-dir DIR]",
		Short: "Write the container runtime's mirror configuration from the rules, so nodes pull public names from the mirror",
		Long: `nodes writes, from the same config as rewrite, each container runtime's own
mirror configuration for every source registry the rules cover, so that a
pull of an image's public name on a node (an operator's run-time image, the
pause image, kubectl debug) is served by the mirror the rules send it to:

  containerd  certs.d/<host>/hosts.toml, one per source registry (--output-dir)
  crio        registries.conf.d/90-helm-airgap.conf, for CRI-O and Podman
  k3s         registries.yaml, for k3s and RKE2 (mirrors with rewrite rules)
  openshift   an ImageDigestMirrorSet and an ImageTagMirrorSet

The catch-all mirror stands for every well-known public registry and the
hosts the rules name; --registry adds more. A rule the format cannot express
(a repository rename on containerd, rules of one host going to two
registries on k3s) is an error naming the rule and the runtime: the output is
never a configuration that quietly does something else. Credentials are never
written; a note says where the runtime reads them (docs/nodes.md).`,
		Example: `  helm-airgap nodes -c airgap.yaml --runtime containerd --output-dir /etc/containerd
  helm-airgap nodes -c airgap.yaml --runtime crio --block-source > /etc/containers/registries.conf.d/90-helm-airgap.conf
  helm-airgap nodes -c airgap.yaml --runtime openshift | oc apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNodes(cmd, &o, opts, outDir)
		},
	}
	o.addFlags(cmd)
	cli.Unoffered(cmd, "skip-imageless", "report-file", "pull-secret", "max-document-size") // nothing is rewritten
	f := cmd.Flags()
	f.StringVar(&opts.Runtime, "runtime", "", "container runtime format: "+strings.Join(nodeconfig.Runtimes, ", "))
	f.StringVar(&outDir, "output-dir", "", "write the files under this directory (as laid out on the node); required for containerd")
	f.BoolVar(&opts.BlockSource, "block-source", false, "crio: also block pulls from each source registry itself (blocked = true), so an image missing from the mirror fails")
	f.StringArrayVar(&opts.Registries, "registry", nil, "another source registry host the catch-all mirror stands for; repeatable")
	f.StringVar(&opts.Name, "name", "helm-airgap", "openshift: metadata.name of the mirror sets")
	return cmd
}

func runNodes(cmd *cobra.Command, o *options, opts nodeconfig.Options, outDir string) error {
	if opts.Runtime == "" {
		return cli.Usagef("--runtime is required (one of %s)", strings.Join(nodeconfig.Runtimes, ", "))
	}
	session, err := o.load(cmd, true)
	if err != nil {
		return err
	}
	policy := session.Policy()
	out, err := nodeconfig.Generate(policy.Config, policy.Mapper, opts)
	if err != nil {
		return cli.Usage(err)
	}
	if outDir == "" && !out.Stream {
		return cli.Usagef("--runtime %s writes one file per registry (%d files): give --output-dir", opts.Runtime, len(out.Files))
	}
	if outDir != "" {
		err = writeNodeFiles(outDir, out.Files)
	} else {
		err = streamNodeFiles(cmd, out.Files)
	}
	if err != nil {
		return err
	}
	notes := cli.Messages(cmd.ErrOrStderr()).Writer(cli.LevelInfo) // -q hides them
	for _, note := range out.Notes {
		fmt.Fprintf(notes, "helm-airgap: note: %s\n", note)
	}
	return nil
}

// writeNodeFiles writes every file under dir, creating directories.
func writeNodeFiles(dir string, files []nodeconfig.File) error {
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("writing node configuration: %w", err)
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			return fmt.Errorf("writing node configuration: %w", err)
		}
	}
	return nil
}

// streamNodeFiles writes the files to stdout as one stream: one file as it
// is, YAML documents separated by "---".
func streamNodeFiles(cmd *cobra.Command, files []nodeconfig.File) error {
	w := cmd.OutOrStdout()
	for i, f := range files {
		if i > 0 {
			if _, err := fmt.Fprintln(w, "---"); err != nil {
				return err
			}
		}
		if _, err := w.Write(f.Data); err != nil {
			return fmt.Errorf("writing node configuration: %w", err)
		}
	}
	return nil
}
