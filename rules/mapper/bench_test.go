package mapper

import "testing"

var benchRefs = []string{
	"nginx:1.25",
	"docker.io/bitnami/redis:7.2.4-debian-12-r9",
	"quay.io/jetstack/cert-manager-controller:v1.21.1",
	"registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1",
	"europe-west3-docker.pkg.dev/plexicus-registry/platform/api:3.1.0",
	"registry.internal.example.com/mirror/library/nginx:1.25",
}

func benchMapper(b *testing.B) *Mapper {
	b.Helper()
	return New("registry.internal.example.com/mirror", []CompiledRule{
		{From: "europe-west3-docker.pkg.dev/plexicus-registry/platform", To: "registry.internal.example.com/plexicus"},
		{From: "docker.io/bitnami", To: "registry.internal.example.com/bitnami", Index: 1},
	}, nil, nil)
}

// BenchmarkMapCached is the engine's common case: a reference seen before.
func BenchmarkMapCached(b *testing.B) {
	m := benchMapper(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := m.Map(benchRefs[i%len(benchRefs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolve is the first sight of a reference: parse, normalize, match.
func BenchmarkResolve(b *testing.B) {
	m := benchMapper(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := m.resolve(benchRefs[i%len(benchRefs)]); err != nil {
			b.Fatal(err)
		}
	}
}
