package mirror

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/registrytest"
)

func TestVerifySignaturesOffline(t *testing.T) {
	src, dst := registrytest.NewDistribution(t), registrytest.NewDistribution(t)
	registrytest.Login(t, src, dst)
	key, other := registrytest.NewSigningKey(t), registrytest.NewSigningKey(t)
	signed := src.PushImage(t, "team/signed:1")
	payload, sig := key.Sign(t, signed)
	src.PushSignedPayload(t, "team/signed", signed, payload, sig)
	byOther := src.PushImage(t, "team/other:1")
	payload, sig = other.Sign(t, byOther)
	src.PushSignedPayload(t, "team/other", byOther, payload, sig)
	moved := src.PushImage(t, "team/moved:1")
	payload, sig = key.Sign(t, signed) // a valid signature, but of another image
	src.PushSignedPayload(t, "team/moved", moved, payload, sig)
	src.PushImage(t, "team/unsigned:1")
	items := []Item{
		item(src.Ref("team/signed:1"), dst.Ref("m/team/signed:1")),
		item(src.Ref("team/other:1"), dst.Ref("m/team/other:1")),
		item(src.Ref("team/moved:1"), dst.Ref("m/team/moved:1")),
		item(src.Ref("team/unsigned:1"), dst.Ref("m/team/unsigned:1")),
	}
	c := newClient(t, Options{})
	requireOK(t, c.Copy(context.Background(), items)) // the signatures travel with the images

	v, err := LoadPublicKey(key.PubPEM)
	if err != nil {
		t.Fatal(err)
	}
	dst.Requests()
	r := c.VerifySignatures(context.Background(), items, v)
	if got := fmt.Sprint(outcomes(r)); got != "[present unsigned unsigned unsigned]" {
		t.Fatalf("outcomes %s", got)
	}
	for i, want := range []string{"", "holds no signature by this key", "the key signed " + signed.String(), "no cosign signature"} {
		if err := r.Results[i].Err; (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", items[i].Source, err, want)
		}
	}
	if w := registrytest.Writes(dst.Requests()); len(w) > 0 {
		t.Errorf("verifying wrote: %v", w)
	}
	if _, err := LoadPublicKey([]byte("not a key")); err == nil {
		t.Error("a bad key was loaded")
	}
}
