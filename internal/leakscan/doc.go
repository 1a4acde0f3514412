// Package leakscan is the tests' own oracle for "no public image is left":
// given a YAML stream it lists every image reference it can see, with the
// document, the resource, the field path (and the place inside embedded
// text) and the value, so a test can assert that a rewritten release holds
// none that is still public.
//
// It looks everywhere, by context and by grammar: pod-spec and custom-resource
// `image` fields; any value under a name that says image (`imageName`,
// `*_IMAGE`, `RELATED_IMAGE_*`, `--x-image`, `-x-image=`, `imageRef`...),
// implicit Docker Hub names included; any token anywhere that names an
// explicit registry and carries a tag or digest; Secret data (base64-decoded);
// embedded YAML/JSON (parsed and walked), shell scripts and properties
// (tokenised); composites (a repository, registry or hub next to a tag, and
// repository keys holding an explicit registry), reported as the prefix; and
// every reference of a multi-reference value (comma lists, lines,
// `version=image`). Of a CustomResourceDefinition only the defaults of its
// schema are read (the API server writes them into resources); its
// descriptions and examples are not images.
//
// It is deliberately written apart from the engine it checks: it must not
// import rules/, rewrite/, egress/ or github.com/distribution/reference, and
// shares no code with them, so a mistake in the engine's detection cannot
// hide itself. It is a test oracle: simple and readable beats fast.
//
// Only tests import this package.
package leakscan
