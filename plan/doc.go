// Package plan owns the mirror plan: the deduplicated list of every image
// reference a manifest stream uses, each with the destination the rules
// give it and, on request, every place it was found. It is built from the
// rewrite engine's own findings (Build), so the list of images to mirror and
// the rewrite can never disagree.
//
// Plans are written as a plain SOURCE DESTINATION list, JSON, or crane and
// skopeo scripts (Write), and read back from the plain and JSON forms
// (Read), which is how the mirror and verify commands take a plan made
// elsewhere. The package is free of registry code: the fast binary imports
// it; copying lives in the mirror package.
package plan
