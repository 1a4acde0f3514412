package plan

import (
	"strings"
	"testing"
)

func TestReadErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"three fields", "a b c\n", `line 1: want "SOURCE DESTINATION"`},
		{"bad source", "Bad/Ref m.example/x\n", "line 1: source: invalid image reference"},
		{"bad destination", "nginx m.example/X\n", "line 1: destination of nginx"},
		{"own destination", "nginx docker.io/library/nginx\n", "is its own destination"},
		{"two destinations", "nginx m.example/a\n\n# c\nnginx m.example/b\n", "line 4: docker.io/library/nginx is listed twice"},
		{"unknown JSON key", `{"images":[],"extra":1}`, "unknown field"},
		{"wrong apiVersion", `{"apiVersion":"v9","images":[]}`, "unsupported apiVersion"},
		{"wrong kind", `{"kind":"Pod","images":[]}`, `kind "Pod"`},
		{"unknown status", `{"images":[{"source":"a","destination":"m.example/a","status":"later"}]}`, `images[0]: docker.io/library/a: unknown status`},
		{"internal elsewhere", `{"images":[{"source":"a","destination":"m.example/a","status":"internal"}]}`, "has another destination"},
		{"two JSON values", `{"images":[]} {}`, "more than one JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in), "plan.txt")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "plan.txt") {
				t.Errorf("error %v; want one naming plan.txt and containing %q", err, tt.want)
			}
		})
	}
}

func TestReadPlain(t *testing.T) {
	in := `
# a comment
  nginx:1.25   m.example/library/nginx:1.25
# internal, not copied: m.example/tools/x:1
#   Pod p: container c (spec.containers[0].image)
nginx:1.25 m.example/library/nginx:1.25
`
	p, err := Read(strings.NewReader(in), "-")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Write(&b, p, Plain); err != nil {
		t.Fatal(err)
	}
	want := "docker.io/library/nginx:1.25 m.example/library/nginx:1.25\n# internal, not copied: m.example/tools/x:1\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
