package reference

import (
	"errors"
	// go-digest validates sha256/sha512 digests only when their hash
	// implementations are linked in; nothing else in this binary imports them.
	_ "crypto/sha256"
	_ "crypto/sha512"
	"fmt"
	"strings"

	distref "github.com/distribution/reference"
)

// Ref is an image reference split into the parts the mapping needs. Tag and
// digest are kept exactly as written: helm-airgap never adds ":latest" and
// keeps "tag@digest" whole.
type Ref struct {
	Written string // the reference exactly as found
	Domain  string // normalized registry host, lower case ("docker.io" for Docker Hub)
	Path    string // repository path without the domain ("library/nginx")
	Suffix  string // ":tag", "@digest" or ":tag@digest" as written, or ""
}

// Repository is the normalized repository name, domain included.
func (r Ref) Repository() string { return r.Domain + "/" + r.Path }

// Parse parses and normalizes an image reference the way the container
// runtime does: "nginx", "library/nginx", "docker.io/nginx" and
// "index.docker.io/library/nginx" are the same repository.
func Parse(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("invalid image reference %q: empty", s)
	}
	if strings.TrimSpace(s) != s {
		return Ref{}, fmt.Errorf("invalid image reference %q: surrounding white space", s)
	}
	if strings.Contains(s, "{{") {
		// Say so plainly: distribution/reference would only complain about case.
		return Ref{}, fmt.Errorf("invalid image reference %q: an unrendered template expression", s)
	}
	named, err := distref.ParseNormalizedNamed(s)
	if err != nil {
		return Ref{}, fmt.Errorf("invalid image reference %q: %w", s, err)
	}
	domain := distref.Domain(named)
	if domain == "" {
		// "a.b_c/d" parses as a domain-less path: its first component looks
		// like a host to every runtime but is not a valid one.
		first, _, _ := strings.Cut(s, "/")
		return Ref{}, fmt.Errorf("invalid image reference %q: %q is not a valid registry host", s, first)
	}
	if !strings.ContainsAny(domain, ".:") && strings.ToLower(domain) != "localhost" && domain != strings.ToLower(domain) {
		// Only its capitals make "Registry/app" a registry host; in lower case
		// it would be the Docker Hub image registry/app. Too easy to misread.
		return Ref{}, fmt.Errorf("invalid image reference %q: registry host %q is one upper-case word, which reads as a Docker Hub repository; write the host with a dot or port", s, domain)
	}
	ref := Ref{
		Written: s,
		Domain:  CanonicalHost(domain),
		Path:    distref.Path(named),
	}
	if ref.Domain == "index.docker.io" {
		ref.Domain = "docker.io" // "index.docker.io:443/x", once without its port
	}
	if ref.Domain == "docker.io" && !strings.Contains(ref.Path, "/") {
		// "docker.io:443/nginx" is docker.io/library/nginx, as Docker Hub
		// names it once the port is gone.
		ref.Path = "library/" + ref.Path
	}
	if tagged, ok := named.(distref.Tagged); ok {
		ref.Suffix = ":" + tagged.Tag()
	}
	if digested, ok := named.(distref.Digested); ok {
		ref.Suffix += "@" + digested.Digest().String()
	}
	return ref, nil
}

// HasExplicitDomain reports whether s names its registry itself rather than
// relying on the Docker Hub default: its first path component contains a dot
// or a colon, or is "localhost". Only such strings are taken for image
// references when they appear in free-form places such as container args.
func HasExplicitDomain(s string) bool {
	first, _, ok := strings.Cut(s, "/")
	return ok && (strings.ContainsAny(first, ".:") || first == "localhost")
}

// ParsePrefix parses a repository prefix such as "docker.io",
// "quay.io/jetstack" or "registry.internal.example.com/mirror" into its
// normalized form. A single component with a dot or colon, or "localhost",
// is a bare registry domain; anything else is normalized like an image
// repository, so "bitnami/redis" means "docker.io/bitnami/redis".
func ParsePrefix(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty")
	}
	if strings.ContainsAny(s, "@") || strings.HasSuffix(s, "/") {
		return "", fmt.Errorf("a prefix has no tag, digest or trailing slash")
	}
	if IsDomain(s) {
		domain := CanonicalHost(s)
		if domain == "index.docker.io" {
			// Docker Hub's legacy name; references normalize it to docker.io.
			domain = "docker.io"
		}
		if _, err := distref.ParseNamed(domain + "/x/y"); err != nil {
			return "", prefixError(err)
		}
		return domain, nil
	}
	if HasExplicitDomain(s) {
		// An explicit domain keeps its path as written: "docker.io/bitnami"
		// is the bitnami namespace, not docker.io/library/bitnami.
		domain, path, _ := strings.Cut(s, "/")
		domain = CanonicalHost(domain)
		if domain == "index.docker.io" {
			domain = "docker.io"
		}
		if _, err := distref.ParseNamed(domain + "/" + path + "/x"); err != nil {
			return "", prefixError(err)
		}
		return domain + "/" + path, nil
	}
	named, err := distref.ParseNormalizedNamed(s)
	if err != nil {
		return "", err
	}
	if !distref.IsNameOnly(named) {
		return "", fmt.Errorf("a prefix has no tag or digest")
	}
	return strings.ToLower(distref.Domain(named)) + "/" + distref.Path(named), nil
}

// prefixError is the parser's error about a prefix checked with a
// placeholder repository appended: without the name it quotes, which
// holds the placeholder the user never wrote.
func prefixError(err error) error {
	if errors.Is(err, distref.ErrNameContainsUppercase) {
		return errors.New("repository names are lower case")
	}
	return err
}

// IsDomain reports whether a slash-free string is a registry host.
func IsDomain(s string) bool {
	return !strings.Contains(s, "/") && (strings.ContainsAny(s, ".:") || s == "localhost")
}

// DomainOf returns the registry host of a normalized prefix.
func DomainOf(prefix string) string {
	domain, _, _ := strings.Cut(prefix, "/")
	return domain
}

// UnderPrefix reports whether repo equals prefix or lies below it at a
// path-component boundary: "a/b" is under "a" but "a-b/c" is not.
func UnderPrefix(repo, prefix string) bool {
	return repo == prefix || (strings.HasPrefix(repo, prefix) && repo[len(prefix)] == '/')
}
