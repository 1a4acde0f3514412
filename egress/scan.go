package egress

import (
	"encoding/base64"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"go.yaml.in/yaml/v3"
)

// The places that hold no endpoint, kept as data apart from the walk.

// skipKeys are mapping keys, at any depth, whose values are prose or
// identifiers rather than settings: descriptions, alert summaries and
// runbook links, JSON-schema identifiers. Compared after normalizeKey.
var skipKeys = map[string]bool{
	"description": true, "summary": true, "message": true, "runbookurl": true, "runbook": true,
	"documentation": true, "documentationurl": true, "docs": true, "docsurl": true, "docurl": true,
	"helpurl": true, "homepage": true, "$schema": true, "$id": true, "$ref": true, "xmlns": true,
	"openapiv3schema": true, // a CRD's schema describes fields; the objects in the stream are scanned
}

// skipAnnotations are annotations that hold documentation or a copy of the
// object, never a setting.
var skipAnnotations = map[string]bool{
	"kubectl.kubernetes.io/last-applied-configuration": true,
}

// skipAnnotationPrefixes are annotation prefixes that describe the object for
// catalogues and DNS, not endpoints it calls.
var skipAnnotationPrefixes = []string{"artifacthub.io/", "external-dns.alpha.kubernetes.io/", "meta.helm.sh/"}

// hostKeySuffixes are key names (after normalizeKey) that say their value is
// an endpoint, so a bare host name there is reported even when the
// no known target matches it: SMTP_HOST, spec.externalName, servers.
var hostKeySuffixes = []string{
	"host", "hosts", "hostname", "hostnames", "server", "servers", "endpoint", "endpoints",
	"address", "addresses", "addr", "url", "urls", "uri", "broker", "brokers", "externalname", "upstream", "upstreams",
}

// servedHostKinds are kinds whose host fields name what the cluster serves
// (Ingress rules, Gateway listeners, certificate DNS names), not what it calls.
var servedHostKinds = map[string]bool{
	"Ingress": true, "Gateway": true, "ListenerSet": true, "HTTPRoute": true, "GRPCRoute": true, "TLSRoute": true,
	"TCPRoute": true, "UDPRoute": true, "Certificate": true, "CertificateRequest": true, "VirtualService": true,
	"IngressRoute": true, "IngressRouteTCP": true, "Route": true, "DestinationRule": true, "Sidecar": true,
}

// nonNetworkSchemes are URL schemes that name local things.
var nonNetworkSchemes = map[string]bool{"file": true, "unix": true, "jar": true, "classpath": true, "npipe": true}

// maxEmbedDepth bounds how deep strings holding YAML holding strings holding
// YAML are followed.
const maxEmbedDepth = 3

// normalizeKey lower-cases a key and drops separators, so SMTP_HOST,
// smtp-host and smtpHost compare alike.
func normalizeKey(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_' || c == '-' || c == ' ':
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHostKey(k string) bool {
	k = normalizeKey(k)
	if i := strings.LastIndexAny(k, "./"); i >= 0 {
		k = k[i+1:]
	}
	for _, s := range hostKeySuffixes {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// walkCtx is what the walk knows about the node it is at.
type walkCtx struct {
	path    string // field path of the node
	setting string // the key, env variable or flag the value belongs to
	served  bool   // a served-host field: bare names there are not called
	secret  bool   // decoded from a Secret: mask what is reported
	noBare  bool   // bare names are reported only from the catalogue (annotations)
	depth   int    // embedding depth
	// line maps a line of the text being walked to a stream line.
	line func(int) int
}

// docScan scans one document.
type docScan struct {
	a       *Auditor
	doc     int // 1-based
	res     yamlnode.Resource
	found   []Finding
	allowed int
	budget  int
	netData // workloads, policies and issuers seen
}

// object scans one Kubernetes object; prefix is its path within a List.
func (s *docScan) object(obj *yaml.Node, prefix string, line func(int) int) {
	if obj == nil || obj.Kind != yaml.MappingNode {
		return
	}
	s.res = yamlnode.Identify(obj)
	s.collect(obj, line)
	for i := 0; i+1 < len(obj.Content); i += 2 {
		key, value := obj.Content[i].Value, obj.Content[i+1]
		ctx := walkCtx{path: joinKey(prefix, key), setting: key, line: line}
		switch key {
		case "apiVersion", "kind", "status":
		case "metadata":
			s.annotations(yamlnode.Lookup(value, "annotations"), ctx)
		case "data", "stringData":
			if s.res.Kind == "Secret" && key == "data" {
				s.secretData(value, ctx)
				continue
			}
			s.walk(value, ctx)
		default:
			ctx.served = servedHostKinds[s.res.Kind]
			s.walk(value, ctx)
		}
	}
}

func (s *docScan) annotations(m *yaml.Node, ctx walkCtx) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	base := joinKey(ctx.path, "annotations")
	for i := 0; i+1 < len(m.Content); i += 2 {
		key := m.Content[i].Value
		if skipAnnotations[key] || hasAnyPrefix(key, skipAnnotationPrefixes) || skipKeys[normalizeKey(afterSlash(key))] {
			continue
		}
		s.walk(m.Content[i+1], walkCtx{path: joinKey(base, key), setting: key, noBare: true, line: ctx.line})
	}
}

// secretData scans a Secret's base64 values as the text they encode.
func (s *docScan) secretData(m *yaml.Node, ctx walkCtx) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, v := m.Content[i].Value, m.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			continue
		}
		decoded, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v.Value), ""))
		if err != nil || !utf8.Valid(decoded) || strings.ContainsRune(string(decoded), 0) {
			continue
		}
		line := ctx.line(v.Line)
		c := walkCtx{path: joinKey(ctx.path, key), setting: key, secret: true, line: func(int) int { return line }}
		s.text(string(decoded), c, func(int) int { return line })
	}
}

func afterSlash(k string) string {
	if i := strings.LastIndexByte(k, '/'); i >= 0 {
		return k[i+1:]
	}
	return k
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// walk visits every string below n. Aliases are not followed: the node they
// name is scanned where it is defined.
func (s *docScan) walk(n *yaml.Node, ctx walkCtx) {
	if s.budget--; s.budget < 0 || n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || skipKeys[normalizeKey(k.Value)] {
				continue
			}
			if k.Value == "image" && v.Kind == yaml.ScalarNode {
				continue // the image rewrite owns image references
			}
			if k.Value == "metadata" && v.Kind == yaml.MappingNode && yamlnode.Lookup(v, "annotations") != nil {
				// A pod template's (or an embedded object's) metadata: names
				// and labels are not endpoints; annotations are read as the
				// object's own are.
				s.annotations(yamlnode.Lookup(v, "annotations"), walkCtx{path: joinKey(ctx.path, k.Value), line: ctx.line, depth: ctx.depth, secret: ctx.secret})
				continue
			}
			c := ctx
			c.path, c.setting = joinKey(ctx.path, k.Value), k.Value
			if k.Value == "value" {
				// {name: X, value: Y} lists (env, parameters): Y is X's value.
				if name := yamlnode.ScalarAt(n, "name"); name != "" {
					c.setting = name
				}
			}
			s.walk(v, c)
		}
	case yaml.SequenceNode:
		if ctx.setting == "args" || ctx.setting == "command" {
			// --flag=VALUE and --flag VALUE: the flag is the setting.
			for _, a := range yamlnode.Args(n) {
				c := ctx
				c.path = ctx.path + "[" + itemName(a.Node, a.Index) + "]"
				if a.IsFlag {
					continue
				}
				if a.Flag != "" {
					c.setting = strings.TrimLeft(a.Flag, "-")
				}
				s.walk(n.Content[a.Index], c)
			}
			return
		}
		for i, item := range n.Content {
			c := ctx
			c.path = ctx.path + "[" + itemName(item, i) + "]"
			s.walk(item, c)
		}
	case yaml.ScalarNode:
		if n.Tag == "!!str" || n.Tag == "" {
			s.scalar(n, ctx)
		}
	}
}

// itemName names a sequence item in a path: by its name when it has one
// (containers, env variables, ports), else by index.
func itemName(item *yaml.Node, i int) string {
	if name := yamlnode.ScalarAt(item, "name"); name != "" && !strings.ContainsAny(name, "[]") {
		return name
	}
	return strconv.Itoa(i)
}

// joinKey appends a mapping key to a path; keys that are not plain words
// ("config.yaml", "nginx.ingress.kubernetes.io/auth-url") go in brackets.
func joinKey(path, key string) string {
	plain := key != ""
	for i := 0; i < len(key) && plain; i++ {
		c := key[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '$'
	}
	switch {
	case !plain:
		return path + "[" + key + "]"
	case path == "":
		return key
	default:
		return path + "." + key
	}
}

// scalar scans one string value of the document.
func (s *docScan) scalar(n *yaml.Node, ctx walkCtx) {
	outer := ctx.line
	line := outer(n.Line)
	inner := func(int) int { return line }
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		// A block scalar's text starts on the line after its indicator.
		inner = func(l int) int { return outer(n.Line + l) }
	}
	s.text(n.Value, ctx, inner)
}

// text scans a string: as an embedded YAML or JSON document when it is one,
// line by line when it spans lines (INI, properties, scripts, XML), as one
// value otherwise. line maps a line of the text to a stream line.
func (s *docScan) text(v string, ctx walkCtx, line func(int) int) {
	trimmed := strings.TrimSpace(v)
	if trimmed == "" {
		return
	}
	if ctx.depth < maxEmbedDepth && (strings.Contains(trimmed, "\n") || trimmed[0] == '{' || trimmed[0] == '[') && s.embeddedYAML(v, ctx, line) {
		return
	}
	if strings.Contains(trimmed, "\n") {
		s.lines(v, ctx, line)
		return
	}
	s.value(v, ctx, line(1))
}

// embeddedYAML walks a string that parses as YAML (or JSON) mappings or
// sequences, and reports whether it did.
func (s *docScan) embeddedYAML(v string, ctx walkCtx, line func(int) int) bool {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(v))
	for {
		var d yaml.Node
		if err := dec.Decode(&d); err != nil {
			if !errors.Is(err, io.EOF) {
				return false
			}
			break
		}
		if len(d.Content) == 0 {
			continue
		}
		root := d.Content[0]
		if root.Kind != yaml.MappingNode && root.Kind != yaml.SequenceNode {
			return false
		}
		docs = append(docs, root)
	}
	if len(docs) == 0 {
		return false
	}
	c := ctx
	c.depth++
	c.line = line
	for _, root := range docs {
		s.walk(root, c)
	}
	return true
}

// value reports the endpoints in a one-line value.
func (s *docScan) value(v string, ctx walkCtx, line int) {
	s.switchedOn(v, ctx, line)
	endpoints := Extract(v)
	if len(endpoints) == 0 {
		return
	}
	endpoints, proxy := called(ctx.setting, v, endpoints) // classify.go
	hostList := !ctx.noBare && !ctx.served && isHostKey(ctx.setting) && isHostList(v)
	for i, e := range endpoints {
		s.endpoint(e, ctx, line, hostList || proxy[i])
	}
}

// isHostList reports whether a value is nothing but host names or
// addresses, one or several separated by commas or spaces.
func isHostList(v string) bool {
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	for _, f := range fields {
		if !validHost(strings.ToLower(strings.TrimSuffix(f, "."))) {
			return false
		}
	}
	return len(fields) > 0
}

// endpoint classifies one endpoint and records it when it is public.
func (s *docScan) endpoint(e Endpoint, ctx walkCtx, line int, hostList bool) {
	if e.Form == FormURL && nonNetworkSchemes[e.Scheme] {
		return
	}
	target, known := Lookup(e.Host)
	if e.Form == FormHost && !hostList && (!known || ctx.served || strings.Contains(normalizeKey(ctx.setting), "version")) {
		return
	}
	if s.a.classifier.Classify(e.Host, e.Port) != Public {
		return
	}
	f := Finding{
		Document: s.doc, Line: line,
		APIVersion: s.res.APIVersion, Kind: s.res.Kind, Namespace: s.res.Namespace, Name: s.res.Name,
		Field: ctx.path, Setting: ctx.setting, Value: mask(e, ctx.secret), Host: e.Host, Port: e.Port,
	}
	if known {
		f.Service, f.Hint = target.Service, target.Hint
	}
	if s.a.allowed(f.Host, s.res, f.Field) {
		s.allowed++
		return
	}
	s.found = append(s.found, f)
}

// mask hides credentials in what is reported (the report goes to CI logs
// and report files): the user information (a password as net/url's
// Redacted writes it, a user name alone too, as it is often a token: a
// Sentry DSN's key), the values of query parameters named like secrets or
// looking like tokens, and path segments that look like tokens (a Slack,
// Teams or Discord webhook carries its secret in the path). For values
// read from a Secret the query and fragment go entirely.
func mask(e Endpoint, secret bool) string {
	if e.Form != FormURL {
		return e.Text
	}
	u, err := url.Parse(e.Text)
	if err != nil || u.Host == "" {
		// Not a URL net/url can take apart: the host the finding is
		// about, and nothing that could hold a credential.
		return e.Scheme + "://" + e.Host + "/" + redacted
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); !hasPassword {
			u.User = url.User(redacted)
		}
	}
	segments := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segments {
		if tokenLike(seg) {
			segments[i] = redacted
		}
	}
	query, fragment := maskPairs(u.RawQuery), maskPairs(u.EscapedFragment())
	if secret {
		query, fragment = "", ""
	}
	// Scheme, user information and host as Redacted writes them; the rest
	// as masked here.
	base := url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host}
	out := base.Redacted() + strings.Join(segments, "/")
	if query != "" {
		out += "?" + query
	}
	if fragment != "" {
		out += "#" + fragment
	}
	return out
}

// redacted stands for a hidden credential, as net/url's Redacted writes it.
const redacted = "xxxxx"

// maskPairs masks the values of "key=value&..." pairs (a query, or a
// fragment such as OAuth's "#access_token=...") whose key names a secret or
// whose value looks like a token.
func maskPairs(raw string) string {
	if raw == "" {
		return ""
	}
	pairs := strings.Split(raw, "&")
	for i, p := range pairs {
		key, value, ok := strings.Cut(p, "=")
		if ok && value != "" && (secretKey(key) || tokenLike(value)) {
			pairs[i] = key + "=" + redacted
		}
	}
	return strings.Join(pairs, "&")
}

// secretKeyWords are parts of the names of parameters that carry secrets.
var secretKeyWords = []string{"token", "key", "secret", "pass", "pwd", "sig", "auth", "credential", "session", "code"}

func secretKey(key string) bool {
	key = strings.ToLower(key)
	for _, w := range secretKeyWords {
		if strings.Contains(key, w) {
			return true
		}
	}
	return false
}

// tokenLike reports whether a path segment or value looks like a generated
// secret: 16 or more letters, digits, "_" and "-", with both letters and
// digits (not a word, a version or a file name).
func tokenLike(s string) bool {
	if len(s) < 16 {
		return false
	}
	letters, digits := false, false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = true
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			letters = true
		case r == '_' || r == '-':
		default:
			return false
		}
	}
	return letters && digits
}
