package main

import (
	"errors"
	"io"
	"sync/atomic"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/spf13/cobra"
)

func newRewriteCommand() *cobra.Command {
	var o options
	var files fileOutput
	cmd := &cobra.Command{
		Use:   "rewrite [FILE|DIR|-]...",
		Short: "Rewrite every image reference to the mirror and add imagePullSecrets",
		Long: `Reads manifests (stdin when no path or "-" is given; files, and directories of
*.yaml, *.yml and *.json otherwise) and writes the rewritten stream to stdout.

Every image reference is mapped by the rules, wherever it is: pod specs of any
resource (containers, initContainers, ephemeralContainers, image volumes),
catalogued custom-resource fields, image-named flags and variables in args,
command and env, image-named keys and values anywhere (ConfigMap and Secret
data, base64 included, annotations, mapping keys), embedded YAML, JSON, shell
scripts and properties, and composites such as registry + repository + tag
(docs/images.md). imagePullSecrets are merged into every pod template. If any reference is left on a registry that is not the
mirror, a rule destination or allowed, nothing is written and the exit code is 1.

Exit codes: 0 success, 1 a public reference or a collision, 2 usage, config or
input error. stdout is empty on every non-zero exit.`,
		Example: `  # As a Helm 3 post-renderer
  helm install app ./chart --post-renderer helm-airgap --post-renderer-args rewrite \
    --post-renderer-args --config=airgap.yaml

  # On any manifest stream
  kubectl kustomize . | helm-airgap rewrite --mirror registry.internal.example.com/mirror

  # Rewrite a directory of manifests into another, or files in place
  helm-airgap rewrite -c airgap.yaml --output-dir rewritten/ rendered/
  helm-airgap rewrite -c airgap.yaml --in-place k8s/*.yaml

  # Rules and pull secrets from flags
  helm template app ./chart | helm-airgap rewrite \
    --rule docker.io/bitnamilegacy=registry.internal.example.com/bitnami \
    --pull-secret my-registry-secret`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if files.enabled() {
				stop := cli.ExitOnSignal("helm-airgap", cmd.ErrOrStderr(), func() string {
					return "no input or output file was changed unless renaming the rewritten files into place had begun (then the originals are kept beside them as " + stagePrefix + "* files); the temporary outputs were removed"
				})
				defer stop()
				return runFiles(cmd, &o, &files, args)
			}
			return runEngine(cmd, &o, args, false)
		},
	}
	o.addFlags(cmd)
	files.addFlags(cmd)
	o.egress.Add(cmd.Flags(), false)
	return cmd
}

// runEngine runs the rewrite engine over the inputs; checkOnly writes no
// stream, only the report.
func runEngine(cmd *cobra.Command, o *options, args []string, checkOnly bool) (err error) {
	failures := captureFailures(cmd, checkOnly) // report.go: failures Helm would hide
	defer func() { err = failures.finish(err) }()
	stdout := &countingWriter{w: cmd.OutOrStdout()}
	stop := cli.ExitOnSignal("helm-airgap", cmd.ErrOrStderr(), stdout.left)
	defer stop()
	session, err := o.load(cmd, checkOnly)
	if err != nil {
		return err
	}
	files, err := expandInputs(args)
	if err != nil {
		return err
	}
	stream := newStreamReader(cmd, files)
	in := &manifests{templates: templates{r: stream}, stream: stream}
	report, err := rewrite.Run(in, stdout, o.tune(session.StreamOptions()))
	err = in.Explain(err) // errors name the input file and its line, not the joined stream's
	var policy *rewrite.PolicyError
	if errors.As(err, &policy) {
		reportImages(cmd, session.Policy(), policy.Report)
		session.Images(policy.Report)
		session.Egress() // the egress report too, for the record; the run has failed already
		return cli.Reported(err)
	}
	if err != nil {
		return err
	}
	messages := cli.Messages(cmd.ErrOrStderr())
	rewrite.WriteNotes(messages.Writer(cli.LevelWarn), &rewrite.Report{Warnings: report.Warnings})
	// Listed even under -q: an ignore entry that silences more than meant
	// must be seen.
	rewrite.WriteNotes(messages.Writer(cli.LevelError), &rewrite.Report{Ignored: report.Ignored})
	if report.InputBytes == 0 {
		verb := "rewrite"
		if checkOnly {
			verb = "check"
		}
		messages.Warnf("the input is empty; there was nothing to %s", verb)
	} else if report.Documents == 0 {
		messages.Warnf("the input holds no documents")
	}
	if checkOnly { // check says what it found by default; it rewrites nothing
		messages.Infof("%d document(s), %d image reference(s), all on the mirror, a rule destination or an allowed registry; no public references",
			report.Documents, report.References)
		return nil
	}
	messages.Debugf("%d document(s), %d image reference(s), %d rewritten, %d pod spec(s) given pull secrets; no public references",
		report.Documents, report.References, report.Rewritten, report.PodSpecs)
	return nil
}

// reportImages prints the offenders of a failed run, and with no config at
// all, where one comes from.
func reportImages(cmd *cobra.Command, policy *settings.Policy, report *rewrite.Report) {
	rewrite.WriteReport(cmd.ErrOrStderr(), report, policy.Mapper)
	if noConfig(policy.Config) {
		cli.Messages(cmd.ErrOrStderr()).Errorf("%s", noConfigHint)
	}
}

// countingWriter counts what reached stdout, so that an interrupted run
// can say whether stdout holds anything.
type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// left says what an interrupted run left on stdout.
func (c *countingWriter) left() string {
	if c.n.Load() == 0 {
		return "nothing was written to stdout"
	}
	return "stdout holds an incomplete stream: discard it"
}
