package rules

import "strings"

// publicRegistries are registries on the internet that no air-gapped cluster
// reaches. A rule destination, the mirror or an allowed domain naming one of
// them is a configuration mistake. A leading "*." matches any subdomain.
var publicRegistries = []string{
	"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com",
	"quay.io", "ghcr.io", "gcr.io", "*.gcr.io", "*.pkg.dev", "k8s.gcr.io",
	"registry.k8s.io", "public.ecr.aws", "mcr.microsoft.com", "docker.elastic.co",
	"registry.gitlab.com", "nvcr.io", "cgr.dev", "registry.access.redhat.com",
	"registry.redhat.io", "docker.bintray.io", "registry.opensource.zalan.do",
	"container-registry.oracle.com", "icr.io", "*.icr.io",
}

// IsPublicRegistry reports whether domain is a well-known public registry.
func IsPublicRegistry(domain string) bool {
	domain = strings.ToLower(domain)
	for _, public := range publicRegistries {
		if suffix, wildcard := strings.CutPrefix(public, "*"); wildcard {
			if strings.HasSuffix(domain, suffix) {
				return true
			}
		} else if domain == public {
			return true
		}
	}
	return false
}
