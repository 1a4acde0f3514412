package rewrite

import "bytes"

// The prefilter decides, without parsing, that a document cannot hold an
// image reference, so the parse (most of the engine's cost) can be skipped.
// It must never skip a document the parser would find an image in: every
// rule here answers "skip" only when it is certain, and "parse" on any doubt.
// It runs only with Options.SkipImageless; tests and fuzzing compare the outputs.

// mayHoldImages reports whether a document must be parsed: it has a trigger
// anywhere (an image-named or composite key, a slash, a Secret, or a
// backslash that could spell one in an escaped key). Block scalar content
// counts too: text embedded in a ConfigMap is searched for images.
func (p *processor) mayHoldImages(data []byte) bool {
	for _, t := range p.triggers {
		if bytes.Contains(data, t) {
			return true
		}
	}
	return false
}
