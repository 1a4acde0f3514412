package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rules/config"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// configKind is the functionConfig kind that carries an airgap.yaml.
const configKind = "AirgapConfig"

// configEnv names the config file used when there is no functionConfig.
const configEnv = settings.ConfigEnv

// ConfigMap data keys.
const (
	dataConfig      = "config"
	dataMirror      = "mirror"
	dataRules       = "rules"
	dataPullSecrets = "pullSecrets"
	dataAllow       = "allow"
)

// loadConfig turns the functionConfig into a config.
func loadConfig(fc *yaml.RNode) (*config.Config, error) {
	if fc == nil || fc.IsNilOrEmpty() {
		path := os.Getenv(configEnv)
		if path == "" {
			return nil, fmt.Errorf("no functionConfig: give one of kind %s or ConfigMap, or name a config file in $%s", configKind, configEnv)
		}
		return config.LoadFile(path)
	}
	if fc.YNode().Kind != yaml.MappingNode {
		return nil, errors.New("functionConfig: want an object")
	}
	kind := yamlnode.ScalarAt(fc.YNode(), "kind")
	name := "functionConfig " + cli.Name(kind+"/"+yamlnode.ScalarAt(fc.YNode(), "metadata", "name")) // quoted if it could forge a line
	switch kind {
	case configKind:
		return configFromAirgapConfig(fc, name)
	case "ConfigMap":
		return configFromConfigMap(fc, name)
	default:
		return nil, fmt.Errorf("functionConfig of kind %q: want kind %s (apiVersion %s) or ConfigMap", kind, configKind, config.APIVersion)
	}
}

// configFromAirgapConfig reads an AirgapConfig: airgap.yaml plus kind and
// metadata, parsed as strictly as the file. kind and metadata are blanked
// out rather than removed, so that line numbers in messages count in the
// functionConfig as the orchestrator serialized it.
func configFromAirgapConfig(fc *yaml.RNode, name string) (*config.Config, error) {
	text, err := fc.String()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("reading %s: want an object", name)
	}
	root := doc.Content[0]
	lines := strings.SplitAfter(text, "\n")
	for i := 0; i+1 < len(root.Content); i += 2 {
		key := root.Content[i]
		if key.Value != "kind" && key.Value != "metadata" {
			continue
		}
		end := len(lines) // up to the next key, or the end
		if i+2 < len(root.Content) {
			end = root.Content[i+2].Line - 1
		}
		for l := key.Line - 1; l < end && l < len(lines); l++ {
			lines[l] = "\n"
		}
	}
	return config.Parse([]byte(strings.Join(lines, "")), name)
}

// configFromConfigMap reads a ConfigMap's data: an optional whole config,
// and the flag-like keys on top of it.
func configFromConfigMap(fc *yaml.RNode, name string) (*config.Config, error) {
	data, err := stringMap(fc, "data")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var unknown []string
	for k := range data {
		switch k {
		case dataConfig, dataMirror, dataRules, dataPullSecrets, dataAllow:
		default:
			unknown = append(unknown, fmt.Sprintf("%q", k))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("%s: unknown data key(s) %s: want %s, %s, %s, %s or %s", name, strings.Join(unknown, ", "),
			dataConfig, dataMirror, dataRules, dataPullSecrets, dataAllow)
	}
	cfg := &config.Config{}
	if text, ok := data[dataConfig]; ok {
		var err error
		if cfg, err = config.Parse([]byte(text), name+" data.config"); err != nil {
			return nil, err
		}
	}
	o := config.Overrides{
		Mirror:      strings.TrimSpace(data[dataMirror]),
		PullSecrets: splitList(data[dataPullSecrets]),
		Allow:       splitList(data[dataAllow]),
	}
	var errs []error
	for _, item := range splitList(data[dataRules]) {
		rule, err := config.ParseRuleFlag(item)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: data.%s: %w", name, dataRules, err))
			continue
		}
		o.Rules = append(o.Rules, rule)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cfg.Apply(o)
	return cfg, nil
}

// splitList splits items separated by commas, spaces or newlines.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// stringMap reads a mapping of strings, such as a ConfigMap's data.
func stringMap(rn *yaml.RNode, key string) (map[string]string, error) {
	n := yamlnode.Lookup(rn.YNode(), key)
	out := map[string]string{}
	if yamlnode.IsNull(n) {
		return out, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: want a mapping of strings", key)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s: want a mapping of strings (line %d)", key, k.Line)
		}
		out[k.Value] = v.Value
	}
	return out, nil
}
