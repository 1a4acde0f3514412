package main

import (
	"github.com/plexicus/helm-airgap/internal/buildinfo"
	"io"
	"os"

	"github.com/plexicus/helm-airgap/internal/cli"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/command"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// helm-airgap fn execs this binary with "fn" as its first argument;
	// kustomize and kpt exec it with none.
	if len(args) > 0 && args[0] == "fn" {
		args = args[1:]
	}
	cmd := command.Build(&function{errOut: stderr}, command.StandaloneEnabled, true)
	cmd.Use = "helm-airgap fn [FUNCTION_CONFIG [RESOURCES...|-]]"
	cmd.Version = buildinfo.Version(version)
	cmd.SetVersionTemplate("{{.Version}}\n")
	cmd.Short = "Rewrite every image in a KRM ResourceList to the mirror (a kustomize/kpt function)"
	cmd.Long = `Reads a ResourceList on stdin, rewrites every image reference in its items to
the mirror by the rules of its functionConfig, adds imagePullSecrets, and writes
the ResourceList to stdout. A reference that would still be pulled from a public
registry fails the function (exit 1) with one result per offender; a bad
functionConfig or input exits 2. On failure the ResourceList holds the results
and no items, so that kustomize and kpt stop.

functionConfig: kind AirgapConfig (apiVersion helm-airgap/v1) with the
airgap.yaml keys at the top level, or a ConfigMap whose data has mirror, rules
(FROM=TO,...), pullSecrets, allow and, optionally, config (a whole airgap.yaml).
Without one, $HELM_AIRGAP_CONFIG names the config file.

With arguments it runs standalone: the first is the functionConfig file, the
others are resource files ("-" for stdin), and the output is a plain stream.`
	cmd.Example = `  # kustomization.yaml
  transformers:
    - airgap.yaml   # kind: AirgapConfig with a config.kubernetes.io/function annotation
  # kustomize build --enable-alpha-plugins --enable-exec .

  # kpt, imperatively
  kpt fn eval --exec helm-airgap-krm -- mirror=registry.internal.example.com/mirror

  # standalone
  helm-airgap fn airgap-fn.yaml deployment.yaml`
	return cli.Run(cmd, "helm-airgap fn", args, stdin, stdout, stderr)
}
