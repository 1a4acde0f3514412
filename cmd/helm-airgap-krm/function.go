package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// function is the KRM function: a framework.ResourceListProcessor.
type function struct {
	errOut io.Writer // the egress report; stderr when nil
}

func (f *function) stderr() io.Writer {
	if f.errOut == nil {
		return os.Stderr
	}
	return f.errOut
}

// Process rewrites every item, or none: items are replaced only when every
// item has passed. On any failure the ResourceList keeps its error results
// and no item at all, so that kustomize and kpt stop and nothing
// unrewritten flows on.
func (f *function) Process(rl *framework.ResourceList) error {
	err := f.process(rl)
	if err != nil {
		rl.Items = nil
	}
	return err
}

func (f *function) process(rl *framework.ResourceList) error {
	cfg, err := loadConfig(rl.FunctionConfig)
	if err != nil {
		return fail(rl, &framework.Result{Severity: framework.Error, Message: err.Error()})
	}
	policy, err := settings.Load(settings.Request{Config: cfg})
	if err != nil {
		return fail(rl, &framework.Result{Severity: framework.Error, Message: err.Error()})
	}
	session := policy.Start(io.Discard, f.stderr())
	r := &itemRun{mapper: policy.Mapper, sourceItem: map[string]int{}}
	r.opts = session.Options()
	r.opts.Workers = 1 // one document per run
	r.opts.Observe(rewrite.Observer{Image: r.onImage})
	out := make([]*yaml.RNode, len(rl.Items))
	var inputErrors, offenders framework.Results
	for i, item := range rl.Items {
		r.item = i
		node, results, err := r.rewriteItem(item)
		if err != nil {
			inputErrors = append(inputErrors, &framework.Result{
				Severity: framework.Error, Message: err.Error(), ResourceRef: resourceRef(item), File: fileOf(item),
			})
			continue
		}
		offenders = append(offenders, results...)
		out[i] = node
	}
	for _, c := range session.Collisions() {
		item := rl.Items[r.sourceItem[c.Second]]
		offenders = append(offenders, &framework.Result{
			Severity: framework.Error, Message: "destination collision: " + c.String() + "; give one of them its own rule",
			ResourceRef: resourceRef(item), File: fileOf(item),
		})
	}
	if len(inputErrors) > 0 {
		return fail(rl, append(inputErrors, offenders...)...)
	}
	if len(offenders) > 0 {
		rl.Results = append(rl.Results, offenders...)
		return cli.Policy(offenders)
	}
	if err := session.Egress(); err != nil { // a strict egress audit over every item
		rl.Results = append(rl.Results, &framework.Result{Severity: framework.Error, Message: "egress: " + errors.Unwrap(err).Error() + " (the report is on stderr)"})
		return err
	}
	copy(rl.Items, out)
	rl.Results = append(rl.Results, &framework.Result{
		Severity: framework.Info,
		Message: fmt.Sprintf("%d item(s), %d image reference(s), %d rewritten, %d pod spec(s) given pull secrets; no public references",
			len(rl.Items), r.references, r.rewritten, r.podSpecs),
	})
	return nil
}

// fail records results and returns them as a usage error (exit 2).
func fail(rl *framework.ResourceList, results ...*framework.Result) error {
	rl.Results = append(rl.Results, results...)
	return cli.Usage(framework.Results(results))
}

// itemRun is the state of one Process call.
type itemRun struct {
	mapper     *mapper.Mapper
	opts       rewrite.Options
	item       int            // the item being rewritten; items are rewritten one at a time
	sourceItem map[string]int // source repository -> first item that uses it
	references int
	rewritten  int
	podSpecs   int
}

func (r *itemRun) onImage(o rewrite.Occurrence) {
	if repo := o.Mapping.Source.Repository(); repo != "" {
		if _, seen := r.sourceItem[repo]; !seen { // the first item using it names a collision
			r.sourceItem[repo] = r.item
		}
	}
}

// rewriteItem runs the engine on one item. It returns the node to keep: the
// item itself when nothing changed, so a no-op is exact.
func (r *itemRun) rewriteItem(item *yaml.RNode) (*yaml.RNode, framework.Results, error) {
	in, err := item.String()
	if err != nil {
		return nil, nil, fmt.Errorf("serializing the item: %w", err)
	}
	var out bytes.Buffer
	report, err := rewrite.Run(strings.NewReader(in), &out, r.opts)
	var policy *rewrite.PolicyError
	if errors.As(err, &policy) {
		// Collisions are reported once, for the whole list, by Process.
		var results framework.Results
		for _, o := range policy.Report.Offenders {
			results = append(results, r.offenderResult(item, o))
		}
		return nil, results, nil
	}
	if err != nil {
		return nil, nil, err
	}
	r.references += report.References
	r.rewritten += report.Rewritten
	r.podSpecs += report.PodSpecs
	if out.String() == in {
		return item, nil, nil
	}
	node, err := yaml.Parse(out.String())
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the rewritten item: %w", err)
	}
	return node, nil, nil
}

// offenderResult describes a reference still on a public registry.
func (r *itemRun) offenderResult(item *yaml.RNode, o rewrite.Occurrence) *framework.Result {
	where := ""
	if o.Container != "" {
		where = "container " + yamlnode.Printable(o.Container) + ": "
	}
	return &framework.Result{
		Severity: framework.Error,
		Message: fmt.Sprintf("%simage %s is not on the mirror, a rule destination or an allowed registry; %s",
			where, yamlnode.Printable(o.Mapping.Source.Written), r.mapper.Hint(o.Mapping.Source)),
		ResourceRef: resourceRef(item),
		Field:       &framework.Field{Path: o.Field, CurrentValue: o.Mapping.Source.Written},
		File:        fileOf(item),
	}
}

func resourceRef(item *yaml.RNode) *yaml.ResourceIdentifier {
	r := yamlnode.Identify(item.YNode())
	return &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: r.APIVersion, Kind: r.Kind},
		NameMeta: yaml.NameMeta{Name: r.Name, Namespace: r.Namespace},
	}
}

// fileOf names the file an item came from, when the orchestrator says (the
// internal annotations, or the legacy ones).
func fileOf(item *yaml.RNode) *framework.File {
	annotation := func(keys ...kioutil.AnnotationKey) string {
		for _, k := range keys {
			if v := yamlnode.ScalarAt(item.YNode(), "metadata", "annotations", string(k)); v != "" {
				return v
			}
		}
		return ""
	}
	//lint:ignore SA1019 older kustomize and kpt still write only the legacy annotations
	path := annotation(kioutil.PathAnnotation, kioutil.LegacyPathAnnotation)
	//lint:ignore SA1019 as above
	index := annotation(kioutil.IndexAnnotation, kioutil.LegacyIndexAnnotation)
	if path == "" {
		return nil
	}
	f := &framework.File{Path: path}
	fmt.Sscan(index, &f.Index)
	return f
}
