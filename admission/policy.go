package admission

import (
	"bytes"
	"fmt"

	"github.com/plexicus/helm-airgap/rules/mapper"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Action is what the API server does with a violation.
type Action string

const (
	Deny  Action = "deny"  // refuse the request
	Warn  Action = "warn"  // admit it with a warning to the client
	Audit Action = "audit" // admit it and record the violation in the audit log
)

// ParseAction reads --action.
func ParseAction(s string) (Action, error) {
	switch a := Action(s); a {
	case Deny, Warn, Audit:
		return a, nil
	}
	return "", fmt.Errorf("unknown action %q (use deny, warn or audit)", s)
}

// Options shape the policy beyond the rules.
type Options struct {
	// Name of the policy and its binding.
	Name   string
	Action Action
	// NamespaceSelector and ObjectSelector scope the binding (nil: every
	// namespace, every object).
	NamespaceSelector, ObjectSelector *metav1.LabelSelector
	// RequireDigest refuses an internal image that is not pinned to a
	// digest (the manifests were rewritten with a lock).
	RequireDigest bool
}

// ParseSelector reads a selector flag in label-selector syntax
// ("env in (prod),team!=x"); "" selects everything.
func ParseSelector(flag, s string) (*metav1.LabelSelector, error) {
	if s == "" {
		return nil, nil
	}
	sel, err := metav1.ParseToLabelSelector(s)
	if err != nil {
		return nil, fmt.Errorf("%s: parsing the label selector %q: %w", flag, s, err)
	}
	return sel, nil
}

// podResources are what the policy matches: pods (and the subresource
// kubectl debug uses to add an ephemeral container) and every built-in
// workload with a pod template.
var podResources = []admissionv1.NamedRuleWithOperations{
	namedRule("", "pods", "pods/ephemeralcontainers"),
	namedRule("apps", "deployments", "statefulsets", "daemonsets", "replicasets"),
	namedRule("batch", "jobs", "cronjobs"),
}

func namedRule(group string, resources ...string) admissionv1.NamedRuleWithOperations {
	return admissionv1.NamedRuleWithOperations{RuleWithOperations: admissionv1.RuleWithOperations{
		Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
		Rule: admissionv1.Rule{
			APIGroups: []string{group}, APIVersions: []string{"v1"}, Resources: resources,
		},
	}}
}

// ValidatingAdmissionPolicy is the policy for a mapper.
func ValidatingAdmissionPolicy(m *mapper.Mapper, o Options) *admissionv1.ValidatingAdmissionPolicy {
	check := NewCheck(m, o.RequireDigest)
	fail := admissionv1.Fail
	vars := make([]admissionv1.Variable, len(check.Variables))
	for i, v := range check.Variables {
		vars[i] = admissionv1.Variable{Name: v.Name, Expression: v.Expression}
	}
	reason := metav1.StatusReasonForbidden
	return &admissionv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: meta(o.Name),
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy:    &fail,
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: podResources},
			Variables:        vars,
			Validations: []admissionv1.Validation{{
				Expression:        check.Expression,
				Message:           check.Message,
				MessageExpression: check.MessageExpression,
				Reason:            &reason,
			}},
			// An empty string omits the annotation, as null would; the API
			// server's type check refuses "cond ? null : string".
			AuditAnnotations: []admissionv1.AuditAnnotation{{
				Key:             "images",
				ValueExpression: `variables.denied.map(i, i.field + ' ' + i.name + '=' + i.image).join(', ')`,
			}},
		},
	}
}

// Binding binds the policy with the action and selectors.
func Binding(o Options) *admissionv1.ValidatingAdmissionPolicyBinding {
	actions := map[Action]admissionv1.ValidationAction{Deny: admissionv1.Deny, Warn: admissionv1.Warn, Audit: admissionv1.Audit}
	b := &admissionv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: meta(o.Name),
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        o.Name,
			ValidationActions: []admissionv1.ValidationAction{actions[o.Action]},
		},
	}
	if o.NamespaceSelector != nil || o.ObjectSelector != nil {
		b.Spec.MatchResources = &admissionv1.MatchResources{NamespaceSelector: o.NamespaceSelector, ObjectSelector: o.ObjectSelector}
	}
	return b
}

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "helm-airgap"}}
}

// WriteVAP writes the policy and its binding as two YAML documents.
func WriteVAP(m *mapper.Mapper, o Options) ([]byte, error) {
	return documents(ValidatingAdmissionPolicy(m, o), Binding(o))
}

// documents marshals objects as a YAML stream. Status, empty on what is
// written, and the null creationTimestamp the types carry are dropped:
// they are not the user's to apply.
func documents(objects ...any) ([]byte, error) {
	var out bytes.Buffer
	for i, obj := range objects {
		data, err := yaml.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("writing the policy: %w", err)
		}
		var generic map[string]any
		if err := yaml.Unmarshal(data, &generic); err != nil {
			return nil, fmt.Errorf("writing the policy: %w", err)
		}
		delete(generic, "status")
		if md, ok := generic["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		if data, err = yaml.Marshal(generic); err != nil {
			return nil, fmt.Errorf("writing the policy: %w", err)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(data)
	}
	return out.Bytes(), nil
}
