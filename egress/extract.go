package egress

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/distribution/reference"
)

// Form is how an endpoint was written.
type Form int

const (
	// FormURL is scheme://host[:port]/... (the scheme may be a variable, as
	// in $SCHEME://host:9000).
	FormURL Form = iota
	// FormHostPort is host:port, optionally followed by a path.
	FormHostPort
	// FormHost is a bare host name or IP address.
	FormHost
)

// Endpoint is one network endpoint found in a string.
type Endpoint struct {
	Text       string // as written
	Start, End int    // Text is s[Start:End]
	Form       Form
	Scheme     string // lower-case; "" for a variable or no scheme
	Host       string // lower-case, without brackets
	Port       string
}

// maxScheme bounds how far back a scheme is looked for before "://".
const maxScheme = 32

// maxURL bounds the text taken for one URL; the host is at its start, and
// a bound keeps a pathological value (megabytes with no white space) cheap.
const maxURL = 8 << 10

// Extract finds the endpoints in a string: every URL with a host, every
// host:port, and every bare name with a dot or IPv4 address. Reading as a
// bare name is generous (file names and class names qualify); the caller
// decides which bare names matter. Strings that are only identifiers are
// skipped here: XML namespace and schema locations, template expressions
// and variables, image references, file paths, e-mail addresses, CIDR
// ranges, and versions.
func Extract(s string) []Endpoint {
	var out []Endpoint
	covered := 0 // s[:covered] is inside a URL already found
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			break
		}
		at := i + j
		start, scheme := schemeBefore(s, at)
		if start < covered {
			start, scheme = max(covered, at), ""
		}
		out = append(out, bareEndpoints(s, covered, start)...)
		end := urlEnd(s, at+3)
		if e, ok := parseURL(s, start, at, end, scheme); ok && !isIdentifierURL(s, start, e) {
			out = append(out, e)
		}
		covered, i = max(end, at+3), max(end, at+3)
	}
	return append(out, bareEndpoints(s, covered, len(s))...)
}

// schemeBefore finds the scheme ending at s[at] ("://" starts at at). A
// scheme that is a variable ($SCHEME, ${SCHEME}) yields "".
func schemeBefore(s string, at int) (start int, scheme string) {
	start = at
	for start > 0 && at-start < maxScheme && isSchemeByte(s[start-1]) {
		start--
	}
	scheme = strings.ToLower(s[start:at])
	if scheme != "" && isLetter(scheme[0]) && (start == 0 || !isVariableByte(s[start-1])) {
		return start, scheme
	}
	// A variable: report it as written, from its start.
	start = at
	for start > 0 && at-start < maxScheme && (isSchemeByte(s[start-1]) || isVariableByte(s[start-1]) || s[start-1] == '(') {
		start--
	}
	return start, ""
}

func isSchemeByte(b byte) bool {
	return isLetter(b) || b >= '0' && b <= '9' || b == '+' || b == '.' || b == '-'
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// isVariableByte is a byte that makes the word after it part of a variable
// name or template expression rather than a scheme.
func isVariableByte(b byte) bool { return b == '$' || b == '_' || b == '{' || b == '}' || b == ')' }

// urlEnd returns where a URL starting its authority at from ends: at
// whitespace, a quote, a bracket that does not belong to it, or trailing
// sentence punctuation.
func urlEnd(s string, from int) int {
	end := from
	depth := 0
	limit := min(len(s), from+maxURL)
	for end < limit {
		b := s[end]
		if b <= ' ' || b == '"' || b == '\'' || b == '`' || b == '<' || b == '>' || b == '\\' || b == '|' || b == '^' || b == 0x7f {
			break
		}
		if b == '(' {
			depth++
		}
		if b == ')' {
			if depth == 0 {
				break
			}
			depth--
		}
		if b == ',' || b == ';' {
			break // URL lists, and JDBC properties after the authority
		}
		end++
	}
	// A ")" left inside is balanced by a "(" (the loop stopped at any other).
	for end > from && strings.IndexByte(".,;:!?]}*", s[end-1]) >= 0 {
		if s[end-1] == ']' && strings.IndexByte(s[from:end], '[') >= 0 {
			break // an IPv6 literal's closing bracket
		}
		end--
	}
	return end
}

// parseURL parses s[start:end] whose "://" is at at.
func parseURL(s string, start, at, end int, scheme string) (Endpoint, bool) {
	rest := s[at+3 : end]
	if rest == "" || strings.ContainsAny(authority(rest), "{}$%()") {
		return Endpoint{}, false // the host is a template or a variable
	}
	u, err := url.Parse("//" + rest)
	if err != nil || u.Host == "" {
		return Endpoint{}, false
	}
	host := normalizeHost(u.Hostname())
	if !validHost(host) || (u.Port() != "" && !validPort(u.Port())) {
		return Endpoint{}, false
	}
	return Endpoint{Text: s[start:end], Start: start, End: end, Form: FormURL, Scheme: scheme, Host: host, Port: u.Port()}, true
}

// authority is the host part of what follows "://".
func authority(rest string) string {
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return rest[:i]
	}
	return rest
}

// validHost accepts a DNS name or an IP address.
func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return isHostName(h)
}

// isIdentifierURL reports URLs that name something rather than locate it:
// XML namespaces (xmlns="..."), schema locations, DTDs and XSDs.
func isIdentifierURL(s string, start int, e Endpoint) bool {
	if identifierHosts[e.Host] {
		return true
	}
	before := strings.ToLower(s[max(0, start-40):start])
	before = strings.TrimRight(before, "\"' =:\t")
	if i := strings.LastIndexAny(before, " \t\n<\"'{,"); i >= 0 {
		before = before[i+1:]
	}
	if strings.HasPrefix(before, "xmlns") || strings.HasSuffix(before, "schemalocation") ||
		before == "$schema" || before == "$id" || before == "$ref" {
		return true
	}
	path := strings.ToLower(e.Text)
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return strings.HasSuffix(path, ".dtd") || strings.HasSuffix(path, ".xsd")
}

// identifierHosts publish namespaces and schemas that are named by URL and
// never fetched at run time.
var identifierHosts = map[string]bool{
	"www.w3.org": true, "w3.org": true, "json-schema.org": true, "schemas.xmlsoap.org": true,
	"purl.org": true, "xmlns.com": true, "ns.adobe.com": true, "schemas.microsoft.com": true,
	"schemas.openxmlformats.org": true, "www.springframework.org": true, "java.sun.com": true,
	"xmlns.jcp.org": true, "jakarta.ee": true, "maven.apache.org": true,
}

// bareEndpoints finds host:port pairs and bare names in s[from:to].
func bareEndpoints(s string, from, to int) []Endpoint {
	var out []Endpoint
	for i := from; i < to; {
		if !startsToken(s, from, i) {
			i++
			continue
		}
		e, next, ok := bareAt(s, i, to)
		if ok {
			out = append(out, e)
		}
		if next <= i {
			next = i + 1
		}
		i = next
	}
	return out
}

// startsToken reports whether a host could start at s[i]: a letter, digit or
// "[", not glued to a word, a path, a variable or an e-mail address.
func startsToken(s string, from, i int) bool {
	b := s[i]
	if !(isHostByte(b) && b != '-' && b != '_') && b != '[' {
		return false
	}
	if i == from || i == 0 {
		return true
	}
	return strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/@:$%{*\\~", s[i-1]) < 0
}

// bareAt reads a host, optionally with :port, starting at s[i].
func bareAt(s string, i, to int) (e Endpoint, next int, ok bool) {
	if s[i] == '[' {
		return bracketAt(s, i, to)
	}
	j := i
	for j < to && (isHostByte(s[j]) || s[j] == '.') {
		j++
	}
	host := s[i:j]
	port := ""
	if j+1 < to && s[j] == ':' && isDigit(s[j+1]) {
		k := j + 1
		for k < to && isDigit(s[k]) {
			k++
		}
		port, j = s[j+1:k], k
	}
	end := tokenEnd(s, j, to)
	if end == j && !endsToken(s, j, to) {
		// Glued to more of a word: "host:80abc", "12:30:00", "a:b".
		return Endpoint{}, skipWord(s, j, to), false
	}
	// Trailing dots end a sentence, not a name.
	for strings.HasSuffix(host, ".") {
		host = host[:len(host)-1]
		if port == "" {
			j--
		}
	}
	if port != "" && !validPort(port) {
		return Endpoint{}, end, false
	}
	host = strings.ToLower(host)
	addr, ipErr := netip.ParseAddr(host)
	switch isIP := ipErr == nil; {
	case isIP && !addr.Is4():
		return Endpoint{}, end, false
	case isIP && port == "" && j+1 < to && s[j] == '/' && isDigit(s[j+1]):
		return Endpoint{}, end, false // a CIDR range, 10.0.0.0/8
	case !isIP && (!isHostName(host) || strings.Contains(host, "_")):
		return Endpoint{}, end, false
	case !isIP && port == "" && !strings.Contains(host, "."):
		return Endpoint{}, end, false // a plain word
	}
	if looksLikeFile(host) || isImageToken(s[i:end]) {
		return Endpoint{}, end, false
	}
	form := FormHost
	if port != "" {
		form = FormHostPort
	}
	return Endpoint{Text: s[i:j], Start: i, End: j, Form: form, Host: host, Port: port}, end, true
}

// bracketAt reads "[v6]:port" at s[i]; anything else in brackets is left
// for the scan to look inside.
func bracketAt(s string, i, to int) (Endpoint, int, bool) {
	// An IPv6 literal with a zone is well under 64 bytes; looking no further
	// keeps a run of "[" linear.
	k := strings.IndexByte(s[i:min(to, i+64)], ']')
	if k < 0 {
		return Endpoint{}, i + 1, false
	}
	j := i + k + 1
	addr, err := netip.ParseAddr(s[i+1 : j-1])
	if err != nil || j+1 >= to || s[j] != ':' || !isDigit(s[j+1]) {
		return Endpoint{}, i + 1, false
	}
	k = j + 1
	for k < to && isDigit(s[k]) {
		k++
	}
	port := s[j+1 : k]
	end := tokenEnd(s, k, to)
	if !validPort(port) || (end == k && !endsToken(s, k, to)) {
		return Endpoint{}, i + 1, false
	}
	return Endpoint{Text: s[i:k], Start: i, End: k, Form: FormHostPort, Host: addr.WithZone("").String(), Port: port}, end, true
}

// endsToken reports whether the host (and port) read so far ends at s[j]:
// the next byte is not part of a word.
func endsToken(s string, j, to int) bool {
	if j >= to {
		return true
	}
	switch b := s[j]; {
	case isHostByte(b), b == '@', b == '[', b == '$', b == '{':
		return false
	case b == ':':
		return false
	}
	return true
}

// tokenEnd extends a host token through a following path ("/...") so that
// the whole token can be checked for an image reference or a CIDR.
func tokenEnd(s string, j, to int) int {
	if j >= to || s[j] != '/' {
		return j
	}
	k := j
	for k < to && s[k] > ' ' && strings.IndexByte(`"'<>,;()[]{}`+"`", s[k]) < 0 {
		k++
	}
	return k
}

func skipWord(s string, j, to int) int {
	for j < to && s[j] > ' ' && strings.IndexByte(`"'<>,;()[]{}=`+"`", s[j]) < 0 {
		j++
	}
	return j
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func validPort(p string) bool {
	if len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		n = n*10 + int(p[i]-'0')
	}
	return n > 0 && n <= 65535
}

// fileSuffixes are file extensions that are also top-level domains; a
// two-label name ending in one ("app.py", "entrypoint.sh", "README.md") is
// read as a file name when it is not written as a URL.
var fileSuffixes = map[string]bool{
	"py": true, "sh": true, "md": true, "pl": true, "rs": true, "zip": true, "mov": true, "tf": true,
	"so": true, "ml": true, "in": true, "cc": true, "pm": true, "ps": true, "sc": true, "kt": true,
	"cr": true, "bz": true,
}

func looksLikeFile(host string) bool {
	labels := strings.Split(host, ".")
	if len(labels) != 2 {
		return false
	}
	return fileSuffixes[labels[1]]
}

// isImageToken reports whether a token is an image reference with an
// explicit registry and a tag or digest ("quay.io/jetstack/x:v1.2.3"): the
// image rewrite owns those.
func isImageToken(tok string) bool {
	slash := strings.IndexByte(tok, '/')
	if slash < 0 {
		return false
	}
	domain := tok[:slash]
	if !strings.ContainsAny(domain, ".:") && domain != "localhost" {
		return false
	}
	named, err := reference.ParseNormalizedNamed(tok)
	if err != nil {
		return false
	}
	_, tagged := named.(reference.Tagged)
	_, digested := named.(reference.Digested)
	return tagged || digested
}
