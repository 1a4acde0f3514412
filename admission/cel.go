package admission

import (
	"sort"
	"strconv"
	"strings"

	"github.com/plexicus/helm-airgap/rules/mapper"
)

// Variable is a named CEL expression; later ones may use earlier ones as
// variables.NAME. ValidatingAdmissionPolicy and Kyverno's validate.cel share
// the shape.
type Variable struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
}

// Check is the CEL the policies evaluate: the variables, the expression
// that admits, the static message and the message expression that names
// every offender.
type Check struct {
	Variables         []Variable
	Expression        string
	Message           string
	MessageExpression string
}

// The variables are computed in stages because CEL in the API server has no
// local bindings (cel.bind is not in its environment): each stage maps the
// list of the previous one to maps, adding what the next needs. Every value
// is wrapped in string(): the API server refuses a map literal whose values
// are not all of one type (ValidateHomogeneousAggregateLiterals), and a
// field of the object, or of a variable, is dyn.
const (
	// spec is the pod spec of a Pod, a workload's template or a CronJob's
	// job template, told apart by the fields they have (object.kind is not
	// relied on for subresource requests).
	specExpr = `has(object.spec.jobTemplate) ? object.spec.jobTemplate.spec.template.spec : ` +
		`(has(object.spec.template) ? object.spec.template.spec : object.spec)`

	// parsed cuts the digest, then a tag (a colon after the last slash; a
	// port's colon comes before one), leaving the repository as written.
	parsedExpr = `variables.refs.map(r, {'field': string(r.field), 'name': string(r.name), 'image': string(r.image), ` +
		`'repo': string(r.image.split('@')[0].lastIndexOf(':') > r.image.split('@')[0].lastIndexOf('/') ` +
		`? r.image.split('@')[0].substring(0, r.image.split('@')[0].lastIndexOf(':')) : r.image.split('@')[0])})`

	// normalized splits off the registry: the first component when it
	// holds a dot or a colon or is localhost (and a slash follows), as
	// distribution/reference decides; docker.io otherwise.
	normalizedExpr = `variables.parsed.map(r, {'field': string(r.field), 'name': string(r.name), 'image': string(r.image), 'repo': string(r.repo), ` +
		`'domain': string(` + explicitDomain + ` ? (r.repo.split('/')[0].lowerAscii() == 'index.docker.io' ? 'docker.io' : r.repo.split('/')[0].lowerAscii()) : 'docker.io'), ` +
		`'path': string(` + explicitDomain + ` ? r.repo.substring(r.repo.split('/')[0].size() + 1) : r.repo)})`
	explicitDomain = `(r.repo.contains('/') && (r.repo.split('/')[0].contains('.') || r.repo.split('/')[0].contains(':') || r.repo.split('/')[0] == 'localhost'))`

	// images adds Docker Hub's library/ and the normalized repository.
	imagesExpr = `variables.normalized.map(r, {'field': string(r.field), 'name': string(r.name), 'image': string(r.image), 'domain': string(r.domain), ` +
		`'path': string(r.domain == 'docker.io' && !r.path.contains('/') ? 'library/' + r.path : r.path), ` +
		`'repository': string(r.domain + '/' + (r.domain == 'docker.io' && !r.path.contains('/') ? 'library/' + r.path : r.path)), ` +
		`'suffix': string(r.image.substring(r.repo.size()))})`
)

// refsExpr lists every image of the pod spec with where it is.
func refsExpr() string {
	list := func(field, label string) string {
		return `(has(variables.spec.` + field + `) ? variables.spec.` + field +
			`.map(c, {'field': '` + label + `', 'name': string(c.name), 'image': has(c.image) ? string(c.image) : ''}) : [])`
	}
	volumes := `(has(variables.spec.volumes) ? variables.spec.volumes.filter(v, has(v.image)).map(v, ` +
		`{'field': 'image volume', 'name': string(v.name), 'image': has(v.image.reference) ? string(v.image.reference) : ''}) : [])`
	return strings.Join([]string{
		list("containers", "container"), list("initContainers", "init container"),
		list("ephemeralContainers", "ephemeral container"), volumes,
	}, " + ")
}

// NewCheck builds the CEL for a mapper: internal registries as a list, the
// rules as a map from source prefix to destination prefix.
func NewCheck(m *mapper.Mapper, requireDigest bool) Check {
	internal := celList(m.InternalRegistries())
	deny := `!(i.domain in variables.internal)`
	if requireDigest {
		deny += ` || !i.suffix.contains('@')`
	}
	routes := map[string]string{}
	for _, r := range m.CompiledRules() {
		routes[r.From] = r.To
	}
	return Check{
		Variables: []Variable{
			{"spec", specExpr},
			{"refs", refsExpr()},
			{"parsed", parsedExpr},
			{"normalized", normalizedExpr},
			{"images", imagesExpr},
			{"internal", internal},
			{"routes", celMap(routes)},
			{"denied", `variables.images.filter(i, ` + deny + `)`},
			{"explained", explainedExpr},
		},
		Expression:        `variables.denied.size() == 0`,
		Message:           "an image is not on the internal registry (" + strings.Join(m.InternalRegistries(), ", ") + "): rewrite the manifests with helm-airgap",
		MessageExpression: messageExpr(m.Mirror()),
	}
}

// explainedExpr adds to each offender the longest rule whose source holds
// its repository, as Map chooses it: at most one key is that long, so
// joining the filtered keys gives it, or "" when no rule does.
const explainedExpr = `variables.denied.map(i, {'field': string(i.field), 'name': string(i.name), 'image': string(i.image), 'domain': string(i.domain), ` +
	`'path': string(i.path), 'repository': string(i.repository), 'suffix': string(i.suffix), ` +
	`'rule': string(variables.routes.filter(k, (i.repository == k || i.repository.startsWith(k + '/')) && ` +
	`variables.routes.all(o, !(i.repository == o || i.repository.startsWith(o + '/')) || o.size() <= k.size())).join(''))})`

// messageExpr names each offender and what would fix it: its rule's
// destination, else the catch-all mirror's.
func messageExpr(mirror string) string {
	fallback := `'no rule maps it: add one to airgap.yaml'`
	if mirror != "" {
		fallback = `'the catch-all mirror maps it to ' + ` + strconv.Quote(mirror) + ` + '/' + i.path + i.suffix`
	}
	why := `i.domain in variables.internal ? 'is not pinned to a digest (the policy requires one: rewrite with a lock)' : ` +
		`'is not on the internal registry; ' + (i.rule != '' ? 'the rule from ' + i.rule + ' maps it to ' + ` +
		`variables.routes[i.rule] + i.repository.substring(i.rule.size()) + i.suffix : ` + fallback + `)`
	return `'helm-airgap: ' + variables.explained.map(i, i.field + ' ' + i.name + ' image ' + i.image + ' ' + (` + why + `)).join('; ')`
}

func celList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// celMap writes a map literal with its keys sorted, so the output is
// deterministic.
func celMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = strconv.Quote(k) + ": " + strconv.Quote(m[k])
	}
	return "{" + strings.Join(pairs, ", ") + "}"
}
