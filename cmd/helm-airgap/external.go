package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
)

// external is a subcommand served by a companion binary. Commands that need
// the Helm SDK, a registry client or the kyaml function framework live in
// their own binaries so that rewrite, which Helm runs on every install,
// never pays for initialising them.
type external struct {
	name, binary, short string
}

var externalCommands = []external{
	{"template", "helm-airgap-helm", "Render a chart with Helm 3 and rewrite every manifest, hooks included"},
	{"install", "helm-airgap-helm", "Install a chart with Helm 3, rewriting every manifest, hooks included"},
	{"upgrade", "helm-airgap-helm", "Upgrade a release with Helm 3, rewriting every manifest, hooks included"},
	{"rollback", "helm-airgap-helm", "Roll a release back with Helm 3, rewriting the revision's manifests, hooks included"},
	{"argocd", "helm-airgap-helm", "The Argo CD config management plugin's steps (argocd generate)"},
	{"mirror", "helm-airgap-registry", "Copy every image the manifests use to its mirror destination"},
	{"verify", "helm-airgap-registry", "Check that every destination image exists in the internal registry"},
	{"inventory", "helm-airgap-registry", "List what the internal registry already holds for the plan's destinations"},
	{"resolve", "helm-airgap-registry", "Write a lock file from the source registries, copying nothing"},
	{"fn", "helm-airgap-krm", "Run as a kustomize/kpt KRM function (ResourceList on stdin)"},
	{"policy", clusterCompanion, "Write the admission policy (ValidatingAdmissionPolicy or Kyverno) that enforces the rules in the cluster"},
}

// clusterCompanion serves policy, and images and check with --from-cluster:
// reading a live cluster needs client-go.
const clusterCompanion = "helm-airgap-cluster"

// fromCluster reports whether a command line is images or check reading a
// live cluster (--from-cluster before any "--"), which the cluster
// companion serves: the fast binary neither reads clusters nor knows the
// kubeconfig flags.
func fromCluster(args []string) bool {
	if len(args) == 0 || (args[0] != "images" && args[0] != "check") {
		return false
	}
	for _, arg := range args[1:] {
		if arg == "--" {
			return false
		}
		if arg == "--from-cluster" || arg == "--from-cluster=true" {
			return true
		}
	}
	return false
}

// execCompanion replaces this process with a companion running args.
func execCompanion(binary string, args []string) error {
	path, err := findCompanion(binary)
	if err != nil {
		return cli.Usage(fmt.Errorf("%s: %w", args[0], err))
	}
	return syscall.Exec(path, append([]string{path}, args...), os.Environ())
}

func newExternalCommand(e external) *cobra.Command {
	return &cobra.Command{
		Use:                e.name,
		Short:              e.short,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return execCompanion(e.binary, append([]string{e.name}, args...))
		},
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return completeCompanion(e, args, toComplete)
		},
	}
}

// completeCompanion asks the companion for the completions of its command
// (cobra's __complete protocol: one completion a line, then ":DIRECTIVE"),
// so shell completion knows the companions' flags too.
func completeCompanion(e external, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	path, err := findCompanion(e.binary)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	argv := append(append([]string{cobra.ShellCompRequestCmd, e.name}, args...), toComplete)
	out, err := exec.Command(path, argv...).Output()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	directive := cobra.ShellCompDirectiveDefault
	if n := len(lines); n > 0 && strings.HasPrefix(lines[n-1], ":") {
		if d, err := strconv.Atoi(lines[n-1][1:]); err == nil {
			directive = cobra.ShellCompDirective(d)
		}
		lines = lines[:n-1]
	}
	var completions []string
	for _, line := range lines {
		if line != "" && !strings.HasPrefix(line, "Completion ended with directive") {
			completions = append(completions, line)
		}
	}
	return completions, directive
}

// findCompanion looks for a companion binary beside this one, then on PATH.
func findCompanion(name string) (string, error) {
	if self, err := os.Executable(); err == nil {
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		candidate := filepath.Join(filepath.Dir(self), name)
		if info, err := os.Stat(candidate); err == nil && !info.IsDir() {
			return candidate, nil
		}
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", errors.New("the companion binary " + name + " is neither beside helm-airgap nor on PATH (make build puts it in bin/)")
	}
	return path, nil
}
