package egress

import "strings"

// phoneHomeSwitch is a setting that makes an application call home when it
// is on, although no host is written anywhere: Grafana's usage reporting and
// update checks, MinIO's call-home.
type phoneHomeSwitch struct {
	// path matches the end of a finding's field path after normalizeKey:
	// ".analytics.checkforupdates" (grafana.ini) or "[gfanalyticscheckforupdates].value" (env).
	path string
	host string // where the application calls, for the catalogue's hint
}

var switches = []phoneHomeSwitch{
	{".analytics.reportingenabled", "stats.grafana.org"},
	{".analytics.checkforupdates", "grafana.com"},
	{".analytics.checkforpluginupdates", "grafana.com"},
	{"[gfanalyticsreportingenabled].value", "stats.grafana.org"},
	{"[gfanalyticscheckforupdates].value", "grafana.com"},
	{"[gfanalyticscheckforpluginupdates].value", "grafana.com"},
	{"[miniocallhomeenable].value", "subnet.min.io"},
}

// isOn reads a boolean setting the way INI, env and YAML files write it.
func isOn(v string) bool {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(v), `"'`)) {
	case "true", "yes", "on", "1", "enable", "enabled":
		return true
	}
	return false
}

// switchedOn reports a phone-home setting that is on.
func (s *docScan) switchedOn(v string, ctx walkCtx, line int) {
	if len(v) > 16 || !isOn(v) {
		return
	}
	path := normalizeKey(ctx.path)
	for _, sw := range switches {
		if !strings.HasSuffix(path, sw.path) {
			continue
		}
		t, _ := Lookup(sw.host)
		f := Finding{
			Document: s.doc, Line: line,
			APIVersion: s.res.APIVersion, Kind: s.res.Kind, Namespace: s.res.Namespace, Name: s.res.Name,
			Field: ctx.path, Setting: ctx.setting, Value: strings.TrimSpace(v), Host: sw.host,
			Service: t.Service, Hint: t.Hint,
		}
		if s.a.classifier.Classify(f.Host, "") != Public || s.a.allowed(f.Host, s.res, f.Field) {
			s.allowed++
			return
		}
		s.found = append(s.found, f)
		return
	}
}
