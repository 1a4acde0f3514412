// Package mapper maps image references onto the internal registry: which
// registries count as internal, which rule or catch-all mirror a reference
// matches, what it becomes, and which sources would collide on one
// destination. Package config builds a Mapper from a validated config.
//
// It is pure and safe for concurrent use (each distinct reference is
// resolved once); it imports only the standard library,
// distribution/reference and package reference.
package mapper
