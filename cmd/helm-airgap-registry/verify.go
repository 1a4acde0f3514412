package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/mirror"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"
)

func newVerifyCommand() *cobra.Command {
	var o options
	var strict bool
	var keyFile string
	cmd := &cobra.Command{
		Use:   "verify [FILE|DIR|-]... | verify CHART [helm template flags]",
		Short: "Check that every destination image exists in the internal registry",
		Long: `Checks, with one manifest HEAD per image, that every destination of the mirror
plan exists in the internal registry, internal images included, and reports
what is missing before anyone runs helm install. A destination pinned to a
digest is checked by that digest, as the runtime will pull it.

--strict also checks that an image whose digest is known is at that exact
digest under the reference it is pulled by (its tag included): a
digest-pinned source, or, with --from-archive, every archived image (a
platform-filtered index at the digest it was archived with). It also
requires every signature, attestation and SBOM the archive records (or,
without an archive, the source has, when the source can be reached) to be at
the destination.

--lock FILE checks each image against the digest and referrers the lock
records (the filtered index's digest when --platform filtered it); an image
the lock does not know fails.

--key cosign.pub also checks, offline, that every destination has a cosign
signature made with that key for the digest it holds (for a platform-filtered
index with --lock, the signature of the source index counts, once the index
is proven to keep only that index's platform manifests). No
transparency log or certificate authority is asked: it proves the key's
holder signed these exact bytes; it does not prove when, that the key was
not revoked, or who holds it (see docs/supply-chain.md).

The plan comes from the same inputs and config as "helm-airgap images", from
--plan, or from an archive (--from-archive) written by mirror --to-archive.

Exit codes: 0 everything is there, 1 something is missing, has another
digest or could not be checked, 2 usage, config or input error.`,
		Example: `  helm template app ./chart | helm-airgap rewrite -c airgap.yaml | helm-airgap verify -c airgap.yaml
  helm airgap verify ./chart -f values-prod.yaml -c airgap.yaml --strict
  helm-airgap verify --from-archive bundle.tar --strict`,
		DisableFlagParsing: true, // Helm's flags pass through in chart mode.
		RunE: withParsedArgs(func(cmd *cobra.Command, rest []string) error {
			return runVerify(cmd, &o, rest, strict, keyFile)
		}),
	}
	o.addFlags(cmd)
	cli.Unoffered(cmd, "pull-secret") // pull secrets go into manifests, not registries
	cmd.Flags().BoolVar(&strict, "strict", false, "also require the exact digest of every digest-pinned (archived, locked) image and every referrer it had")
	cmd.Flags().StringVar(&keyFile, "key", "", "also check each destination's cosign signature with this public key (PEM), offline")
	cmd.Flags().StringVar(&o.lockFile, "lock", "", "check every image against the digests and referrers this lock file records (implies --strict)")
	return cmd
}

func runVerify(cmd *cobra.Command, o *options, args []string, strict bool, keyFile string) error {
	verifier, err := loadVerifier(keyFile)
	if err != nil {
		return err
	}
	items, closeArchive, err := verifyItems(cmd, o, args)
	if err != nil {
		return err
	}
	defer closeArchive()
	var unlocked []mirror.Item
	if o.lockFile != "" {
		if items, unlocked, err = applyLock(o.lockFile, items); err != nil {
			return err
		}
		strict = true
	}
	client, err := o.client(cmd)
	if err != nil {
		return err
	}
	r := client.Verify(cmd.Context(), items, strict)
	unsigned := checkSignatures(cmd, client, verifier, r)
	return reportVerify(cmd.ErrOrStderr(), o, r, unsigned, unlocked, keyFile)
}

// loadVerifier reads --key's public key; nil without one.
func loadVerifier(keyFile string) (signature.Verifier, error) {
	if keyFile == "" {
		return nil, nil
	}
	pemBytes, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("reading the public key: %w", err))
	}
	verifier, err := mirror.LoadPublicKey(pemBytes)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("%s: %w", keyFile, err))
	}
	return verifier, nil
}

// verifyItems are the images to verify: an archive's (kept open until
// closeArchive), or the plan's that the manifests or --plan give.
func verifyItems(cmd *cobra.Command, o *options, args []string) (items []mirror.Item, closeArchive func(), err error) {
	if o.fromArchive == "" {
		p, err := o.readPlan(cmd, args)
		if err != nil {
			return nil, nil, err
		}
		return mirror.Items(p, true), func() {}, nil
	}
	if len(args) > 0 || o.planFile != "" {
		return nil, nil, cli.Usage(errors.New("--from-archive takes no manifests or plan: the archive records its images"))
	}
	a, err := openArchive(cmd, o)
	if err != nil {
		return nil, nil, err
	}
	entries, _, err := archiveEntries(o, a)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	for _, e := range entries {
		items = append(items, e.Item)
	}
	return items, func() { a.Close() }, nil
}

// reportVerify says what verify found, and fails naming every image not
// ready: missing, another digest, unchecked, without its referrers, not
// signed by keyFile, or not in the lock.
func reportVerify(w io.Writer, o *options, r *mirror.Report, unsigned []mirror.Result, unlocked []mirror.Item, keyFile string) error {
	bad := r.Count(mirror.Missing) + r.Count(mirror.Mismatch) + r.Count(mirror.Failed) + r.Count(mirror.Unattached) + len(unlocked) + len(unsigned)
	fmt.Fprintf(w, "helm-airgap: verified %d image(s): %d present, %d missing, %d with another digest, %d could not be checked\n",
		len(r.Results), r.Count(mirror.Present), r.Count(mirror.Missing), r.Count(mirror.Mismatch), r.Count(mirror.Failed))
	if n := r.Count(mirror.Unattached); n > 0 {
		fmt.Fprintf(w, "helm-airgap: %d image(s) lack signatures, attestations or SBOMs their source had\n", n)
	}
	for _, res := range r.Results {
		if res.Note != "" {
			cli.Messages(w).Infof("note: %s", res.Note)
		}
	}
	if bad == 0 {
		return nil
	}
	fmt.Fprintf(w, "helm-airgap: %d image(s) are not ready in the internal registry; mirror them before installing:\n", bad)
	for _, res := range r.Results {
		switch res.Outcome {
		case mirror.Missing:
			fmt.Fprintf(w, "  missing: %s (source %s)\n", res.Item.Destination, res.Item.Source)
		case mirror.Mismatch:
			fmt.Fprintf(w, "  wrong digest: %s is %s, want %s (source %s)\n", res.Item.CopyDestination(), res.Got, res.Digest, res.Item.Source)
		case mirror.Unattached:
			fmt.Fprintf(w, "  missing referrers: %s lacks %s (source %s)\n", res.Item.Destination, mirror.DescribeReferrers(res.Referrers), res.Item.Source)
		case mirror.Failed:
			fmt.Fprintf(w, "  could not check: %v\n", res.Err)
		default:
			continue
		}
		writeOrigins(w, o, res.Item)
	}
	for _, res := range unsigned {
		fmt.Fprintf(w, "  not signed by %s: %s: %v\n", keyFile, res.Item.Destination, res.Err)
		writeOrigins(w, o, res.Item)
	}
	for _, it := range unlocked {
		fmt.Fprintf(w, "  not in the lock %s: %s (destination %s)\n", o.lockFile, it.Source, it.Destination)
		writeOrigins(w, o, it)
	}
	return cli.Failed(fmt.Errorf("%d image(s) not ready", bad))
}

// checkSignatures checks the cosign signature of every image found
// present, when a key was given, and returns the ones without a valid one.
func checkSignatures(cmd *cobra.Command, client *mirror.Client, v signature.Verifier, r *mirror.Report) []mirror.Result {
	if v == nil {
		return nil
	}
	var present []mirror.Item
	for _, res := range r.Results {
		if res.Outcome == mirror.Present {
			present = append(present, res.Item)
		}
	}
	sr := client.VerifySignatures(cmd.Context(), present, v)
	fmt.Fprintf(cmd.ErrOrStderr(), "helm-airgap: checked %d signature(s) offline: %d valid, %d missing or invalid\n",
		len(sr.Results), sr.Count(mirror.Present), len(sr.Results)-sr.Count(mirror.Present))
	var bad []mirror.Result
	for _, res := range sr.Results {
		if res.Outcome != mirror.Present {
			bad = append(bad, res)
		}
	}
	return bad
}
