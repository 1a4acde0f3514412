package admission

import (
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apiserver/pkg/cel/environment"
)

// celEnv is the API server's own CEL environment for new expressions
// (k8s.io/apiserver's base environment: its libraries and its validators,
// the homogeneous-literal one included) at Kubernetes 1.30, the first
// release with ValidatingAdmissionPolicy GA, with the policy's object and
// variables declared as the admission plugin declares them (dyn).
func celEnv(t *testing.T) *cel.Env {
	t.Helper()
	set, err := environment.MustBaseEnvSet(version.MajorMinor(1, 30)).Extend(environment.VersionedOptions{
		IntroducedVersion: version.MajorMinor(1, 0),
		EnvOptions: []cel.EnvOption{
			cel.Variable("object", cel.DynType),
			cel.Variable("variables", cel.MapType(cel.StringType, cel.DynType)),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	env, err := set.Env(environment.NewExpressions)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// evaluate runs the check on an object: whether it is admitted, and the
// message when it is not. Variables are evaluated in order, each seeing
// the earlier ones, as the policy's are.
func evaluate(t *testing.T, env *cel.Env, check Check, object map[string]any) (bool, string) {
	t.Helper()
	run := func(expr string, vars map[string]any) any {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			t.Fatalf("the API server's CEL environment refuses %s: %v", expr, iss.Err())
		}
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := prg.Eval(map[string]any{"object": object, "variables": vars})
		if err != nil {
			t.Fatalf("evaluating %s: %v", expr, err)
		}
		return out.Value()
	}
	vars := map[string]any{}
	for _, v := range check.Variables {
		vars[v.Name] = run(v.Expression, vars)
	}
	if run(check.Expression, vars).(bool) {
		return true, ""
	}
	return false, run(check.MessageExpression, vars).(string)
}

// TestCELAgreesWithMapper: the policy's CEL, in the API server's CEL
// environment, admits exactly the references mapper.Mapper calls internal,
// and names the destination Map gives the others, for references spelt
// every way the runtime accepts.
func TestCELAgreesWithMapper(t *testing.T) {
	env := celEnv(t)
	m := sampleMapper(t)
	digest := "@sha256:" + strings.Repeat("0a", 32)
	refs := []string{
		"nginx", "nginx:1.27", "library/nginx" + digest, "docker.io/nginx:1", "index.docker.io/bitnamilegacy/mongodb:8",
		"Docker.IO/bitnamilegacy/x:1", "docker.io/bitnamilegacy", "bitnamilegacy/redis:7", "bitnamilegacyx/redis:7",
		"registry.internal.example.com/mirror/a:1", "REGISTRY.internal.example.com/x", "registry.internal.example.com:5000/x",
		"localhost/x", "localhost:5000/x:1", "quay.io/jetstack/cert-manager:v1" + digest,
		"europe-west3-docker.pkg.dev/plexicus-registry/platform/api:1",
		"europe-west3-docker.pkg.dev/plexicus-registry/platform-standalone/api:1",
		"europe-west3-docker.pkg.dev/plexicus-registry/platformx/api:1",
		"registry.internal.example.com/plexicus/api:1",
	}
	for _, lock := range []bool{false, true} {
		check := NewCheck(m, lock)
		for _, ref := range refs {
			mapping, err := m.Map(ref)
			if err != nil {
				t.Fatalf("Map(%q): %v", ref, err)
			}
			pod := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": ref}}}}
			admitted, msg := evaluate(t, env, check, pod)
			want := mapping.Status == mapper.Internal && (!lock || strings.Contains(ref, "@"))
			if admitted != want {
				t.Errorf("lock %v, %s: admitted %v, want %v (Map: %s %q)", lock, ref, admitted, want, mapping.Dest, mapping.Rule)
				continue
			}
			switch {
			case admitted:
			case mapping.Status == mapper.Internal:
				if !strings.Contains(msg, "is not pinned to a digest") {
					t.Errorf("%s: message %q does not ask for a digest", ref, msg)
				}
			case !strings.Contains(msg, "container c image "+ref+" ") || !strings.Contains(msg, "maps it to "+mapping.Dest):
				t.Errorf("%s: message %q does not name it and its destination %s", ref, msg, mapping.Dest)
			}
		}
	}
}

// TestCELFindsEveryImage: every place a pod spec holds an image, in a Pod,
// a workload's template and a CronJob's job template, is checked.
func TestCELFindsEveryImage(t *testing.T) {
	env := celEnv(t)
	check := NewCheck(sampleMapper(t), false)
	spec := func(field string) map[string]any {
		pub := []any{map[string]any{"name": "x", "image": "busybox:1"}}
		s := map[string]any{"containers": []any{map[string]any{"name": "ok", "image": mirrorImage}}}
		switch field {
		case "volumes":
			s["volumes"] = []any{map[string]any{"name": "x", "image": map[string]any{"reference": "busybox:1"}}, map[string]any{"name": "cfg", "emptyDir": map[string]any{}}}
		default:
			s[field] = pub
		}
		return s
	}
	for _, field := range []string{"containers", "initContainers", "ephemeralContainers", "volumes"} {
		template := map[string]any{"template": map[string]any{"spec": spec(field)}}
		for kind, object := range map[string]map[string]any{
			"Pod":        {"kind": "Pod", "spec": spec(field)},
			"Deployment": {"kind": "Deployment", "spec": template},
			"CronJob":    {"kind": "CronJob", "spec": map[string]any{"jobTemplate": map[string]any{"spec": template}}},
		} {
			admitted, msg := evaluate(t, env, check, object)
			if admitted || !strings.Contains(msg, " x image busybox:1 ") {
				t.Errorf("%s %s: admitted %v, %q; want refused naming x and busybox:1", kind, field, admitted, msg)
			}
		}
	}
	ok := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "ok", "image": mirrorImage}}}}
	if admitted, msg := evaluate(t, env, check, ok); !admitted {
		t.Errorf("a pod on the mirror is refused: %s", msg)
	}
}
