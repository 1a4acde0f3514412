package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/release"
)

// One runner for the four release commands.
//
// install, upgrade, template and rollback run Helm's actions of the same
// names with the rewriter in place. They share most of their flags and all
// of their steps: check the arguments, assemble the policy, initialise Helm
// with the hook rewriter in front of its storage, prepare the action, run
// it, take the verdict, print. releaseRunner is that one path; what a
// command adds is data and two small functions (releaseAction).

// flagGroup names a set of flags that several release commands share; a
// command lists the groups it has, and each flag is declared once, in
// releaseFlags.bind.
type flagGroup uint

const (
	// chartFlags locate the chart and read the values: install, upgrade,
	// template.
	chartFlags flagGroup = 1 << iota
	// hookFlags: --no-hooks, for every release command.
	hookFlags
	// renderFlags say how the chart is rendered and the release labelled:
	// install, upgrade, template.
	renderFlags
	// changeFlags say how a change is made to the cluster: install, upgrade.
	changeFlags
	// waitFlags: install, upgrade, rollback.
	waitFlags
	// historyFlags are about the revisions a change leaves: upgrade,
	// rollback.
	historyFlags
)

// releaseFlags are the values of every shared flag. The Helm action is
// built from them when the command runs, so that `upgrade --install`
// installs a missing release with the very flags install reads.
type releaseFlags struct {
	chart action.ChartPathOptions
	devel bool

	noHooks bool

	skipCRDs, noOpenAPIValidation, skipSchemaValidation, subNotes, enableDNS bool
	labels                                                                   map[string]string
	description                                                              string

	dryRun                                            string
	createNamespace, atomic, hideNotes, takeOwnership bool

	wait, waitForJobs bool
	timeout           time.Duration

	force, cleanupOnFail bool
	historyMax           int
}

// bind declares the flags of groups on f; what is "an install" or "an
// upgrade" in a flag's help is action.
func (fl *releaseFlags) bind(f *pflag.FlagSet, groups flagGroup, action string) {
	if groups&chartFlags != 0 {
		addChartPathFlags(f, &fl.chart, &fl.devel)
	}
	if groups&hookFlags != 0 {
		f.BoolVar(&fl.noHooks, "no-hooks", false, "prevent hooks from running")
	}
	if groups&renderFlags != 0 {
		f.BoolVar(&fl.skipCRDs, "skip-crds", false, "if set, no CRDs will be installed")
		f.BoolVar(&fl.noOpenAPIValidation, "disable-openapi-validation", false, "do not validate rendered templates against the Kubernetes OpenAPI schema")
		f.BoolVar(&fl.skipSchemaValidation, "skip-schema-validation", false, "disable JSON schema validation")
		f.BoolVar(&fl.subNotes, "render-subchart-notes", false, "render subchart notes along with the parent")
		f.BoolVar(&fl.enableDNS, "enable-dns", false, "enable DNS lookups when rendering templates")
		f.StringToStringVarP(&fl.labels, "labels", "l", nil, "labels added to the release metadata")
		f.StringVar(&fl.description, "description", "", "a custom description")
	}
	if groups&changeFlags != 0 {
		f.StringVar(&fl.dryRun, "dry-run", "", fmt.Sprintf(`simulate an %s: "client" (the default when given without a value) or "server"; like helm 3, both talk to the cluster`, action))
		f.Lookup("dry-run").NoOptDefVal = "client"
		f.BoolVar(&fl.createNamespace, "create-namespace", false, "create the release namespace if not present")
		f.BoolVar(&fl.atomic, "atomic", false, "delete the installation on failure; sets --wait")
		f.BoolVar(&fl.hideNotes, "hide-notes", false, "do not show notes in the output")
		f.BoolVar(&fl.takeOwnership, "take-ownership", false, "ignore the check for helm annotations and take ownership of the existing resources")
	}
	if groups&waitFlags != 0 {
		f.BoolVar(&fl.wait, "wait", false, "wait until all resources are ready before marking the release successful, for as long as --timeout")
		f.BoolVar(&fl.waitForJobs, "wait-for-jobs", false, "with --wait, also wait until all Jobs have completed")
		f.DurationVar(&fl.timeout, "timeout", 300*time.Second, "time to wait for any individual Kubernetes operation (like Jobs for hooks)")
	}
	if groups&historyFlags != 0 {
		f.BoolVar(&fl.force, "force", false, "force resource updates through a replacement strategy")
		f.IntVar(&fl.historyMax, "history-max", 10, "limit the maximum number of revisions saved per release; 0 for no limit")
		f.BoolVar(&fl.cleanupOnFail, "cleanup-on-fail", false, fmt.Sprintf("allow deletion of new resources created in this %[1]s when %[1]s fails", action))
	}
}

// signalHandling is what a stop signal does to a release command.
type signalHandling int

const (
	// signalsDefault: Go's default, the process ends (rollback, whose Helm
	// action takes no context).
	signalsDefault signalHandling = iota
	// signalsExit: the process ends saying nothing was written (template,
	// which changes nothing).
	signalsExit
	// signalsStop: the Helm action is cancelled through its context and
	// stops between steps (install, upgrade).
	signalsStop
)

// releaseAction is what one release command adds to the shared run.
type releaseAction struct {
	name    string    // "install": in flag help
	groups  flagGroup // the shared flags it has
	signals signalHandling
	// usage is the help of shared flags whose meaning differs here.
	usage map[string]string
	// check reads the arguments and the command's own flags before
	// anything starts; nil when there is nothing to check.
	check func(args []string) error
	// prepare sets the Helm action up, cfg initialised with the rewriter in
	// front of its storage, and returns the step to run.
	prepare func(r *releaseRunner, cmd *cobra.Command, rw *rewriter, args []string) (helmStep, error)
}

// helmStep is a prepared Helm action.
type helmStep struct {
	what string // "install": in the failure message
	// run runs the action; the release it returns, if any, has its hooks
	// rewritten and the verdict taken before report prints it.
	run    func(ctx context.Context) (*release.Release, error)
	report func(out io.Writer, rel *release.Release) error
}

// releaseRunner runs one release command: its Helm settings, values and
// helm-airgap flags (helmOptions), its action configuration and the shared
// flags.
type releaseRunner struct {
	helm   *helmOptions
	cfg    *action.Configuration
	flags  releaseFlags
	action releaseAction
}

// newReleaseRunner declares a's flags on cmd and makes the runner its RunE;
// the command declares its own flags after.
func newReleaseRunner(cmd *cobra.Command, a releaseAction) *releaseRunner {
	r := &releaseRunner{helm: newHelmOptions(), cfg: new(action.Configuration), action: a}
	f := cmd.Flags()
	r.flags.bind(f, a.groups, a.name)
	for name, usage := range a.usage {
		f.Lookup(name).Usage = usage
	}
	r.helm.addFlags(f, a.groups&chartFlags != 0)
	cmd.RunE = r.run
	return r
}

// run is the one path of every release command.
func (r *releaseRunner) run(cmd *cobra.Command, args []string) error {
	if r.action.signals == signalsExit {
		stop := cli.ExitOnSignal("helm-airgap", cmd.ErrOrStderr(), func() string { return "nothing was written to stdout" })
		defer stop()
	}
	if err := r.check(args); err != nil {
		return err
	}
	rw, err := r.helm.airgap.rewriter(cmd)
	if err != nil {
		return err
	}
	if err := r.helm.initAction(r.cfg, rw, cmd.ErrOrStderr()); err != nil {
		return err
	}
	step, err := r.action.prepare(r, cmd, rw, args)
	if err != nil {
		return err
	}
	rel, err := r.execute(step, rw)
	if err != nil {
		return failure(cmd, rw, step.what, err)
	}
	if err := step.report(cmd.OutOrStdout(), rel); err != nil {
		return err
	}
	summary(cmd, rw)
	return nil
}

// check validates, before anything is read, the arguments and the flag
// values Helm would only reject late: --dry-run's (defaulting it to none,
// as helm does), then the command's own.
func (r *releaseRunner) check(args []string) error {
	if r.action.groups&changeFlags != 0 {
		if r.flags.dryRun == "" {
			r.flags.dryRun = "none"
		}
		if err := checkDryRun(r.flags.dryRun); err != nil {
			return err
		}
	}
	if r.action.check == nil {
		return nil
	}
	return r.action.check(args)
}

// interruptedChange is what an install or upgrade stopped by a signal
// leaves: Helm stops between steps, so the release is whatever it reached.
const interruptedChange = "Helm stopped where it was: check the release with helm status and helm history"

// execute runs step, under a signal context for the actions that stop on
// one, and rewrites the hooks of the release it returns: dry runs and
// template never persist it (see hooks.go).
func (r *releaseRunner) execute(step helmStep, rw *rewriter) (*release.Release, error) {
	ctx := context.Background()
	var signals *cli.SignalContext
	if r.action.signals == signalsStop {
		signals = cli.NewSignalContext()
		defer signals.Stop()
		ctx = signals
	}
	rel, err := step.run(ctx)
	if err == nil && rel != nil {
		err = rw.finish(rel)
	}
	if signals != nil {
		err = signals.Interrupted(err, interruptedChange)
	}
	return rel, err
}

// load is what install, upgrade and template read before rendering: the
// registry client (given to the action through setRegistry, and to cfg),
// the chart ref located with c, and the values.
func (r *releaseRunner) load(cmd *cobra.Command, c *action.ChartPathOptions, setRegistry func(*registry.Client), ref string) (*chart.Chart, map[string]any, error) {
	rc, err := r.helm.registryClient(c, cmd.ErrOrStderr())
	if err != nil {
		return nil, nil, err
	}
	setRegistry(rc)
	r.cfg.RegistryClient = rc
	ch, err := r.helm.loadChart(c, r.flags.devel, ref)
	if err != nil {
		return nil, nil, err
	}
	vals, err := r.helm.mergeValues()
	if err != nil {
		return nil, nil, err
	}
	return ch, vals, nil
}

// checkDryRun validates --dry-run's value as helm does.
func checkDryRun(v string) error {
	switch v {
	case "false", "true", "none", "client", "server":
		return nil
	}
	return cli.Usage(fmt.Errorf(`invalid --dry-run value %q: use "client", "server" or "none"`, v))
}
