package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// function is the KRM function: a framework.ResourceListProcessor.
type function struct{}

// policyError is a run that found public references or collisions; its
// results are in the ResourceList and on stderr.
type policyError struct{ framework.Results }

func (e policyError) Error() string { return e.Results.Error() }

// Process rewrites every item, or none: items are replaced only when every
// item has passed.
func (f *function) Process(rl *framework.ResourceList) error {
	cfg, err := loadConfig(rl.FunctionConfig)
	if err != nil {
		return fail(rl, &framework.Result{Severity: framework.Error, Message: err.Error()})
	}
	mapper, err := cfg.Compile()
	if err != nil {
		return fail(rl, &framework.Result{Severity: framework.Error, Message: "invalid configuration: " + err.Error()})
	}
	r := &itemRun{mapper: mapper, sourceItem: map[string]int{}}
	r.opts = rewrite.Options{
		Mapper:      mapper,
		Catalogue:   cfg.Catalogue(),
		Ignore:      cfg.Ignore,
		Workers:     1, // one document per run
		OnImage:     r.onImage,
		Passes:      rewrite.ConfigPasses(cfg), // the config's issuer: rewrite (rewrite/issuer.go)
	}
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
	for _, c := range r.collisions.List() {
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
		return policyError{offenders}
	}
	copy(rl.Items, out)
	rl.Results = append(rl.Results, &framework.Result{
		Severity: framework.Info,
		Message: fmt.Sprintf("%d item(s), %d image reference(s), %d rewritten, %d pod spec(s) given pull secrets; no public references",
			len(rl.Items), r.references, r.rewritten, r.podSpecs),
	})
	return nil
}

// fail records results and returns them as the error that exits 2.
func fail(rl *framework.ResourceList, results ...*framework.Result) error {
	rl.Results = append(rl.Results, results...)
	return framework.Results(results)
}

// itemRun is the state of one Process call.
type itemRun struct {
	mapper     *rules.Mapper
	opts       rewrite.Options
	item       int // the item being rewritten; items are rewritten one at a time
	collisions rules.Collisions
	sourceItem map[string]int // source repository -> first item that uses it
	references int
	rewritten  int
	podSpecs   int
}

func (r *itemRun) onImage(o rewrite.Occurrence) {
	r.collisions.Add(o.Mapping)
	if repo := o.Mapping.Source.Repository(); repo != "" {
		if _, seen := r.sourceItem[repo]; !seen {
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
		where = "container " + o.Container + ": "
	}
	return &framework.Result{
		Severity: framework.Error,
		Message: fmt.Sprintf("%simage %s is not on the mirror, a rule destination or an allowed registry; %s",
			where, o.Mapping.Source.Written, r.mapper.Hint(o.Mapping.Source)),
		ResourceRef: resourceRef(item),
		Field:       &framework.Field{Path: o.Field, CurrentValue: o.Mapping.Source.Written},
		File:        fileOf(item),
	}
}

func resourceRef(item *yaml.RNode) *yaml.ResourceIdentifier {
	return &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: scalarAt(item, "apiVersion"), Kind: scalarAt(item, "kind")},
		NameMeta: yaml.NameMeta{Name: scalarAt(item, "metadata", "name"), Namespace: scalarAt(item, "metadata", "namespace")},
	}
}

// fileOf names the file an item came from, when the orchestrator says (the
// internal annotations, or the legacy ones).
func fileOf(item *yaml.RNode) *framework.File {
	annotation := func(keys ...kioutil.AnnotationKey) string {
		for _, k := range keys {
			if v := scalarAt(item, "metadata", "annotations", string(k)); v != "" {
				return v
			}
		}
		return ""
	}
	path := annotation(kioutil.PathAnnotation, kioutil.LegacyPathAnnotation)
	index := annotation(kioutil.IndexAnnotation, kioutil.LegacyIndexAnnotation)
	if path == "" {
		return nil
	}
	f := &framework.File{Path: path}
	fmt.Sscan(index, &f.Index)
	return f
}
