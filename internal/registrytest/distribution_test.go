package registrytest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The distribution registry speaks only TLS with the test CA, refuses
// anonymous and wrong users, serves the one htpasswd user, and Requests
// sees exactly what was asked since the last call.
func TestDistributionNeedsTLSAndItsUser(t *testing.T) {
	r := NewDistribution(t)
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.Ref("team/app:1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts []remote.Option
		want string
	}{
		{"anonymous", []remote.Option{remote.WithTransport(Transport(t))}, "401 Unauthorized"},
		{"wrong password", []remote.Option{remote.WithTransport(Transport(t)), remote.WithAuth(&authn.Basic{Username: r.Username, Password: "nope"})}, "401 Unauthorized"},
		{"untrusted certificate", []remote.Option{remote.WithAuth(&authn.Basic{Username: r.Username, Password: r.Password})}, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := remote.Write(ref, img, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("push: %v, want an error with %q", err, tc.want)
			}
		})
	}
	r.Requests()
	d := r.Push(t, "team/app:1", img)
	if got := r.Digest(t, r.Ref("team/app:1")); got != d {
		t.Errorf("digest %s, pushed %s", got, d)
	}
	r.Requests()
	if !Exists(r.Ref("team/app@" + d.String())) {
		t.Fatal("the pushed image does not resolve by digest")
	}
	got := r.Requests()
	want := fmt.Sprintf("HEAD /v2/team/app/manifests/%s", d)
	if !slices.Contains(got, want) || len(Writes(got)) != 0 {
		t.Errorf("requests %v, want %q and no writes", got, want)
	}
	// Plain HTTP is not served.
	resp, err := http.Get("http://" + r.Host + "/v2/")
	if err == nil {
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP answered %s", resp.Status)
		}
		resp.Body.Close()
	}
}

func TestRequestOf(t *testing.T) {
	for line, want := range map[string]string{
		`127.0.0.1 - - [06/Dec/2026:05:52:00 +0000] "GET /v2/a/blobs/sha256:ab?x=1 HTTP/2.0" 200 5 "" "crane"`: "GET /v2/a/blobs/sha256:ab",
		`127.0.0.1 - - [06/Dec/2026:05:52:00 +0000] "HEAD /v2/ HTTP/1.1" 401 87 "" ""`:                         "HEAD /v2/",
		`time="..." level=warning msg="x"`: "",
	} {
		got, _ := requestOf(line)
		if got != want {
			t.Errorf("requestOf(%q) = %q, want %q", line, got, want)
		}
	}
}
