package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
)

// Argo CD hands a config management plugin its settings through the
// environment (argo-cd docs, operator-manual/config-management-plugins.md):
//
//   - spec.source.plugin.env entries arrive prefixed with ARGOCD_ENV_, so an
//     Application that sets HELM_AIRGAP_MIRROR is read from
//     ARGOCD_ENV_HELM_AIRGAP_MIRROR;
//   - spec.source.plugin.parameters arrive twice: as JSON in
//     ARGOCD_APP_PARAMETERS ([{"name":..,"string"|"array"|"map":..}]), and as
//     PARAM_<NAME> (a string), PARAM_<NAME>_<i> (array items) and
//     PARAM_<NAME>_<KEY> (map entries), where NAME and KEY are upper-cased
//     with every character outside [A-Z0-9_] replaced by "_".
//
// helm-airgap maps both onto the options its flags set. Precedence, highest
// first: flags; parameters; ARGOCD_ENV_HELM_AIRGAP_*; $HELM_AIRGAP_CONFIG and
// the config file. A single value (config path, mirror) is taken from the
// highest source that sets it; lists (rules, pull secrets, allowed
// registries) add up, and a rule replaces a lower source's rule with the
// same from. The JSON is read rather than PARAM_* when both are present,
// because the PARAM_ names lose a map key's dots and slashes; PARAM_* alone
// is read only under Argo CD (ARGOCD_APP_NAME set), so that a stray PARAM_
// variable in some CI job cannot loosen the policy of a post-renderer; and
// outside Argo CD (no ARGOCD_APP_NAME) none of them is read: Load warns
// that they were ignored.
//
// An Application's settings come from whoever may edit it, so a config file
// it names must lie inside the application directory (the working
// directory Argo CD runs the plugin in), symlinks resolved, and be a path,
// not a URL (insideAppDir).

const (
	argoEnvPrefix    = "ARGOCD_ENV_"
	argoAppName      = "ARGOCD_APP_NAME"
	argoAppParams    = "ARGOCD_APP_PARAMETERS"
	argoParamPrefix  = "PARAM_"
	argoAllowEmptyEV = "HELM_AIRGAP_ALLOW_EMPTY"
)

// argoSetting is one shared option as each place spells it: the variable
// (HELM_AIRGAP_..., the same outside Argo CD and, after ARGOCD_ENV_, in a
// plugin's env), the plugin parameter name and the flag. One set of names:
// Flags.Add gives the flags these variables.
type argoSetting struct {
	env, param, flag string
	list             bool // several values: array, map (rules), or a separated string
}

var (
	argoConfig      = argoSetting{env: ConfigEnv, param: "airgap-config", flag: "config"}
	argoMirror      = argoSetting{env: "HELM_AIRGAP_MIRROR", param: "mirror", flag: "mirror"}
	argoRules       = argoSetting{env: "HELM_AIRGAP_RULES", param: "rules", flag: "rule", list: true}
	argoPullSecrets = argoSetting{env: PullSecretsEnv, param: "pull-secrets", flag: "pull-secret", list: true}
	argoAllow       = argoSetting{env: "HELM_AIRGAP_ALLOW", param: "allow", flag: "allow", list: true}
	argoSettingList = []argoSetting{argoConfig, argoMirror, argoRules, argoPullSecrets, argoAllow}

	// The parameters of the plugin's generate step (ReadArgoCDRender): no
	// ARGOCD_ENV_ form, since they belong to the Application, not the
	// sidecar.
	argoReleaseName = argoSetting{param: "release-name"}
	argoValuesFiles = argoSetting{param: "values-files", list: true}
	argoHelmArgs    = argoSetting{param: "helm-args", list: true}
	argoRenderList  = []argoSetting{argoReleaseName, argoValuesFiles, argoHelmArgs}
)

// ArgoCD are the options found in an Argo CD plugin environment.
type ArgoCD struct {
	underArgoCD bool
	config      string // config file path, "" when none was set
	configFrom  string // the variable or parameter that set config
	overrides   config.Overrides
	allowEmpty  bool // the application may render nothing
}

// Under reports whether the process runs as an Argo CD plugin.
func (s ArgoCD) Under() bool { return s.underArgoCD }

// readArgoCD reads the Argo CD settings when running under Argo CD; outside
// it, it reads none and warns about each Argo CD variable it ignored.
func readArgoCD(env map[string]string) (ArgoCD, []string, error) {
	if env[argoAppName] != "" {
		s, err := readArgoCDSettings(env)
		return s, nil, err
	}
	var warnings []string
	for k, v := range env {
		if strings.TrimSpace(v) != "" && (k == argoAppParams || strings.HasPrefix(k, argoEnvPrefix+"HELM_AIRGAP_")) {
			warnings = append(warnings, fmt.Sprintf("ignoring %s: not running under Argo CD (%s is not set)", k, argoAppName))
		}
	}
	sort.Strings(warnings)
	return ArgoCD{}, warnings, nil
}

// argoValue is one setting's value from one source.
type argoValue struct {
	from   string   // the variable or parameter, for messages
	str    *string  // a single string
	list   []string // array items
	ruleOf []mapper.Rule
}

// readArgoCDSettings reads the settings from an environment (environMap).
func readArgoCDSettings(env map[string]string) (ArgoCD, error) {
	s := ArgoCD{underArgoCD: env[argoAppName] != ""}
	if v, ok := env[argoEnvPrefix+argoAllowEmptyEV]; ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return s, fmt.Errorf("reading Argo CD settings: %s%s=%q: want true or false", argoEnvPrefix, argoAllowEmptyEV, v)
		}
		s.allowEmpty = b
	}
	params, err := readArgoParameters(env, s.underArgoCD, argoSettingList)
	if err != nil {
		return s, fmt.Errorf("reading Argo CD settings: %w", err)
	}
	// Lower sources first, so that a higher one replaces a single value and
	// comes after in a list.
	for _, source := range []map[string]argoValue{readArgoEnv(env), params} {
		for _, setting := range argoSettingList {
			v, ok := source[setting.param]
			if !ok {
				continue
			}
			if err := s.apply(setting, v); err != nil {
				return s, fmt.Errorf("reading Argo CD settings: %s: %w", v.from, err)
			}
		}
	}
	return s, nil
}

// apply merges one value into the settings.
func (s *ArgoCD) apply(setting argoSetting, v argoValue) error {
	if setting.flag != "" && setting != argoConfig {
		if s.overrides.From == nil {
			s.overrides.From = map[string]string{}
		}
		s.overrides.From[setting.flag] = v.from
		if strings.HasPrefix(v.from, argoEnvPrefix) || strings.HasPrefix(v.from, argoParamPrefix) {
			s.overrides.From[setting.flag] = "env " + v.from
		}
	}
	if !setting.list {
		if v.str == nil {
			return errors.New("want a single string, not an array or a map")
		}
		value := strings.TrimSpace(*v.str)
		switch setting {
		case argoConfig:
			s.config, s.configFrom = value, v.from
		case argoMirror:
			s.overrides.Mirror = value
		}
		return nil
	}
	items := v.list
	if v.str != nil {
		items = splitList(*v.str)
	}
	switch setting {
	case argoRules:
		list := v.ruleOf
		for _, item := range items {
			rule, err := config.ParseRuleFlag(item)
			if err != nil {
				return err
			}
			list = append(list, rule)
		}
		s.overrides.Rules = mergeRules(s.overrides.Rules, list)
	case argoPullSecrets:
		s.overrides.PullSecrets = append(s.overrides.PullSecrets, items...)
	case argoAllow:
		s.overrides.Allow = append(s.overrides.Allow, items...)
	}
	return nil
}

// mergeRules adds rules, a later one replacing an earlier one's from.
func mergeRules(list, add []mapper.Rule) []mapper.Rule {
	for _, r := range add {
		replaced := false
		for i := range list {
			if list[i].From == r.From {
				list[i], replaced = r, true
			}
		}
		if !replaced {
			list = append(list, r)
		}
	}
	return list
}

// splitList splits a list written in one string: items separated by commas,
// spaces or newlines, as a UI text field or an env value would hold them.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// readArgoEnv reads the ARGOCD_ENV_HELM_AIRGAP_* variables, keyed by the
// setting's parameter name.
func readArgoEnv(env map[string]string) map[string]argoValue {
	out := map[string]argoValue{}
	for _, setting := range argoSettingList {
		name := argoEnvPrefix + setting.env
		if v, ok := env[name]; ok && strings.TrimSpace(v) != "" {
			out[setting.param] = argoValue{from: name, str: &v}
		}
	}
	return out
}

// cmpParameter is one entry of ARGOCD_APP_PARAMETERS.
type cmpParameter struct {
	Name   string            `json:"name"`
	String *string           `json:"string,omitempty"`
	Array  []string          `json:"array,omitempty"`
	Map    map[string]string `json:"map,omitempty"`
}

// readArgoParameters reads the plugin parameters named by known, keyed by
// name; the others are left to whoever knows them (the rewrite's settings
// and the generate step's values files and helm arguments are read apart).
func readArgoParameters(env map[string]string, underArgoCD bool, known []argoSetting) (map[string]argoValue, error) {
	if raw, ok := env[argoAppParams]; ok && strings.TrimSpace(raw) != "" {
		return parseArgoParameterJSON(raw, known)
	}
	if !underArgoCD {
		return nil, nil
	}
	return readParamVariables(env, known)
}

// parseArgoParameterJSON decodes the known parameters of
// ARGOCD_APP_PARAMETERS.
func parseArgoParameterJSON(raw string, known []argoSetting) (map[string]argoValue, error) {
	var params []cmpParameter
	if err := json.Unmarshal([]byte(raw), &params); err != nil {
		return nil, fmt.Errorf("%s: decoding %q: %w", argoAppParams, abbreviate(raw), err)
	}
	out := map[string]argoValue{}
	for _, p := range params {
		setting, ok := findParameter(known, p.Name)
		if !ok {
			continue
		}
		v := argoValue{from: fmt.Sprintf("parameter %q", p.Name)}
		kinds := 0
		if p.String != nil {
			v.str, kinds = p.String, kinds+1
		}
		if p.Array != nil {
			v.list, kinds = p.Array, kinds+1
		}
		if p.Map != nil {
			if setting != argoRules {
				return nil, fmt.Errorf("%s: a map is only accepted for %q (from: to)", v.from, argoRules.param)
			}
			keys := make([]string, 0, len(p.Map))
			for k := range p.Map {
				keys = append(keys, k)
			}
			sort.Strings(keys) // a JSON object has no order; make the result stable
			for _, k := range keys {
				v.ruleOf = append(v.ruleOf, mapper.Rule{From: k, To: p.Map[k]})
			}
			kinds++
		}
		if kinds > 1 {
			return nil, fmt.Errorf("%s: set only one of string, array and map", v.from)
		}
		if kinds == 0 {
			continue
		}
		out[setting.param] = v
	}
	return out, nil
}

// readParamVariables reads the known PARAM_* variables, for a plugin
// environment that lacks ARGOCD_APP_PARAMETERS.
func readParamVariables(env map[string]string, known []argoSetting) (map[string]argoValue, error) {
	out := map[string]argoValue{}
	for _, setting := range known {
		base := argoParamPrefix + escapeParamName(setting.param)
		if v, ok := env[base]; ok {
			out[setting.param] = argoValue{from: base, str: &v}
			continue
		}
		if !setting.list {
			continue
		}
		var items []string
		for i := 0; ; i++ {
			v, ok := env[base+"_"+strconv.Itoa(i)]
			if !ok {
				break
			}
			items = append(items, v)
		}
		if items != nil {
			out[setting.param] = argoValue{from: base + "_0...", list: items}
			continue
		}
		if setting == argoRules {
			for k := range env {
				if strings.HasPrefix(k, base+"_") {
					return nil, fmt.Errorf("%s: a rules map cannot be read from PARAM_ variables (their names lose the dots and slashes of a registry); Argo CD sets %s too, or give rules as an array of FROM=TO", k, argoAppParams)
				}
			}
		}
	}
	return out, nil
}

func findParameter(known []argoSetting, name string) (argoSetting, bool) {
	for _, s := range known {
		if s.param == name {
			return s, true
		}
	}
	return argoSetting{}, false
}

// escapeParamName is Argo CD's PARAM_ naming: upper case, and "_" for every
// character outside [A-Z0-9_] (a loop rather than Argo CD's regexp, which
// would be compiled at every start of the fast binary).
func escapeParamName(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, strings.ToUpper(name))
}

func abbreviate(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// hasScheme reports whether s starts with a URL scheme ("http:", "s3:"),
// which a path from an Application must not have: Helm would fetch it. (A
// loop, not a regexp compiled at every start of the fast binary.)
func hasScheme(s string) bool {
	for i, r := range s {
		switch {
		case r == ':':
			return i > 0
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '.' || r == '-'):
		default:
			return false
		}
	}
	return false
}

// insideAppDir resolves path, named by an Application's setting from, to a
// file inside the application directory (the working directory), or
// refuses it: an absolute path, a URL, a way out through ".." or a symlink.
func insideAppDir(path, from string) (string, error) {
	refuse := func(why string) error {
		return fmt.Errorf("%s: %q: %s; give a path inside the application directory", from, path, why)
	}
	switch {
	case hasScheme(path):
		return "", refuse("a URL or scheme is not a file")
	case filepath.IsAbs(path):
		return "", refuse("an absolute path")
	case escapes(filepath.Clean(path)):
		return "", refuse("it lies outside the application directory")
	}
	app, err := os.Getwd()
	if err == nil {
		app, err = filepath.EvalSymlinks(app)
	}
	if err != nil {
		return "", fmt.Errorf("%s: finding the application directory: %w", from, err)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(app, path))
	if err != nil {
		return "", fmt.Errorf("%s: reading %q: %w", from, path, pathErr(err))
	}
	if rel, err := filepath.Rel(app, real); err != nil || escapes(rel) {
		return "", refuse("it lies outside the application directory")
	}
	return real, nil
}

// escapes reports whether a clean relative path leads out of its base.
func escapes(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
