package egress

import (
	"regexp"
	"strings"
	"sync"
)

// lazyRegexp compiles pattern when it is first used: the fast binary links
// this package but runs no audit unless asked, and compiling every pattern
// at each start cost it 0.19 ms (GODEBUG=inittrace=1).
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}

// Some values hold endpoints the release never calls: the origins a
// browser may send requests from (CORS), the sources a browser may load
// (Content-Security-Policy), a User-Agent's contact link, PromQL label
// matchers (a label value that looks like a host), the public URL the app
// is served at, and the hosts exempt from a proxy. Proxy settings are the
// opposite: every outbound call goes through them, so a bare proxy host is
// reported like a URL. called applies both.

// notCalledSettings are setting names (after normalizeKey, the last
// segment of a dotted or slashed name) whose whole value names endpoints
// that are not called.
var notCalledSettings = []func() *regexp.Regexp{
	lazyRegexp(`cors|(allow|allowed|trusted)origins?$|accesscontrolallow`), // CORS
	lazyRegexp(`contentsecuritypolicy|(^|[^a-z])csp$|^csp`),                // CSP
	lazyRegexp(`useragent`), // User-Agent
	lazyRegexp(`(public|external|serverroot|site|self|canonical)url$`), // the app's own URL
	lazyRegexp(`nextauthurl$`),          // NextAuth's own URL
	lazyRegexp(`noproxy|nonproxyhosts`), // proxy exemptions
	lazyRegexp(`^relatedresources$`),    // compliance reports' reading lists
}

// notCalledAnnotations are annotations, by their whole name, that link to
// documentation: a CRD's API-review approval.
var notCalledAnnotations = map[string]bool{"api-approved.kubernetes.io": true}

// printedLine matches a script line that prints text (echo, printf) without
// running anything in it: a URL there is shown to a person, not called.
var printedLine = lazyRegexp("^\\s*(echo|printf)\\s[^$`|;&]*$")

// proxySetting matches proxy settings (HTTP_PROXY, https_proxy,
// ALL_PROXY, proxyUrl), not their exemptions.
var proxySetting = lazyRegexp(`^(https?|all|ftp|socks5?)?proxy(url|host|server)?$`)

// notCalledValue matches whole values that are browser policy or a
// User-Agent, whatever their setting is called: CSP directives, the CORS
// response header, a "Mozilla/5.0 (compatible; ...)" product string.
var notCalledValue = lazyRegexp(`(?i)\b(default|script|style|img|connect|font|frame|media|object|worker|manifest)-src\b|frame-ancestors|access-control-allow-origin|^mozilla/\d|\(compatible;`)

// promQLSelector matches a PromQL label-matcher block: {label="value", ...}.
var promQLSelector = lazyRegexp(`\{\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"[^{}]*\}`)

// javaNonProxyHosts matches -Dhttp.nonProxyHosts=a|b|c, an exemption list.
var javaNonProxyHosts = lazyRegexp(`-D(https?|ftp)\.nonProxyHosts=\S*`)

// javaProxyHost matches -Dhttp.proxyHost=HOST (also https, ftp and
// socksProxyHost), and javaProxyPort the port beside it.
var (
	javaProxyHost = lazyRegexp(`-D(https?\.|ftp\.|socks)[pP]roxyHost=([^\s"'|,;]+)`)
	javaProxyPort = lazyRegexp(`-D(https?\.|ftp\.|socks)[pP]roxyPort=(\d+)`)
)

// called keeps the endpoints of a one-line value that the release may call;
// proxy[i] says endpoints[i] is a proxy, reported even as a bare name.
func called(setting, v string, endpoints []Endpoint) (kept []Endpoint, proxy []bool) {
	name := settingName(setting)
	if notCalledAnnotations[strings.ToLower(setting)] || printedLine().MatchString(v) {
		return nil, nil
	}
	for _, re := range notCalledSettings {
		if re().MatchString(name) {
			return nil, nil
		}
	}
	if notCalledValue().MatchString(v) {
		return nil, nil
	}
	quiet := append(promQLSelectors(v), javaNonProxyHosts().FindAllStringIndex(v, -1)...)
	proxies := javaProxies(v)
	isProxy := proxySetting().MatchString(name)
	for _, e := range endpoints {
		if inSpans(e, quiet) {
			continue
		}
		if p, ok := proxies[e.Start]; ok && e.Form == FormHost {
			e = p
			kept, proxy = append(kept, e), append(proxy, true)
			continue
		}
		kept, proxy = append(kept, e), append(proxy, isProxy)
	}
	return kept, proxy
}

// promQLSelectors finds the label-matcher blocks of a value; a shell
// parameter expansion (${URL="https://..."}) is not one.
func promQLSelectors(v string) [][]int {
	var out [][]int
	for _, span := range promQLSelector().FindAllStringIndex(v, -1) {
		if span[0] == 0 || v[span[0]-1] != '$' {
			out = append(out, span)
		}
	}
	return out
}

// settingName is the last segment of a setting, normalized:
// "nginx.ingress.kubernetes.io/cors-allow-origin" -> "corsalloworigin".
func settingName(setting string) string {
	k := normalizeKey(setting)
	if i := strings.LastIndexAny(k, "./"); i >= 0 {
		k = k[i+1:]
	}
	return k
}

// javaProxies finds -Dhttp.proxyHost=HOST in a value, by the offset of the
// host, with the port of the matching -D...proxyPort when there is one.
func javaProxies(v string) map[int]Endpoint {
	hosts := javaProxyHost().FindAllStringSubmatchIndex(v, -1)
	if len(hosts) == 0 {
		return nil
	}
	ports := map[string]string{}
	for _, m := range javaProxyPort().FindAllStringSubmatch(v, -1) {
		ports[strings.ToLower(m[1])] = m[2]
	}
	out := map[int]Endpoint{}
	for _, m := range hosts {
		start, end := m[4], m[5]
		host := normalizeHost(v[start:end])
		if !validHost(host) {
			continue
		}
		e := Endpoint{Text: v[start:end], Start: start, End: end, Form: FormHost, Host: host}
		if port := ports[strings.ToLower(v[m[2]:m[3]])]; port != "" {
			e.Text, e.Form, e.Port = e.Text+":"+port, FormHostPort, port
		}
		out[start] = e
	}
	return out
}

func inSpans(e Endpoint, spans [][]int) bool {
	for _, s := range spans {
		if e.Start >= s[0] && e.Start < s[1] {
			return true
		}
	}
	return false
}
