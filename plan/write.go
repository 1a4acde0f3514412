package plan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"al.essio.dev/pkg/shellescape"
)

// Format is an output form of a plan.
type Format string

const (
	// Plain is one "SOURCE DESTINATION" line per image to copy; internal
	// images and origins are comment lines, so the list stays easy to feed
	// to `while read src dst`.
	Plain Format = "plain"
	// JSON is the whole plan, origins included when collected.
	JSON Format = "json"
	// Crane is a shell script of `crane copy` commands.
	Crane Format = "crane"
	// Skopeo is a shell script of `skopeo copy --all` commands.
	Skopeo Format = "skopeo"
	// Flux is the spec.postRenderers block of a Flux HelmRelease: kustomize
	// images: entries and JSON 6902 patches (flux.go). Its plan must come
	// from BuildFor.
	Flux Format = "flux"
)

// Formats lists every format, for help texts and validation.
var Formats = []Format{Plain, JSON, Crane, Skopeo, Flux}

// ParseFormat validates a format name ("text" is accepted for plain).
func ParseFormat(s string) (Format, error) {
	if s == "" || s == "text" {
		return Plain, nil
	}
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown output format %q (use one of %s)", s, strings.Join(names, ", "))
}

// internalPrefix marks an internal image in the plain form; Read relies on it.
const internalPrefix = "# internal, not copied: "

// Write prints the plan in a format. Origins are printed when the plan has
// them.
func Write(w io.Writer, p *Plan, f Format) error {
	bw := bufio.NewWriter(w)
	switch f {
	case JSON:
		enc := json.NewEncoder(bw)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			return err
		}
	case Crane, Skopeo:
		writeScript(bw, p, f)
	case Flux:
		if err := writeFlux(bw, p); err != nil {
			return err
		}
	default:
		writePlain(bw, p)
	}
	return bw.Flush()
}

func writePlain(w *bufio.Writer, p *Plan) {
	for _, img := range p.Images {
		switch img.Status {
		case Internal:
			fmt.Fprintf(w, "%s%s\n", internalPrefix, img.Source)
		case Runtime:
			fmt.Fprintf(w, "# runtime %s: %s %s (images under it are chosen at run time: mirror them by name)\n", img.Part, img.Source, img.Destination)
		default:
			fmt.Fprintf(w, "%s %s\n", img.Source, img.Destination)
		}
		if img.Cluster != "" {
			fmt.Fprintf(w, "#   in the cluster: %s\n", img.Cluster)
		}
		writeOrigins(w, img)
	}
}

func writeOrigins(w *bufio.Writer, img Image) {
	for _, o := range img.Origins {
		fmt.Fprintf(w, "#   %s\n", commentSafe(o.String()))
	}
}

// commentSafe keeps a comment on its line: resource and container names
// come from the manifests, and a line break in one must never end the
// comment and become a command in a generated script.
func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return '?'
		}
		return r
	}, s)
}

// writeScript prints a POSIX shell script that copies every image with
// crane or skopeo. Every argument is shell-quoted; multi-arch indexes are
// copied whole (crane copy does so by default, skopeo needs --all) and a
// digest-pinned source is pulled by its digest so the copy is exactly the
// pinned image.
func writeScript(w *bufio.Writer, p *Plan, f Format) {
	copies, internal := p.Copies(), p.InternalImages()
	fmt.Fprintf(w, "#!/bin/sh\n")
	fmt.Fprintf(w, "# Mirror plan written by helm-airgap: %d image(s) to copy, %d already internal.\n", len(copies), len(internal))
	switch f {
	case Crane:
		fmt.Fprintf(w, "# Needs crane (github.com/google/go-containerregistry/cmd/crane), logged in to both registries.\n")
	case Skopeo:
		fmt.Fprintf(w, "# Needs skopeo, logged in to both registries.\n")
	}
	fmt.Fprintf(w, "set -eu\n")
	for _, img := range p.Images {
		fmt.Fprintln(w)
		writeOrigins(w, img)
		if img.Status == Internal {
			fmt.Fprintf(w, "%s%s\n", internalPrefix, img.Source)
			continue
		}
		src, dst := img.CopySource(), img.CopyDestination()
		switch f {
		case Crane:
			fmt.Fprintf(w, "crane copy %s %s\n", shellescape.Quote(src), shellescape.Quote(dst))
		case Skopeo:
			preserve := ""
			if img.Digest() != "" {
				preserve = "--preserve-digests "
			}
			fmt.Fprintf(w, "skopeo copy --all %s%s %s\n", preserve, shellescape.Quote("docker://"+src), shellescape.Quote("docker://"+dst))
		}
	}
}
