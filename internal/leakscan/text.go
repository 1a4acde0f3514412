package leakscan

import (
	"fmt"
	"regexp"
	"strings"
)

// runRE matches the characters a reference (or a flag or key name) is made
// of; everything else (spaces, quotes, '=', ',', ';', brackets, '\', '$')
// separates tokens.
var runRE = regexp.MustCompile(`[A-Za-z0-9._/:@+-]+`)

// token is one run of reference characters in a line of text, with the
// name it sits under inside the text.
type token struct {
	text  string
	name  string
	line  int // 0-based
	whole bool
}

// text tokenises a string that is not embedded YAML/JSON (a whole value, a
// shell script, properties, a comma list, prose) and judges every token.
func (w *walker) text(s string, p place) {
	tokens, names := tokenize(s)
	siblings := append(append([]string(nil), p.siblings...), names...)
	for _, t := range tokens {
		if !t.whole && !strings.ContainsAny(t.text, "/:@") {
			continue // a bare word inside text ("image: to override") is prose
		}
		if v := judge(t.text, t.name, p.key, siblings); v != notImage {
			w.add(w.inText(p, t), t.text, v, false)
		}
	}
}

func (w *walker) inText(p place, t token) place {
	if t.whole {
		return p
	}
	where := fmt.Sprintf("line %d", t.line+1)
	if t.name != "" {
		where += " " + t.name
	}
	p.inner = joinInner(p.inner, where)
	return p
}

// tokenize splits text into candidate tokens and the names (keys, flags,
// variables) it declares. A token's name is the run before it when they are
// joined by '=' ("-x-image=\"v/x:1\"", "image=quay.io/x:1", "4.2.0=..."),
// by ": " ("image: v/x:1"), or when the run before is a flag ("--x-image v/x:1");
// a token after a comma keeps the name of the one before.
func tokenize(s string) (tokens []token, names []string) {
	trimmed := strings.TrimSpace(s)
	for li, line := range strings.Split(s, "\n") {
		runs := runRE.FindAllStringIndex(line, -1)
		prevName := ""
		for i, r := range runs {
			run := line[r[0]:r[1]]
			after := line[r[1]:]
			if isName(run, after) {
				name := strings.TrimSuffix(run, ":")
				names = append(names, name)
				if r, ok := parseRef(name); ok && r.explicit() && r.pinned() {
					// a reference as a key ("quay.io/x:1: helper", "quay.io/x:1=helper")
					tokens = append(tokens, token{text: name, line: li, whole: name == trimmed})
				}
				continue
			}
			name := ""
			if i > 0 {
				prev := line[runs[i-1][0]:runs[i-1][1]]
				name = nameBefore(prev, line[runs[i-1][1]:r[0]], prevName, i == 1)
			}
			prevName = name
			text := strings.TrimRight(run, ".:") // sentence end, "key:" at the end of a line
			tokens = append(tokens, token{text: text, name: name, line: li, whole: text == trimmed})
		}
	}
	return tokens, names
}

// isName says whether a run is a name rather than a value: it is followed
// by '=' or ends in ':' before a space or the end of the line.
func isName(run, after string) bool {
	if strings.HasPrefix(after, "=") {
		return true
	}
	return strings.HasSuffix(run, ":") && (after == "" || after[0] == ' ' || after[0] == '\t')
}

// nameBefore is the name governing a run, given the run before it, what
// separates them, the name the run before had and whether the run before
// starts its line. "key: value" counts only at the start of a line, as in
// YAML or properties: in prose ("Run the image: nginx:1.27 first") it is
// no name.
func nameBefore(prev, sep, prevName string, prevStartsLine bool) string {
	core := strings.Trim(sep, " \t\"'")
	switch {
	case core == "=":
		return prev
	case core == "" && strings.HasSuffix(prev, ":"):
		if !prevStartsLine {
			return ""
		}
		return strings.TrimSuffix(prev, ":")
	case core == ",":
		return prevName
	case core == "" && strings.HasPrefix(prev, "-") && !strings.Contains(prev, "="):
		return prev
	}
	return ""
}
