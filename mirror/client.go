package mirror

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/plexicus/helm-airgap/lock"
	"github.com/plexicus/helm-airgap/plan"
)

// Options configure a Client. The zero value works: 4 images at a time,
// 3 retries, credentials from the Docker config, no output.
type Options struct {
	// Jobs is how many images are handled at once (4 when 0).
	Jobs int
	// LayerJobs is how many blobs of one image are uploaded at once, and
	// how many platform images of one index (4 when 0): up to
	// Jobs*LayerJobs uploads are under way in all, Jobs*LayerJobs^2 while
	// multi-platform images are copied.
	LayerJobs int
	// Retries is how many times a failed image is tried again (3 when 0;
	// negative for none).
	Retries int
	// Backoff is the first wait before a retry; it doubles each time, with
	// jitter (1s when 0). Registry requests are also retried on 5xx inside
	// go-containerregistry with the same base.
	Backoff time.Duration
	// Insecure allows plain HTTP and unverified TLS, for local registries.
	Insecure bool
	// RootCAs, when set, are the certificate authorities registries' TLS
	// certificates are checked against instead of the system's (the
	// command passes the system's plus --ca-file's).
	RootCAs *x509.CertPool
	// Keychain resolves credentials (authn.DefaultKeychain when nil: the
	// Docker config and its credential helpers).
	Keychain authn.Keychain
	// Transport is the HTTP transport (remote.DefaultTransport when nil).
	Transport http.RoundTripper
	// Log receives one line per image handled; nil discards them.
	Log io.Writer
	// Progress draws live progress bars on Log; set it only when Log is a
	// terminal.
	Progress bool
	// UserAgent is sent to registries.
	UserAgent string
	// NoReferrers leaves signatures, attestations and SBOMs behind; by
	// default they travel with their image.
	NoReferrers bool
	// Platforms, when set, keeps only these platforms of a multi-platform
	// index. A digest-pinned index is copied whole: its digest is what the
	// release pulls.
	Platforms []v1.Platform
}

// Item is one image (or chart artifact) to handle.
type Item struct {
	plan.Image
	// Chart marks a Helm chart's OCI artifact rather than an image.
	Chart bool
	// Digest is the digest the destination must hold, when known: the
	// pinned digest of the source, the archived manifest's digest, or the
	// locked one.
	Digest string
	// Referrers are the referrers the destination must hold, when
	// ReferrersKnown (from an archive or a lock); otherwise verify --strict
	// asks the source.
	Referrers      []lock.Referrer
	ReferrersKnown bool
	// SourceDigest is the source index a platform-filtered destination was
	// made from, when known (a lock): its signature counts for verify --key.
	SourceDigest string
	// Artifact is the content of an item with no source registry (a chart
	// packaged from a local directory or .tgz); nil for the others.
	Artifact remote.Taggable
}

// Items turns a plan's images into items; internal images are kept only
// when withInternal is set (verify checks them, copies skip them).
func Items(p *plan.Plan, withInternal bool) []Item {
	var items []Item
	for _, img := range p.Images {
		if img.Status == plan.Internal && !withInternal {
			continue
		}
		items = append(items, Item{Image: img, Digest: img.Digest()})
	}
	return items
}

// Outcome is what happened to one item.
type Outcome string

const (
	Copied   Outcome = "copied"   // written to the destination
	Present  Outcome = "present"  // already there with the same digest
	Failed   Outcome = "failed"   // could not be copied or checked
	Missing  Outcome = "missing"  // verify: not at the destination
	Mismatch Outcome = "mismatch" // verify: there, but with another digest
	Planned  Outcome = "planned"  // dry run
	// Unattached: verify --strict found the image but not every referrer
	// (signature, attestation, SBOM) its source has.
	Unattached Outcome = "missing-referrers"
)

// Result is the outcome for one item.
type Result struct {
	Item    Item
	Outcome Outcome
	// Digest is the manifest digest copied, found or expected.
	Digest string
	// Got is the digest found at the destination when it differs.
	Got string
	// SourceDigest is the source's index digest when Digest is the
	// digest of an index filtered down to the asked platforms.
	SourceDigest string
	// Platforms are the platform manifests of an index copied.
	Platforms []lock.Platform
	// Referrers are the signatures, attestations and SBOMs that travel
	// with the item (copied or already there); ReferrersCopied counts the
	// ones this run wrote. For verify, Referrers are the ones missing.
	Referrers       []lock.Referrer
	ReferrersCopied int
	// Note is something the user should know that is not a failure.
	Note string
	Err  error
}

// ReferrerCounts returns how many referrers the items have and how many
// this run copied.
func (r *Report) ReferrerCounts() (total, copied int) {
	for _, res := range r.Results {
		total += len(res.Referrers)
		copied += res.ReferrersCopied
	}
	return total, copied
}

// Report lists the results in item order.
type Report struct {
	Results []Result
	// Blobs is what the run sent and skipped (zero for a run that writes
	// no registry).
	Blobs Transfer
}

// Count returns how many results had an outcome.
func (r *Report) Count(o Outcome) int {
	n := 0
	for _, res := range r.Results {
		if res.Outcome == o {
			n++
		}
	}
	return n
}

// OK reports whether nothing failed, is missing or mismatched.
func (r *Report) OK() bool {
	return r.Count(Failed)+r.Count(Missing)+r.Count(Mismatch)+r.Count(Unattached)+r.Count(Unsigned) == 0
}

// Client talks to registries.
type Client struct {
	opts      Options
	transport http.RoundTripper
	puller    *remote.Puller
	nameOpts  []name.Option
}

// New makes a client.
func New(o Options) (*Client, error) {
	if o.Jobs <= 0 {
		o.Jobs = 4
	}
	if o.LayerJobs <= 0 {
		o.LayerJobs = 4
	}
	if o.Retries == 0 {
		o.Retries = 3
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Keychain == nil {
		o.Keychain = authn.DefaultKeychain
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.UserAgent == "" {
		o.UserAgent = "helm-airgap"
	}
	c := &Client{opts: o, transport: o.Transport}
	if c.transport == nil {
		c.transport = remote.DefaultTransport
	}
	if o.Insecure {
		c.nameOpts = append(c.nameOpts, name.Insecure)
	}
	if tlsConfig := o.tlsConfig(); tlsConfig != nil {
		if t, ok := c.transport.(*http.Transport); ok {
			t = t.Clone()
			t.TLSClientConfig = tlsConfig
			c.transport = t
		}
	}
	puller, err := remote.NewPuller(c.remoteOptions()...)
	if err != nil {
		return nil, err
	}
	c.puller = puller
	return c, nil
}

// tlsConfig is the TLS the options ask for instead of the transport's:
// unverified with Insecure, else checked against RootCAs; nil for neither.
func (o Options) tlsConfig() *tls.Config {
	switch {
	case o.Insecure:
		return &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with --insecure
	case o.RootCAs != nil:
		return &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12}
	}
	return nil
}

// remoteOptions are the options of every registry call; the context is
// passed per call.
func (c *Client) remoteOptions(extra ...remote.Option) []remote.Option {
	return append([]remote.Option{
		remote.WithAuthFromKeychain(c.opts.Keychain),
		remote.WithTransport(c.transport),
		remote.WithUserAgent(c.opts.UserAgent),
		remote.WithRetryBackoff(remote.Backoff{Duration: c.opts.Backoff, Factor: 2, Jitter: 0.2, Steps: 3}),
	}, extra...)
}

// ref parses a reference the way the mirror's plan wrote it.
func (c *Client) ref(s string) (name.Reference, error) {
	ref, err := name.ParseReference(s, c.nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: %w", s, err)
	}
	return ref, nil
}

// resolve returns the digest a reference points at, with one manifest HEAD
// (a GET when the registry does not answer HEAD with a digest).
func (c *Client) resolve(ctx context.Context, ref name.Reference) (v1.Hash, error) {
	desc, err := c.puller.Head(ctx, ref)
	if err == nil {
		return desc.Digest, nil
	}
	if isNotFound(err) || ctx.Err() != nil {
		return v1.Hash{}, err
	}
	full, gerr := c.puller.Get(ctx, ref)
	if gerr != nil {
		return v1.Hash{}, gerr
	}
	return full.Digest, nil
}

// holds reports whether ref already points at digest. Any failure to tell
// counts as no: the copy that follows finds out what is wrong.
func (c *Client) holds(ctx context.Context, ref name.Reference, digest string) bool {
	desc, err := c.puller.Head(ctx, ref)
	return err == nil && desc.Digest.String() == digest
}

// push writes t to ref through the run's Pusher, reporting bytes to the
// tracker.
func (c *Client) push(ctx context.Context, ref name.Reference, t remote.Taggable, tr *tracker) error {
	x, err := c.transferOf(tr)
	if err != nil {
		return err
	}
	return x.pushImage(ctx, ref, t, tr)
}

// put writes a manifest whose children are already there.
func (c *Client) put(ctx context.Context, ref name.Reference, t remote.Taggable, tr *tracker) error {
	x, err := c.transferOf(tr)
	if err != nil {
		return err
	}
	return x.pusher.Put(ctx, ref, t)
}

// transferOf is the run a push belongs to, or a run of its own for a push
// outside one.
func (c *Client) transferOf(tr *tracker) (*transfer, error) {
	if tr != nil && tr.x != nil {
		return tr.x, nil
	}
	return c.newTransfer()
}

// retry runs fn until it succeeds, fails for good, or the attempts run out,
// waiting Backoff, 2*Backoff, ... (with jitter) in between.
func (c *Client) retry(ctx context.Context, fn func() error) error {
	wait := c.opts.Backoff
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || attempt >= c.opts.Retries || !retryable(err) || ctx.Err() != nil {
			return err
		}
		jittered := wait + time.Duration(rand.Int64N(int64(wait)/4+1))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(jittered):
		}
		wait *= 2
	}
}

// permanent marks an error no retry can fix.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// retryable reports whether trying again may help: not for a missing image,
// a refused request or a cancelled run; yes for server errors, rate limits,
// a 401 (tokens expire, auth servers flake) and dropped connections.
func retryable(err error) bool {
	var p permanent
	if errors.As(err, &p) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch {
		case terr.StatusCode == http.StatusUnauthorized, terr.StatusCode == http.StatusRequestTimeout,
			terr.StatusCode == http.StatusTooManyRequests, terr.StatusCode >= 500:
			return true
		default:
			return false
		}
	}
	return true
}

// isNotFound reports a registry's "no such manifest" (or repository).
func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// each runs fn for every item, Jobs at a time, and collects the results in
// item order. Workers take items one by one, so a long list costs one
// result each and no goroutine per item; once ctx is cancelled the items
// not started fail at once with the cancellation.
func (c *Client) each(ctx context.Context, items []Item, fn func(context.Context, Item) Result) *Report {
	report := &Report{Results: make([]Result, len(items))}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(c.opts.Jobs, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					report.Results[i] = Result{Item: items[i], Outcome: Failed, Err: ctx.Err()}
					continue
				}
				report.Results[i] = fn(ctx, items[i])
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	return report
}
