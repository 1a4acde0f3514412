package plan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/plexicus/helm-airgap/rules/reference"
)

// maxPlanSize bounds a plan read from a file: a plan lists images, not
// manifests, so even a very large one is a few megabytes.
const maxPlanSize = 64 << 20

// Read parses a plan in the JSON or the plain form (told apart by the first
// non-blank byte), validating every reference. In the plain form blank lines
// and comments are skipped, except the line that marks an internal image.
// An image listed twice with the same destination is listed once; with two
// destinations it is an error.
func Read(r io.Reader, source string) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPlanSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading plan %s: %w", source, err)
	}
	if len(data) > maxPlanSize {
		return nil, fmt.Errorf("reading plan %s: larger than %d bytes", source, maxPlanSize)
	}
	var p *Plan
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		p, err = readJSON(data)
	} else {
		p, err = readPlain(data)
	}
	if err != nil {
		return nil, fmt.Errorf("reading plan %s: %w", source, err)
	}
	return p, nil
}

func readJSON(data []byte) (*Plan, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var in Plan
	if err := dec.Decode(&in); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	if in.APIVersion != "" && in.APIVersion != APIVersion {
		return nil, fmt.Errorf("unsupported apiVersion %q (this helm-airgap reads %q)", in.APIVersion, APIVersion)
	}
	if in.Kind != "" && in.Kind != Kind {
		return nil, fmt.Errorf("kind %q is not %s", in.Kind, Kind)
	}
	m := newMerger()
	for i, img := range in.Images {
		if err := m.add(img); err != nil {
			return nil, fmt.Errorf("images[%d]: %w", i, err)
		}
	}
	return m.plan(), nil
}

func readPlain(data []byte) (*Plan, error) {
	m := newMerger()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxPlanSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		var img Image
		switch {
		case strings.HasPrefix(line, strings.TrimSpace(internalPrefix)):
			ref := strings.TrimSpace(strings.TrimPrefix(line, strings.TrimSpace(internalPrefix)))
			img = Image{Source: ref, Destination: ref, Status: Internal}
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		default:
			fields := strings.Fields(line)
			if len(fields) != 2 {
				return nil, fmt.Errorf("line %d: want \"SOURCE DESTINATION\", got %q", n, line)
			}
			img = Image{Source: fields[0], Destination: fields[1], Status: Copy}
		}
		if err := m.add(img); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return m.plan(), nil
}

// merger validates images and folds duplicates.
type merger struct {
	bySource map[string]int
	images   []Image
}

func newMerger() *merger { return &merger{bySource: map[string]int{}} }

func (m *merger) add(img Image) error {
	src, err := reference.Parse(img.Source)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	dst, err := reference.Parse(img.Destination)
	if err != nil {
		return fmt.Errorf("destination of %s: %w", img.Source, err)
	}
	// distribution/reference reads "a.b_c/d" as a path with no domain;
	// such a reference cannot be pulled from anywhere.
	for _, ref := range []reference.Ref{src, dst} {
		if ref.Domain == "" {
			return fmt.Errorf("invalid image reference %q: no registry domain", ref.Written)
		}
	}
	img.Source = src.Repository() + src.Suffix
	img.Destination = dst.Repository() + dst.Suffix
	switch img.Status {
	case Copy:
		if img.Source == img.Destination {
			return fmt.Errorf("%s is its own destination; list it as internal", img.Source)
		}
	case Internal:
		if img.Source != img.Destination {
			return fmt.Errorf("internal image %s has another destination %s", img.Source, img.Destination)
		}
	case Runtime:
		// A prefix the manifests join at run time: listed, never copied.
	default:
		return fmt.Errorf("%s: unknown status %q (use %q or %q)", img.Source, img.Status, Copy, Internal)
	}
	if i, ok := m.bySource[img.Source]; ok {
		have := &m.images[i]
		if have.Destination != img.Destination || have.Status != img.Status {
			return fmt.Errorf("%s is listed twice, for %s and for %s", img.Source, have.Destination, img.Destination)
		}
		have.Origins = append(have.Origins, img.Origins...)
		return nil
	}
	m.bySource[img.Source] = len(m.images)
	m.images = append(m.images, img)
	return nil
}

func (m *merger) plan() *Plan {
	p := &Plan{APIVersion: APIVersion, Kind: Kind, Images: m.images}
	if p.Images == nil {
		p.Images = []Image{}
	}
	p.sort()
	return p
}
