package config

import (
	"strings"
	"testing"
)

// TestCommonMistakeHints: each common mistake is an error that names the
// file, line and key and says what to write instead; correct spellings of
// the same values pass.
func TestCommonMistakeHints(t *testing.T) {
	tests := []struct {
		name, config string
		want         []string // substrings of the error; none means valid
	}{
		{"rules as a mapping", "rules:\n  docker.io: registry.example.com/dockerhub\n  quay.io: registry.example.com/quay\n",
			[]string{"test.yaml:2: rules: rules is a list of {from, to} entries, not a mapping; write:",
				"    - from: docker.io\n      to: registry.example.com/dockerhub\n    - from: quay.io\n      to: registry.example.com/quay"}},
		{"one rule without the dash", "rules:\n  from: docker.io\n  to: registry.example.com/dockerhub\n",
			[]string{"rules: rules is a list", "    - from: docker.io\n      to: registry.example.com/dockerhub"}},
		{"scheme in mirror", "mirror: https://registry.example.com/mirror\n",
			[]string{`test.yaml:1: mirror: invalid destination "https://registry.example.com/mirror": image references have no scheme; write registry.example.com/mirror`}},
		{"scheme and slash in a rule", "rules:\n  - from: docker.io\n    to: http://registry.example.com/hub/\n",
			[]string{`test.yaml:3: rules[0].to: invalid destination "http://registry.example.com/hub/": image references have no scheme, a prefix has no trailing slash; write registry.example.com/hub`}},
		{"upper case path", "mirror: registry.example.com/Mirror\n",
			[]string{`mirror: invalid destination "registry.example.com/Mirror": repository names are lower case; write registry.example.com/mirror`}},
		{"upper case source", "rules:\n  - from: docker.io/Bitnami\n    to: registry.example.com/bitnami\n",
			[]string{`rules[0].from: invalid source "docker.io/Bitnami": repository names are lower case; write docker.io/bitnami`}},
		{"pull secret as a string", "pullSecrets: regcred\n",
			[]string{`test.yaml:1: pullSecrets: want a list, found the string "regcred"; write pullSecrets: [regcred]`}},
		{"scheme in allow", "allow:\n  - https://registry.example.com\n",
			[]string{`test.yaml:2: allow[0]: "https://registry.example.com" is not a registry host name; write registry.example.com`}},
		{"every mistake at once", "mirror: HTTPS://registry.example.com/m\npullSecrets: regcred\n",
			[]string{"mirror:", "pullSecrets:"}},
		{"beyond a hint: the generic error", "mirror: registry.example.com/B@x\n", []string{`mirror: invalid destination "registry.example.com/B@x"`}},
		{"upper case host is fine", "mirror: Registry.Example.com/mirror\nallow: [Registry.Example.com]\n", nil},
		{"correct config", "mirror: registry.example.com/mirror\nrules:\n  - from: docker.io\n    to: registry.example.com/hub\npullSecrets: [regcred]\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.config), "test.yaml")
			if err == nil {
				_, err = cfg.Compile()
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\nwant it to contain:\n%s", err, w)
				}
			}
		})
	}
}
