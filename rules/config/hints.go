package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rules/reference"
	"go.yaml.in/yaml/v3"
)

// The mistakes people make most when writing a config by hand get a
// message that says what to write instead, before the generic checks
// (unknown key, invalid reference) would report them less helpfully.

// referenceKeys are the keys whose values are registry prefixes.
var referenceKeys = map[string]bool{"mirror": true, "from": true, "to": true}

// commonMistakes checks a raw config document for a rules: mapping, a
// scheme, a trailing slash or upper case in a registry prefix, and a string
// where a list belongs.
func (c *Config) commonMistakes(doc *yaml.Node) error {
	if doc == nil || doc.Kind != yaml.MappingNode {
		return nil
	}
	var errs []error
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, value := doc.Content[i].Value, doc.Content[i+1]
		switch key {
		case "rules":
			errs = append(errs, c.rulesHint(value))
			if value.Kind == yaml.SequenceNode {
				for j, rule := range value.Content {
					errs = append(errs, c.prefixHints(rule, "rules["+strconv.Itoa(j)+"]")...)
				}
			}
		case "mirror":
			errs = append(errs, c.prefixHint("mirror", value))
		case "pullSecrets", "allow":
			if value.Kind == yaml.ScalarNode && value.Tag == "!!str" {
				errs = append(errs, c.hintf(key, value.Line, "want a list, found the string %q; write %s: [%s]", value.Value, key, value.Value))
			}
		}
		if key == "allow" && value.Kind == yaml.SequenceNode {
			for j, item := range value.Content {
				if fixed := strings.TrimRight(withoutScheme(item.Value), "/"); item.Kind == yaml.ScalarNode && fixed != item.Value && !strings.Contains(fixed, "/") {
					errs = append(errs, c.hintf("allow["+strconv.Itoa(j)+"]", item.Line, "%q is not a registry host name; write %s", item.Value, fixed))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// rulesHint explains that rules: is a list of {from, to}, and writes the
// list a mapping meant.
func (c *Config) rulesHint(value *yaml.Node) error {
	if value.Kind != yaml.MappingNode {
		return nil
	}
	var b strings.Builder
	single := yamlnode.ScalarAt(value, "from") != "" || yamlnode.ScalarAt(value, "to") != ""
	if single {
		fmt.Fprintf(&b, "\n  rules:\n    - from: %s\n      to: %s", yamlnode.ScalarAt(value, "from"), yamlnode.ScalarAt(value, "to"))
	} else {
		b.WriteString("\n  rules:")
		for i := 0; i+1 < len(value.Content); i += 2 {
			to := value.Content[i+1].Value
			if value.Content[i+1].Kind != yaml.ScalarNode {
				to = "REGISTRY/PATH"
			}
			fmt.Fprintf(&b, "\n    - from: %s\n      to: %s", value.Content[i].Value, to)
		}
	}
	return c.hintf("rules", value.Line, "rules is a list of {from, to} entries, not a mapping; write:%s", b.String())
}

// prefixHints checks the from and to of one rule.
func (c *Config) prefixHints(rule *yaml.Node, path string) []error {
	if rule.Kind != yaml.MappingNode {
		return nil
	}
	var errs []error
	for i := 0; i+1 < len(rule.Content); i += 2 {
		if key := rule.Content[i].Value; referenceKeys[key] {
			errs = append(errs, c.prefixHint(path+"."+key, rule.Content[i+1]))
		}
	}
	return errs
}

// prefixHint says how to write a registry prefix that has a scheme, a
// trailing slash or upper case.
func (c *Config) prefixHint(key string, value *yaml.Node) error {
	if value.Kind != yaml.ScalarNode || value.Tag != "!!str" {
		return nil
	}
	advice := PrefixAdvice(value.Value)
	if advice == "" {
		return nil
	}
	what := "invalid destination"
	if strings.HasSuffix(key, ".from") {
		what = "invalid source"
	}
	return c.hintf(key, value.Line, "%s %q: %s", what, value.Value, advice)
}

// PrefixAdvice says how to write a registry prefix that has a scheme, a
// trailing slash or upper case ("image references have no scheme; write
// registry.example.com/m"), or "" when there is nothing a hint can mend.
// init gives the same advice for --registry as the config parser does.
func PrefixAdvice(s string) string {
	var why []string
	if strings.Contains(s, "://") {
		why = append(why, "image references have no scheme")
	}
	// A host name may be written in any case; a repository path may not.
	if _, path, _ := strings.Cut(withoutScheme(s), "/"); strings.ToLower(path) != path {
		why = append(why, "repository names are lower case")
	}
	if strings.HasSuffix(strings.TrimSpace(s), "/") {
		why = append(why, "a prefix has no trailing slash")
	}
	fixed := fixPrefix(s)
	if _, err := reference.ParsePrefix(fixed); len(why) == 0 || err != nil {
		return "" // nothing to fix, or more wrong than a hint can mend
	}
	return strings.Join(why, ", ") + "; write " + fixed
}

// fixPrefix is a registry prefix without scheme, trailing slash or upper
// case.
func fixPrefix(s string) string {
	return strings.ToLower(strings.TrimRight(withoutScheme(s), "/"))
}

func withoutScheme(s string) string {
	s = strings.TrimSpace(s)
	if _, rest, ok := strings.Cut(s, "://"); ok {
		return rest
	}
	return s
}

func (c *Config) hintf(key string, line int, format string, args ...any) error {
	where := c.source
	if where == "" {
		where = "config"
	}
	return fmt.Errorf("%s:%d: %s: %s", where, line, key, fmt.Sprintf(format, args...))
}
