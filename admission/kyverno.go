package admission

import (
	"github.com/plexicus/helm-airgap/rules/mapper"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Kyverno ClusterPolicy (kyverno.io/v1) is written from these types, a
// subset of Kyverno's own: its Go API lives in the kyverno module, whose
// dependencies are far heavier than this package may import. The field
// names follow the CRD (config/crds/kyverno/kyverno.io_clusterpolicies.yaml
// of Kyverno v1.19.1), which the tests apply to the API server and validate
// every written policy against.
type kyvernoPolicy struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       kyvernoSpec       `json:"spec"`
}

type kyvernoSpec struct {
	Background  bool          `json:"background"`
	EmitWarning bool          `json:"emitWarning,omitempty"`
	Rules       []kyvernoRule `json:"rules"`
}

type kyvernoRule struct {
	Name     string          `json:"name"`
	Match    kyvernoMatch    `json:"match"`
	Validate kyvernoValidate `json:"validate"`
}

type kyvernoMatch struct {
	Any []kyvernoFilter `json:"any"`
}

type kyvernoFilter struct {
	Resources kyvernoResources `json:"resources"`
}

type kyvernoResources struct {
	Kinds             []string              `json:"kinds"`
	Operations        []string              `json:"operations"`
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
	Selector          *metav1.LabelSelector `json:"selector,omitempty"`
}

type kyvernoValidate struct {
	FailureAction           string     `json:"failureAction"`
	AllowExistingViolations bool       `json:"allowExistingViolations"`
	Message                 string     `json:"message"`
	CEL                     kyvernoCEL `json:"cel"`
}

type kyvernoCEL struct {
	Variables   []Variable          `json:"variables"`
	Expressions []kyvernoExpression `json:"expressions"`
}

type kyvernoExpression struct {
	Expression        string `json:"expression"`
	Message           string `json:"message"`
	MessageExpression string `json:"messageExpression"`
}

// kyvernoKinds are the policy's resources in Kyverno's kind syntax. The
// workloads are listed rather than left to Kyverno's autogen, which
// rewrites a rule's object paths for controllers: the CEL already finds
// each kind's pod spec itself (the autogen annotation turns it off).
var kyvernoKinds = []string{
	"Pod", "Pod/ephemeralcontainers",
	"apps/v1/Deployment", "apps/v1/StatefulSet", "apps/v1/DaemonSet", "apps/v1/ReplicaSet",
	"batch/v1/Job", "batch/v1/CronJob",
}

// KyvernoPolicy is the ClusterPolicy with the meaning of the
// ValidatingAdmissionPolicy: the same CEL (Kyverno's validate.cel evaluates
// it as the API server does), deny as Enforce, warn as Audit with
// emitWarning, audit as Audit (a policy report entry).
func KyvernoPolicy(m *mapper.Mapper, o Options) any {
	check := NewCheck(m, o.RequireDigest)
	md := meta(o.Name)
	md.Annotations = map[string]string{
		"pod-policies.kyverno.io/autogen-controllers": "none",
		"policies.kyverno.io/title":                   "Images from the internal registry only (helm-airgap)",
	}
	action := "Enforce"
	if o.Action != Deny {
		action = "Audit"
	}
	return kyvernoPolicy{
		APIVersion: "kyverno.io/v1", Kind: "ClusterPolicy", Metadata: md,
		Spec: kyvernoSpec{
			Background:  true,
			EmitWarning: o.Action == Warn,
			Rules: []kyvernoRule{{
				Name: "images-on-internal-registry",
				Match: kyvernoMatch{Any: []kyvernoFilter{{Resources: kyvernoResources{
					Kinds: kyvernoKinds, Operations: []string{"CREATE", "UPDATE"},
					NamespaceSelector: o.NamespaceSelector, Selector: o.ObjectSelector,
				}}}},
				Validate: kyvernoValidate{
					FailureAction: action,
					// A workload admitted before the policy may still be
					// updated (scaled, relabelled) without being refused.
					AllowExistingViolations: true,
					Message:                 check.Message,
					CEL: kyvernoCEL{
						Variables: check.Variables,
						Expressions: []kyvernoExpression{{
							Expression: check.Expression, Message: check.Message, MessageExpression: check.MessageExpression,
						}},
					},
				},
			}},
		},
	}
}

// WriteKyverno writes the ClusterPolicy as one YAML document.
func WriteKyverno(m *mapper.Mapper, o Options) ([]byte, error) {
	return documents(KyvernoPolicy(m, o))
}
