package doctest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// inlineLink is an inline Markdown link or image: [text](target "title").
var inlineLink = regexp.MustCompile(`\]\(([^)\s]*)(?:\s+"[^"]*")?\)`)

// htmlAnchor is an explicit anchor: <a name="x"> or id="x".
var htmlAnchor = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)

// BrokenLinks checks the relative links of Markdown files under root: each
// must name a file or directory inside root, and an anchor (#part) must name
// a heading of the Markdown file it points at, as GitHub slugs headings.
// Links to other sites are not followed (the tests run offline). It returns
// one line per broken link, "FILE:LINE: [target]: why".
func BrokenLinks(root string, files []string) ([]string, error) {
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) (map[string]bool, error) {
		if a, ok := anchors[path]; ok {
			return a, nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		a := Anchors(string(data))
		anchors[path] = a
		return a, nil
	}
	var broken []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(root, file)
		for _, l := range links(string(data)) {
			if why := checkLink(root, file, l.target, anchorsOf); why != "" {
				broken = append(broken, fmt.Sprintf("%s:%d: (%s): %s", rel, l.line, l.target, why))
			}
		}
	}
	return broken, nil
}

// checkLink says why a link of file is broken, or "".
func checkLink(root, file, target string, anchorsOf func(string) (map[string]bool, error)) string {
	if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") || target == "" {
		return ""
	}
	path, anchor, _ := strings.Cut(target, "#")
	dest := file
	if path != "" {
		if strings.HasPrefix(path, "/") {
			return "an absolute path: GitHub resolves it against the repository, a tarball against nothing"
		}
		dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
		if r, err := filepath.Rel(root, dest); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return "points outside " + root
		}
		if _, err := os.Stat(dest); err != nil {
			return "no such file"
		}
	}
	if anchor == "" || !strings.HasSuffix(dest, ".md") {
		return ""
	}
	a, err := anchorsOf(dest)
	if err != nil {
		return err.Error()
	}
	if !a[anchor] {
		return "no heading #" + anchor + " in " + filepath.Base(dest)
	}
	return ""
}

type link struct {
	line   int
	target string
}

// links are a Markdown text's inline link targets outside fenced code and
// inline code spans.
func links(md string) []link {
	var out []link
	proseLines(md, func(n int, line string) {
		for _, m := range inlineLink.FindAllStringSubmatch(withoutCode(line), -1) {
			out = append(out, link{line: n, target: m[1]})
		}
	})
	return out
}

// proseLines calls fn with each line of md outside fenced code blocks and
// its number.
func proseLines(md string, fn func(n int, line string)) {
	fenced := false
	sc := bufio.NewScanner(strings.NewReader(md))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			fn(n, line)
		}
	}
}

// withoutCode blanks inline code spans, whose brackets are not links.
func withoutCode(line string) string {
	parts := strings.Split(line, "`")
	for i := 1; i < len(parts); i += 2 {
		if i < len(parts)-1 { // an unclosed backtick is text
			parts[i] = strings.Repeat(" ", len(parts[i]))
		}
	}
	return strings.Join(parts, "`")
}

// Anchors are the anchors of a Markdown file's headings as GitHub makes
// them (Slug; a repeated heading gets -1, -2, ...), and explicit <a name>
// anchors.
func Anchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	proseLines(md, func(_ int, line string) {
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		text, ok := heading(line)
		if !ok {
			return
		}
		slug := Slug(text)
		if n := seen[slug]; n > 0 {
			out[slug+"-"+strconv.Itoa(n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	})
	return out
}

// heading is the text of an ATX heading line ("## Text").
func heading(line string) (string, bool) {
	trimmed := strings.TrimLeft(line, "#")
	level := len(line) - len(trimmed)
	if level == 0 || level > 6 || (trimmed != "" && trimmed[0] != ' ') {
		return "", false
	}
	return strings.TrimSpace(strings.TrimRight(strings.TrimSpace(trimmed), "#")), true
}

// mdLinkText is a link in a heading: [text](target) keeps its text.
var mdLinkText = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// Slug is GitHub's anchor for a heading: the text of links kept, lower
// case, punctuation dropped (letters, digits, spaces, - and _ kept), each
// space a -.
func Slug(text string) string {
	text = mdLinkText.ReplaceAllString(text, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
