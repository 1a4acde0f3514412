package doctest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
)

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ heading, want string }{
		{"When it fails: where the report goes", "when-it-fails-where-the-report-goes"},
		{"Flags and environment", "flags-and-environment"},
		{"`helm airgap install` (Helm 3)", "helm-airgap-install-helm-3"},
		{"The [operator catalogue](images.md)", "the-operator-catalogue"},
		{"Signed tarballs, 0.1.0", "signed-tarballs-010"},
		{"Use it with: Helm 4 / Argo CD", "use-it-with-helm-4--argo-cd"},
		{"snake_case and kebab-case", "snake_case-and-kebab-case"},
	} {
		if got := Slug(tc.heading); got != tc.want {
			t.Errorf("Slug(%q) = %q, want %q", tc.heading, got, tc.want)
		}
	}
}

func TestAnchors(t *testing.T) {
	md := "# Title\n## Usage\ntext\n```sh\n# not a heading\n```\n## Usage\n#nospace\n<a name=\"custom\"></a>\n"
	got := Anchors(md)
	for _, want := range []string{"title", "usage", "usage-1", "custom"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	for _, not := range []string{"not-a-heading", "nospace", "usage-2"} {
		if got[not] {
			t.Errorf("unexpected anchor %q", not)
		}
	}
}

func TestBrokenLinks(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("docs/a.md", "# A\n## Part one\n[back](../README.md#top)\n")
	readme := write("README.md", strings.Join([]string{
		"# Top",
		"[ok](docs/a.md) [ok](docs/a.md#part-one) [ok](#top) [ok](docs/) [ok](https://example.com/x#y)",
		"`[code](missing.md)`",
		"```",
		"[fenced](missing.md)",
		"```",
		"[missing](docs/b.md)",
		"[bad anchor](docs/a.md#part-two)",
		"[self](#nowhere)",
		"[out](../elsewhere.md)",
		"[abs](/docs/a.md)",
	}, "\n"))
	got, err := BrokenLinks(root, []string{readme, filepath.Join(root, "docs/a.md")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"README.md:7: (docs/b.md): no such file",
		"README.md:8: (docs/a.md#part-two): no heading #part-two in a.md",
		"README.md:9: (#nowhere): no heading #nowhere in README.md",
		"README.md:10: (../elsewhere.md): points outside " + root,
		"README.md:11: (/docs/a.md): an absolute path: GitHub resolves it against the repository, a tarball against nothing",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDocLinks: every relative link of the user docs (and CONTRIBUTING.md)
// names a file of the checkout, and every anchor a heading. The tarball's
// copy is checked by internal/dist.
func TestDocLinks(t *testing.T) {
	root := testtool.ModuleRoot(t)
	files := append(docs(t), filepath.Join(root, "CONTRIBUTING.md"))
	broken, err := BrokenLinks(root, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range broken {
		t.Error(b)
	}
}
