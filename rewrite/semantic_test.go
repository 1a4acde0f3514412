package rewrite

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules"
)

// The semantic comparison behind "no other value changes": the input and
// output streams are decoded (aliases and merge keys resolved), walked side
// by side, and every difference must be an image reference the mapper
// rewrites, whole or after "--flag=", or pull secrets added to a pod spec.

// change is one value the rewrite changed.
type change struct {
	doc       int
	path      string
	from, to  string
	kind      string
	name      string
	namespace string
}

// assertSameExceptImages fails on any difference that is not an image
// rewrite or a pull-secret merge, and returns the image rewrites.
func assertSameExceptImages(t testing.TB, input, output string) []change {
	t.Helper()
	return compareStreams(t, engineOptions(t, testConfig).Mapper, input, output)
}

func compareStreams(t testing.TB, m *rules.Mapper, input, output string) []change {
	t.Helper()
	in, out := decodeAll(t, input), decodeAll(t, output)
	if len(in) != len(out) {
		t.Fatalf("input has %d objects, output %d", len(in), len(out))
	}
	c := &comparer{m: m}
	for i := range in {
		c.doc = i + 1
		c.kind, c.name, c.namespace = identity(in[i])
		c.value("", in[i], out[i])
	}
	if len(c.diffs) > 0 {
		sort.Strings(c.diffs)
		t.Fatalf("%d value(s) changed that are not image references:\n  %s", len(c.diffs), strings.Join(c.diffs, "\n  "))
	}
	return c.changes
}

type comparer struct {
	m                     *rules.Mapper
	doc                   int
	kind, name, namespace string
	changes               []change
	diffs                 []string
}

func identity(v any) (kind, name, namespace string) {
	obj, _ := v.(map[string]any)
	kind, _ = obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ = meta["name"].(string)
	namespace, _ = meta["namespace"].(string)
	return
}

func (c *comparer) fail(path, format string, args ...any) {
	c.diffs = append(c.diffs, fmt.Sprintf("document %d %s %s: %s", c.doc, c.kind, c.name, path)+": "+fmt.Sprintf(format, args...))
}

func (c *comparer) value(path string, in, out any) {
	switch a := in.(type) {
	case map[string]any:
		b, ok := out.(map[string]any)
		if !ok {
			c.fail(path, "mapping became %T", out)
			return
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok {
				c.fail(join(path, k), "key removed")
				continue
			}
			if k == keyImagePullSecrets && isListOrNil(v) && isListOrNil(w) {
				c.pullSecrets(join(path, k), v, w)
				continue
			}
			c.value(join(path, k), v, w)
		}
		for k, w := range b {
			if _, ok := a[k]; ok {
				continue
			}
			if k != keyImagePullSecrets {
				c.fail(join(path, k), "key added")
				continue
			}
			c.pullSecrets(join(path, k), nil, w)
		}
	case []any:
		b, ok := out.([]any)
		if !ok || len(a) != len(b) {
			c.fail(path, "sequence of %d became %v", len(a), out)
			return
		}
		for i := range a {
			c.value(path+"["+strconv.Itoa(i)+"]", a[i], b[i])
		}
	case string:
		b, ok := out.(string)
		if !ok {
			c.fail(path, "string %q became %T %v", a, out, out)
			return
		}
		if a == b {
			return
		}
		if want, ok := c.mapped(a); ok && want == b {
			c.changes = append(c.changes, change{doc: c.doc, path: path, from: a, to: b, kind: c.kind, name: c.name, namespace: c.namespace})
			return
		}
		c.fail(path, "%q became %q", a, b)
	default:
		if fmt.Sprint(in) != fmt.Sprint(out) || fmt.Sprintf("%T", in) != fmt.Sprintf("%T", out) {
			c.fail(path, "%T %v became %T %v", in, in, out, out)
		}
	}
}

var flagValue = regexp.MustCompile(`^(-[^=]*=)(.*)$`)

// mapped is what the rewrite makes of a string that holds a reference.
func (c *comparer) mapped(s string) (string, bool) {
	prefix, ref := "", s
	if m := flagValue.FindStringSubmatch(s); m != nil {
		prefix, ref = m[1], m[2]
	}
	mapping, err := c.m.Map(ref)
	if err != nil || mapping.Status != rules.Rewritten {
		return "", false
	}
	return prefix + mapping.Dest, true
}

// pullSecrets allows the configured names to be appended to a list (or to
// replace an empty one), nothing else.
func (c *comparer) pullSecrets(path string, in, out any) {
	a, _ := in.([]any)
	b, ok := out.([]any)
	if !ok {
		if in != nil || out != nil {
			c.fail(path, "imagePullSecrets %v became %v", in, out)
		}
		return
	}
	if len(b) < len(a) {
		c.fail(path, "imagePullSecrets lost entries: %v -> %v", a, b)
		return
	}
	for i := range a {
		c.value(path+"["+strconv.Itoa(i)+"]", a[i], b[i])
	}
	allowed := map[string]bool{}
	for _, s := range c.m.PullSecrets() {
		allowed[s] = true
	}
	for _, item := range b[len(a):] {
		entry, _ := item.(map[string]any)
		name, _ := entry["name"].(string)
		if len(entry) != 1 || !allowed[name] {
			c.fail(path, "added %v, which is not a configured pull secret", item)
		}
		delete(allowed, name)
	}
}

func isListOrNil(v any) bool {
	_, list := v.([]any)
	return list || v == nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// lookupPath follows "spec.template.spec.containers[0].args[3]" in a
// decoded object.
func lookupPath(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[key]; !ok {
				return nil, false
			}
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(idx)
			list, ok := v.([]any)
			if err != nil || !ok || i >= len(list) {
				return nil, false
			}
			v = list[i]
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return v, true
}
