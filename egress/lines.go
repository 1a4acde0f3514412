package egress

import (
	"strings"
)

// lines scans text that is not YAML or JSON one line at a time: INI files
// ([section] and key = value), properties (key=value, key: value), shell
// (export KEY=value), YAML that does not parse (templates left in it), XML
// and prose. Comment lines are skipped, since that is where documentation
// links live. Keys are followed through INI sections and YAML-style
// indentation, so a value's path names its setting:
// data[grafana.ini].grafana_net.url.
func (s *docScan) lines(text string, ctx walkCtx, line func(int) int) {
	text = blankXMLComments(text)
	type level struct {
		indent int
		key    string
	}
	var stack []level
	section := ""
	for i, raw := range strings.Split(text, "\n") {
		if s.budget--; s.budget < 0 {
			return
		}
		raw = strings.TrimRight(raw, "\r")
		trimmed := strings.TrimSpace(raw)
		if trimmed == "" || isCommentLine(trimmed) || isKnownHostsLine(trimmed) {
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
		if name, ok := iniSection(trimmed); ok {
			section, stack = name, nil
			continue
		}
		body := strings.TrimPrefix(trimmed, "- ")
		if body != trimmed {
			indent += 2
		}
		body = strings.TrimPrefix(body, "export ")
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		path := ctx.path
		if section != "" {
			path = joinKey(path, section)
		}
		for _, l := range stack {
			path = joinKey(path, l.key)
		}
		c := ctx
		key, value, ok := keyValue(body)
		if !ok {
			if len(stack) > 0 {
				c.setting = stack[len(stack)-1].key
			}
			c.path = path
			s.value(body, c, line(i+1))
			continue
		}
		if value == "" || value == "|" || value == ">" || value == "|-" || value == ">-" {
			stack = append(stack, level{indent, key})
			continue
		}
		c.path, c.setting = joinKey(path, key), key
		if skipKeys[normalizeKey(key)] {
			continue
		}
		s.value(stripTrailingComment(value), c, line(i+1))
	}
}

// isCommentLine reports lines that are comments in the usual config and
// script languages: #, ;, // and /* ... */ blocks' lines.
func isCommentLine(l string) bool {
	return strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") || strings.HasPrefix(l, "//") ||
		strings.HasPrefix(l, "/*") || strings.HasPrefix(l, "* ") || strings.HasPrefix(l, "*/")
}

// sshKeyTypes are the key types of OpenSSH known_hosts entries.
var sshKeyTypes = map[string]bool{
	"ssh-rsa": true, "ssh-dss": true, "ssh-ed25519": true, "ecdsa-sha2-nistp256": true, "ecdsa-sha2-nistp384": true,
	"ecdsa-sha2-nistp521": true, "sk-ssh-ed25519@openssh.com": true, "sk-ecdsa-sha2-nistp256@openssh.com": true,
}

// isKnownHostsLine reports an SSH known_hosts entry ("github.com ssh-ed25519
// AAAA..."), as Argo CD and Flux ship them: it vouches for a host's key and
// makes no connection.
func isKnownHostsLine(l string) bool {
	f := strings.Fields(l)
	if len(f) > 0 && (f[0] == "@cert-authority" || f[0] == "@revoked") {
		f = f[1:]
	}
	return len(f) >= 3 && sshKeyTypes[f[1]]
}

// iniSection reads "[name]".
func iniSection(l string) (string, bool) {
	if len(l) < 3 || l[0] != '[' || l[len(l)-1] != ']' || strings.ContainsAny(l[1:len(l)-1], "[]\"', ") {
		return "", false
	}
	return l[1 : len(l)-1], true
}

// keyValue reads "key = value", "key=value" and "key: value". A URL's
// "scheme://" is not a key.
func keyValue(l string) (key, value string, ok bool) {
	i := strings.IndexAny(l, "=:")
	if i <= 0 {
		return "", "", false
	}
	key = strings.Trim(strings.TrimSpace(l[:i]), `"'`)
	if key == "" || strings.ContainsAny(key, " \t<>(){}$/") {
		return "", "", false
	}
	value = strings.TrimSpace(l[i+1:])
	if l[i] == ':' && (strings.HasPrefix(l[i+1:], "//") || (value != "" && l[i+1] != ' ' && l[i+1] != '\t')) {
		return "", "", false // a URL, or host:port
	}
	return key, strings.Trim(value, `"'`), true
}

// stripTrailingComment drops " # comment" after a value.
func stripTrailingComment(v string) string {
	if i := strings.Index(v, " #"); i >= 0 {
		return strings.TrimSpace(v[:i])
	}
	return v
}

// blankXMLComments replaces <!-- ... --> with spaces, keeping line breaks so
// line numbers stay right.
func blankXMLComments(text string) string {
	if !strings.Contains(text, "<!--") {
		return text
	}
	b := []byte(text)
	for from := 0; ; {
		i := strings.Index(string(b[from:]), "<!--")
		if i < 0 {
			break
		}
		start := from + i
		end := strings.Index(string(b[start+4:]), "-->")
		stop := len(b)
		if end >= 0 {
			stop = start + 4 + end + 3
		}
		for k := start; k < stop; k++ {
			if b[k] != '\n' {
				b[k] = ' '
			}
		}
		from = stop
	}
	return string(b)
}
