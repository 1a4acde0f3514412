package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/lock"
	"github.com/plexicus/helm-airgap/mirror"
	"github.com/plexicus/helm-airgap/plan"
)

func TestApplyLock(t *testing.T) {
	d1, d2 := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	f := &lock.File{Version: lock.Version}
	f.Put(lock.Entry{Source: "docker.io/library/nginx:1.25", Destination: "r.example/m/library/nginx:1.25", Digest: d1, FilteredDigest: d2,
		Referrers: []lock.Referrer{{Digest: d1, Tag: "sha256-" + strings.Repeat("a", 64) + ".sig"}}})
	path := filepath.Join(t.TempDir(), "a.lock")
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}
	items := []mirror.Item{
		{Image: plan.Image{Source: "docker.io/library/nginx:1.25", Destination: "r.example/m/library/nginx:1.25", Status: plan.Copy}},
		{Image: plan.Image{Source: "r.example/m/already:1", Destination: "r.example/m/already:1", Status: plan.Internal}},
		{Image: plan.Image{Source: "quay.io/x/y:1", Destination: "r.example/m/x/y:1", Status: plan.Copy}},
	}
	locked, unlocked, err := applyLock(path, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(locked) != 2 || len(unlocked) != 1 || unlocked[0].Source != "quay.io/x/y:1" {
		t.Fatalf("locked %d, unlocked %v", len(locked), unlocked)
	}
	nginx := locked[0]
	if nginx.Digest != d2 || nginx.SourceDigest != d1 || !nginx.ReferrersKnown || len(nginx.Referrers) != 1 {
		t.Errorf("locked item: %+v", nginx)
	}
	if internal := locked[1]; internal.Digest != "" || internal.ReferrersKnown {
		t.Errorf("an internal image took lock data: %+v", internal)
	}
}

func TestParseSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{
		{"", 0}, {"4GiB", 4 << 30}, {"700MiB", 700 << 20}, {"4G", 4 << 30}, {"1.5GiB", 3 << 29}, {"2GB", 2e9},
		{"1048576", 1 << 20}, {"512KiB", -1}, {"0", -1}, {"-1G", -1}, {"lots", -1}, {"4 GiB", 4 << 30},
	} {
		got, err := parseSize(tt.in)
		if (err != nil) != (tt.want < 0) || (err == nil && got != tt.want) {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}
