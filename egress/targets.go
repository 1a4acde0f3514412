package egress

import "strings"

// Target is a well-known public service a release may phone home to.
type Target struct {
	// Hosts the service answers on; "*." matches any subdomain.
	Hosts []string
	// Service names it for people.
	Service string
	// Hint says how to keep an air-gapped install from calling it.
	Hint string
}

const (
	acmeHint = "a public ACME CA: cert-manager would order certificates over the internet, and its challenges need public reachability; " +
		"use an internal CA issuer (cert-manager CA, Vault, step-ca) and set issuer: in the helm-airgap config to point every Ingress, Gateway and Certificate at it"
	oauthHint = "Google sign-in: leave the Google OAuth client ID and secret empty, or point the OAuth/OIDC settings at an internal identity provider (Keycloak, Dex)"
	llmHint   = "a public AI API: leave the API key and base URL empty, or point them at a model served inside the cluster or an internal gateway"
	dnsHint   = "a public DNS resolver: forward to the internal DNS servers instead"
)

// knownTargets names the usual phone-home targets of charts and applications.
// Charts ingress-nginx and cert-manager have no usage reporting of their own;
// cert-manager calls out through its ACME issuers, listed first.
var knownTargets = []Target{
	{[]string{"acme-v02.api.letsencrypt.org", "acme-v01.api.letsencrypt.org"}, "Let's Encrypt ACME directory", acmeHint},
	{[]string{"acme-staging-v02.api.letsencrypt.org", "acme-staging.api.letsencrypt.org"}, "Let's Encrypt staging ACME directory", acmeHint},
	{[]string{"acme.zerossl.com"}, "ZeroSSL ACME directory", acmeHint},
	{[]string{"dv.acme-v02.api.pki.goog", "dv.acme-v02.test-api.pki.goog"}, "Google Trust Services ACME directory", acmeHint},
	{[]string{"api.buypass.com", "api.test4.buypass.no"}, "Buypass ACME directory", acmeHint},
	{[]string{"acme.ssl.com"}, "SSL.com ACME directory", acmeHint},

	{[]string{"accounts.google.com", "oauth2.googleapis.com", "openidconnect.googleapis.com", "www.googleapis.com"}, "Google OAuth / OpenID Connect", oauthHint},

	{[]string{"api.openai.com"}, "OpenAI API", llmHint},
	{[]string{"*.openai.azure.com"}, "Azure OpenAI", llmHint},
	{[]string{"*.cognitiveservices.azure.com"}, "Azure AI services", llmHint},
	{[]string{"api.anthropic.com"}, "Anthropic API", llmHint},
	{[]string{"generativelanguage.googleapis.com"}, "Google Gemini API", llmHint},

	{[]string{"challenges.cloudflare.com"}, "Cloudflare Turnstile",
		"CAPTCHA verification calls Cloudflare from the browser and the server: leave the Turnstile site key and secret empty"},
	{[]string{"www.google.com", "www.recaptcha.net", "recaptcha.net"}, "Google reCAPTCHA",
		"CAPTCHA verification calls Google: leave the reCAPTCHA keys empty"},
	{[]string{"hcaptcha.com", "*.hcaptcha.com"}, "hCaptcha", "CAPTCHA verification calls hCaptcha: leave the hCaptcha keys empty"},

	{[]string{"stats.grafana.org"}, "Grafana usage statistics",
		"Grafana reports usage: set GF_ANALYTICS_REPORTING_ENABLED=false ([analytics] reporting_enabled = false)"},
	{[]string{"grafana.com", "grafana.net", "www.grafana.com"}, "Grafana.com (update checks, plugin catalogue)",
		"Grafana checks for updates and installs plugins from grafana.com: set GF_ANALYTICS_CHECK_FOR_UPDATES=false and GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false, empty [grafana_net] url, and install plugins from an internal source"},
	{[]string{"*.grafana.net"}, "Grafana Cloud", "a hosted Grafana Cloud endpoint: send telemetry to an in-cluster backend instead"},
	{[]string{"subnet.min.io"}, "MinIO SUBNET (call-home, licensing)",
		"MinIO call-home and SUBNET registration reach the internet: keep call-home disabled (MINIO_CALLHOME_ENABLE=off) and do not register the cluster"},
	{[]string{"dl.min.io", "dl.minio.io"}, "MinIO downloads (update check)",
		"MinIO update checks and self-update download from dl.min.io: set MINIO_UPDATE=off and mirror binaries internally"},
	{[]string{"*.tmprl.cloud"}, "Temporal Cloud", "a Temporal Cloud endpoint: point the client at the in-cluster temporal-frontend service"},
	{[]string{"temporal.io", "*.temporal.io"}, "Temporal (version check, docs)",
		"the Temporal server's version check calls temporal.io: turn it off with the dynamic config key frontend.enableServerVersionCheck: false"},
	{[]string{"bitnami.com", "*.bitnami.com"}, "Bitnami (chart repository, downloads)",
		"Bitnami's chart repository and downloads are on the internet: mirror the charts into an internal OCI registry"},

	{[]string{"github.com", "api.github.com", "raw.githubusercontent.com", "objects.githubusercontent.com", "codeload.github.com"}, "GitHub",
		"Git repositories, releases and raw files on GitHub: mirror them into an internal Git server or artifact store"},
	{[]string{"gitlab.com"}, "GitLab.com", "Git repositories on GitLab.com: mirror them into an internal Git server"},
	{[]string{"storage.googleapis.com"}, "Google Cloud Storage (downloads)", "downloads from a public bucket: mirror the files into an internal store"},
	{[]string{"hooks.slack.com"}, "Slack webhooks", "notifications to Slack: route them to an internal receiver"},
	{[]string{"events.pagerduty.com", "events.eu.pagerduty.com"}, "PagerDuty", "alerts to PagerDuty: route them to an internal receiver"},

	{[]string{"sentry.io", "*.sentry.io"}, "Sentry error reporting", "error reports to sentry.io: leave the Sentry DSN empty or use an in-cluster Sentry"},
	{[]string{"api.segment.io", "cdn.segment.com"}, "Segment analytics", "product analytics to Segment: leave the write key empty"},
	{[]string{"api.mixpanel.com"}, "Mixpanel analytics", "product analytics to Mixpanel: disable it"},
	{[]string{"app.posthog.com", "*.posthog.com"}, "PostHog analytics", "product analytics to PostHog: disable it or use an in-cluster PostHog"},
	{[]string{"www.google-analytics.com", "*.google-analytics.com", "www.googletagmanager.com"}, "Google Analytics", "web analytics to Google: leave the tracking ID empty"},
	{[]string{"*.datadoghq.com", "*.datadoghq.eu"}, "Datadog", "telemetry to Datadog SaaS: send it to an in-cluster backend"},
	{[]string{"*.newrelic.com", "*.nr-data.net"}, "New Relic", "telemetry to New Relic SaaS: send it to an in-cluster backend"},
	{[]string{"secure.gravatar.com", "www.gravatar.com", "gravatar.com"}, "Gravatar", "avatars fetched from Gravatar: disable Gravatar in the application"},

	{[]string{"pool.ntp.org", "*.pool.ntp.org", "time.google.com", "time.cloudflare.com"}, "public NTP", "a public time server: use the internal time source"},
	{[]string{"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112"}, "public DNS resolver", dnsHint},
}

// Lookup finds the known target for a host.
func Lookup(host string) (Target, bool) {
	host = normalizeHost(host)
	for _, t := range knownTargets {
		for _, pattern := range t.Hosts {
			if matchHostPattern(pattern, host) {
				return t, true
			}
		}
	}
	return Target{}, false
}

// matchHostPattern matches a host against a name or "*.domain" (any
// subdomain, not the domain itself).
func matchHostPattern(pattern, host string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return host == pattern
}
