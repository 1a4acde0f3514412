// Package reference parses container image references as the container
// runtime reads them and names the registries that are public.
//
// The grammar is distribution/reference's (github.com/distribution/reference),
// which this package wraps rather than repeats:
//
//	reference   := name [ ":" tag ] [ "@" digest ]
//	name        := [ domain "/" ] path-component { "/" path-component }
//	domain      := host [ ":" port ]         (a first component with "." or ":", or "localhost")
//	tag         := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
//	digest      := algorithm ":" hex         (sha256 and sha512 are validated)
//	prefix      := domain | name             (a rule's from/to, the mirror: no tag, digest or trailing "/")
//
// On top of the grammar it normalises as the runtime does: a name without a
// domain is on docker.io, a one-component Docker Hub path is under
// "library/", host names compare in lower case and without the scheme's
// default port (":443", ":80"), and index.docker.io is docker.io. A tag and
// a digest are kept exactly as written. It refuses, with the input quoted,
// what a runtime would read differently from a reviewer: surrounding white
// space, an unrendered template ("{{"), a domain-less first component that
// looks like a host, and a one-word upper-case host.
//
// The list of well-known public registries is data (public.txt).
//
// It imports only the standard library and distribution/reference: the
// fast binary and every other package build on it. FuzzParse beside the
// parser holds it to the grammar.
package reference
