// Package atomicfile writes a file so that its name only ever holds the old
// content or the complete new one: the new content goes to a temporary
// file in the same directory (or a given one on the same file system), is
// flushed to disk, and is renamed over the name. A run that fails or is
// killed leaves the old file as it was and at most a temporary file that
// its pattern names.
//
// Stage, Write and WriteFunc are the ways in; a staged File is committed
// (renamed into place) or aborted (removed). It is a leaf: it imports only
// the standard library, so every binary may use it.
package atomicfile
