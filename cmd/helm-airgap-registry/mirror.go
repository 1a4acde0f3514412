package main

import (
	"errors"
	"fmt"
	"github.com/plexicus/helm-airgap/internal/cli"
	"io"
	"os"
	"strings"

	"github.com/plexicus/helm-airgap/mirror"
	"github.com/plexicus/helm-airgap/plan"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/spf13/cobra"
)

// mirrorLong is mirror's --help.
const mirrorLong = `Copies every image of the mirror plan (the images "helm-airgap images" lists
for the same inputs and config) from its source to its destination with
go-containerregistry: multi-arch indexes whole, manifests byte for byte so
digests are preserved, a digest-pinned source by its digest. Images already
at their destination with the same digest are skipped, as are blobs the
destination already has, so re-running is cheap. Failed images are retried
with exponential backoff; the others go on. Credentials come from the Docker
config and credential helpers (docker login, crane auth login).

--jobs images are copied at once and --layer-jobs blobs of each (4 and 4).
A blob shared by several images is sent once per run: the images of one
repository wait for it, and the other repositories of the same registry
mount it (as they mount from the source when it is on the same registry).
The run ends with the blob bytes sent, and those skipped: already at the
destination, mounted, or shared by images of the run.

Across an air gap, in two steps:
  outside:  mirror --to-archive bundle.tar [inputs]   (one OCI image layout tar)
  inside:   mirror --from-archive bundle.tar          (push to the internal registry)
The archive records each image's source and destination, the mirror
prefixes of the config it was written with, and the digest and size of
every blob. Inside, every blob is checked before anything is pushed (a
damaged or altered archive is refused), the destinations are shown, and any
destination outside the user's prefixes is refused: an archive never chooses
where it is pushed. Give the config (--config, $HELM_AIRGAP_CONFIG, --mirror
or --rule: destinations are recomputed from it and must be under its
prefixes), or --push-under PREFIX to push where the archive records, only
under PREFIX. --split-size writes
numbered volumes (bundle.tar.001, .002, ...) for removable media; give the
first volume or the plain name to read them back. An interrupted archive is
never left under its final name; run the same command again to resume.

Signatures, attestations and SBOMs travel with their image: OCI 1.1
referrers (the referrers API, or the sha256-<digest> tag index) and cosign's
sha256-<digest>.sig/.att/.sbom tags, for the image and each platform
manifest kept (--no-referrers leaves them behind). --platform keeps only
some platforms of a multi-platform index (a digest-pinned index is copied
whole: its digest is what the release pulls). --lock writes the digests
mirrored to a lock file (docs/lock.md) for rewrite --lock and verify --lock.

--chart adds a chart's OCI artifact (oci://...), mapped by the same rules.

Exit codes: 0 every image is at its destination, 1 an image failed (listed at
the end) or has no destination, 2 usage, config or input error.`

func newMirrorCommand() *cobra.Command {
	var o options
	var toArchive, splitSize string
	var ao archiveOptions
	var charts []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "mirror [FILE|DIR|-]... | mirror CHART [helm template flags]",
		Short: "Copy every image the manifests use to its mirror destination",
		Long:  mirrorLong,
		Example: `  helm template app ./chart | helm-airgap mirror -c airgap.yaml
  helm airgap mirror ./chart -f values-prod.yaml -c airgap.yaml --dry-run
  helm-airgap images -c airgap.yaml -o json rendered/ > plan.json
  helm-airgap mirror --plan plan.json --jobs 8

  # Across the gap
  helm-airgap mirror -c airgap.yaml --to-archive bundle.tar \
    --chart oci://registry.example.com/charts/app:1.2.3 rendered/
  helm-airgap mirror -c airgap.yaml --from-archive bundle.tar   # inside, after carrying it`,
		DisableFlagParsing: true, // Helm's flags pass through in chart mode.
		RunE: withParsedArgs(func(cmd *cobra.Command, rest []string) error {
			if o.layerJobs < 1 {
				return cli.Usage(fmt.Errorf("--layer-jobs must be at least 1, got %d", o.layerJobs))
			}
			split, err := parseSize(splitSize)
			if err != nil {
				return cli.Usage(fmt.Errorf("--split-size: %w", err))
			}
			if split > 0 && toArchive == "" {
				return cli.Usage(errors.New("--split-size is for --to-archive"))
			}
			ao.split = split
			return runMirror(cmd, &o, rest, toArchive, ao, charts, dryRun)
		}),
	}
	o.addFlags(cmd)
	cli.Unoffered(cmd, "pull-secret") // pull secrets go into manifests, not registries
	cmd.Flags().IntVar(&o.layerJobs, "layer-jobs", 4, "blobs of one image, and platforms of one multi-platform image, uploaded at once (so up to --jobs × --layer-jobs blobs in all, times --layer-jobs for a multi-platform image)")
	cmd.Flags().StringVar(&o.platforms, "platform", "", "keep only these platforms of a multi-platform image (os/arch[/variant], comma-separated)")
	cmd.Flags().StringVar(&o.lockFile, "lock", "", "write the digests mirrored to this lock file (entries for other sources are kept)")
	cmd.Flags().StringVar(&splitSize, "split-size", "", "with --to-archive (a tar): write numbered volumes of at most this size (such as 4GiB, 700MiB)")
	cmd.Flags().StringVar(&toArchive, "to-archive", "", "write the images to one OCI image layout archive (a .tar, or an existing directory) instead of the registry")
	cmd.Flags().StringArrayVar(&charts, "chart", nil, "also mirror a chart: its OCI artifact (oci://REGISTRY/REPO/CHART:VERSION), a packaged .tgz (with its .prov) or a chart directory; repeatable")
	cmd.Flags().StringVar(&o.chartTo, "chart-to", "", "repository prefix local charts (--chart DIR or .tgz) are pushed under, as REGISTRY/PATH/NAME:VERSION (default MIRROR/charts)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan (SOURCE DESTINATION lines) and copy nothing")
	addArchiveFlags(cmd, &o, &ao)
	return cmd
}

// addArchiveFlags adds the flags of a differential archive (--have) and
// of pushing one without a config (--push-under).
func addArchiveFlags(cmd *cobra.Command, o *options, ao *archiveOptions) {
	cmd.Flags().StringVar(&ao.haveKey, "have-key", "", "with --have: require the inventory's signature FILE.sig (cosign sign-blob) by this public key (PEM)")
	cmd.Flags().StringVar(&ao.haveFile, "have", "", "with --to-archive: leave out the blobs this inventory (helm-airgap inventory, run inside) says the inside holds")
	cmd.Flags().StringArrayVar(&o.pushUnder, "push-under", nil, "with --from-archive and no config: push the archive's images where it records, only under this repository prefix (REGISTRY[/PATH]); repeatable")
}

// archiveOptions are mirror's --to-archive settings.
type archiveOptions struct {
	split             int64
	haveFile, haveKey string
}

// readHave reads --have's inventory; with --have-key, only when FILE.sig
// is its signature by that key.
func readHave(path, keyFile string) (*mirror.Inventory, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("--have: %w", err))
	}
	defer f.Close()
	if keyFile == "" {
		inv, err := mirror.ReadInventory(f)
		if err != nil {
			return nil, cli.Usage(fmt.Errorf("--have %s: %w", path, err))
		}
		return inv, nil
	}
	verifier, err := loadVerifier(keyFile)
	if err != nil {
		return nil, err
	}
	sig, err := os.ReadFile(path + ".sig")
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("--have-key: the inventory's signature (cosign sign-blob --output-signature %s.sig): %w", path, err))
	}
	inv, err := mirror.ReadSignedInventory(f, sig, verifier)
	if err != nil {
		return nil, cli.Failed(fmt.Errorf("--have %s: %w", path, err))
	}
	return inv, nil
}

func runMirror(cmd *cobra.Command, o *options, args []string, toArchive string, ao archiveOptions, charts []string, dryRun bool) error {
	if ao.haveFile != "" && toArchive == "" {
		return cli.Usage(errors.New("--have is for --to-archive: a differential archive"))
	}
	if ao.haveKey != "" && ao.haveFile == "" {
		return cli.Usage(errors.New("--have-key is for --have"))
	}
	if o.fromArchive != "" {
		switch {
		case toArchive != "":
			return cli.Usage(errors.New("--from-archive and --to-archive are exclusive"))
		case len(charts) > 0:
			return cli.Usage(errors.New("--chart is for the outside (with or without --to-archive); an archive already holds its charts"))
		case len(args) > 0 || o.planFile != "":
			return cli.Usage(errors.New("--from-archive takes no manifests or plan: the archive records its images"))
		}
		return pushArchive(cmd, o, dryRun)
	}
	p, err := o.readPlan(cmd, args)
	if err != nil {
		return err
	}
	items := mirror.Items(p, false)
	var recorded []string // the mirror prefixes an archive records
	if o.planFile == "" || len(charts) > 0 {
		cfg, mp, err := o.load()
		if err != nil {
			return err
		}
		recorded = prefixes(cfg, mp)
		for _, c := range charts {
			item, err := chartItem(c, mp, o.chartTo)
			if err != nil {
				return cli.Usage(err)
			}
			items = append(items, item)
		}
	}
	if dryRun {
		if !o.noReferrers {
			// Counting them means asking every source: resolve --lock does.
			fmt.Fprintln(cmd.ErrOrStderr(), "helm-airgap: each image's signatures, attestations and SBOMs would travel with it (--no-referrers to leave them; helm-airgap-registry resolve --lock lists them)")
		}
		return printPlan(cmd.OutOrStdout(), items)
	}
	client, err := o.client(cmd)
	if err != nil {
		return err
	}
	var report *mirror.Report
	if toArchive != "" {
		if o.planFile != "" {
			recorded = append(recorded, repositories(items)...)
		}
		have, err := readHave(ao.haveFile, ao.haveKey)
		if err != nil {
			return err
		}
		opts := mirror.ArchiveOptions{Prefixes: recorded, SplitSize: ao.split, Have: have}
		if report, err = client.ToArchive(cmd.Context(), items, toArchive, opts); err != nil {
			return err
		}
	} else {
		report = client.Copy(cmd.Context(), items)
	}
	if err := writeLock(cmd, o, report); err != nil {
		return err
	}
	return summarize(cmd, o, report, verbFor(toArchive))
}

func verbFor(toArchive string) string {
	if toArchive != "" {
		return "archived to " + toArchive
	}
	return "mirrored"
}

// chartItem maps a chart's OCI reference by the rules, like an image; a
// local chart (.tgz or directory) is packaged and goes under chartTo.
func chartItem(ref string, mp *mapper.Mapper, chartTo string) (mirror.Item, error) {
	raw := strings.TrimPrefix(ref, "oci://")
	if raw == ref {
		if _, err := os.Stat(ref); err == nil {
			return localChartItem(ref, mp, chartTo)
		}
		return mirror.Item{}, fmt.Errorf("--chart %q: give the chart's OCI reference (oci://REGISTRY/REPO/CHART:VERSION), a packaged chart (.tgz) or a chart directory", ref)
	}
	m, err := mp.Map(raw)
	if err != nil {
		return mirror.Item{}, fmt.Errorf("--chart %q: %w", ref, err)
	}
	if m.Source.Suffix == "" {
		return mirror.Item{}, fmt.Errorf("--chart %q: name the chart version (oci://...:VERSION)", ref)
	}
	src := m.Source.Repository() + m.Source.Suffix
	switch m.Status {
	case mapper.Unmapped:
		return mirror.Item{}, fmt.Errorf("--chart %q: no rule or mirror gives it a destination; %s", ref, mp.Hint(m.Source))
	case mapper.Internal:
		return mirror.Item{}, fmt.Errorf("--chart %q is already on an internal registry", ref)
	}
	img := plan.Image{Source: src, Destination: m.Dest, Status: plan.Copy, Rule: m.Rule}
	return mirror.Item{Image: img, Chart: true, Digest: img.Digest()}, nil
}

// pushArchive is the inside half: check the archive, show where it sends
// each image, and push it to the internal registry.
func pushArchive(cmd *cobra.Command, o *options, dryRun bool) error {
	a, err := openArchive(cmd, o)
	if err != nil {
		return err
	}
	defer a.Close()
	entries, allowed, err := archiveEntries(o, a)
	if err != nil {
		return err
	}
	if allowed, err = pushPrefixes(o, a, allowed, dryRun); err != nil {
		return err
	}
	if err := mirror.CheckDestinations(entries, allowed); err != nil {
		return cli.Failed(err)
	}
	if dryRun {
		items := make([]mirror.Item, len(entries))
		for i, e := range entries {
			items[i] = e.Item
		}
		return printPlan(cmd.OutOrStdout(), items)
	}
	client, err := o.client(cmd)
	if err != nil {
		return err
	}
	if err := checkAssumed(cmd, client, a, entries); err != nil {
		return err
	}
	showDestinations(cmd.ErrOrStderr(), entries, allowed)
	report := client.Push(cmd.Context(), a, entries)
	if err := writeLock(cmd, o, report); err != nil {
		return err
	}
	return summarize(cmd, o, report, "pushed from "+o.fromArchive)
}

// pushPrefixes are the prefixes an archive's images may be pushed under:
// the user's (the config's, or --push-under's), never only the archive's,
// which whoever wrote (or edited) it chose. A dry run pushes nothing and
// shows the archive's own.
func pushPrefixes(o *options, a *mirror.Archive, fromConfig []string, dryRun bool) ([]string, error) {
	switch {
	case o.configGiven() && len(o.pushUnder) > 0:
		return nil, cli.Usage(errors.New("--push-under is for pushing without a config; with one, the images go where it maps them"))
	case o.configGiven():
		return fromConfig, nil
	case len(o.pushUnder) > 0:
		var out []string
		for _, p := range o.pushUnder {
			n, ok := normalizePrefix(p)
			if !ok {
				return nil, cli.Usage(fmt.Errorf("--push-under %q: want a repository prefix such as registry.internal/mirror", p))
			}
			out = append(out, n)
		}
		return out, nil
	case dryRun:
		return a.Prefixes, nil
	}
	return nil, cli.Usage(fmt.Errorf("an archive does not choose where it is pushed: give the config (-c, $HELM_AIRGAP_CONFIG, --mirror or --rule) or the prefix to push under (--push-under; the archive says %s)", strings.Join(a.Prefixes, ", ")))
}

// checkAssumed refuses a differential archive, before anything is pushed,
// when a blob it left out is not in the registry, listing every one.
func checkAssumed(cmd *cobra.Command, client *mirror.Client, a *mirror.Archive, entries []mirror.Entry) error {
	if len(a.Assumed) == 0 {
		return nil
	}
	missing, err := client.CheckAssumed(cmd.Context(), a, entries)
	if err != nil {
		return cli.Failed(err)
	}
	if len(missing) > 0 {
		return cli.Failed(fmt.Errorf("the archive was written for a registry holding blobs this one lacks; nothing was pushed (write the archive again with a current inventory, or without --have):\n  missing %s", strings.Join(missing, "\n  missing ")))
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "helm-airgap: the %d blob(s) the archive left out are in the registry\n", len(a.Assumed))
	return nil
}

// openArchive opens and checks the archive --from-archive names; an
// interrupted check is not an input error.
func openArchive(cmd *cobra.Command, o *options) (*mirror.Archive, error) {
	a, err := mirror.OpenArchive(cmd.Context(), o.fromArchive)
	if err != nil {
		if cmd.Context().Err() != nil {
			return nil, err
		}
		return nil, cli.Usage(err)
	}
	return a, nil
}

// showDestinations says where the archive's images are about to go, before
// anything is pushed.
func showDestinations(w io.Writer, entries []mirror.Entry, allowed []string) {
	fmt.Fprintf(w, "helm-airgap: pushing %d archived image(s) under %s:\n", len(entries), strings.Join(allowed, ", "))
	for _, e := range entries {
		fmt.Fprintf(w, "  %s -> %s\n", e.Source, e.Destination)
	}
}

// archiveEntries returns the archive's entries with their destinations,
// and the prefixes those must stay under: recorded in the archive, or
// recomputed with the current config and its prefixes when one is given.
func archiveEntries(o *options, a *mirror.Archive) ([]mirror.Entry, []string, error) {
	if !o.configGiven() {
		return a.Entries, a.Prefixes, nil
	}
	cfg, mp, err := o.load()
	if err != nil {
		return nil, nil, err
	}
	var entries []mirror.Entry
	var problems []string
	for _, e := range a.Entries {
		if e.Chart && isLocalChartSource(e.Source) {
			entries = append(entries, e) // no source to map: keep where it was sent, under the config's prefixes
			continue
		}
		m, err := mp.Map(e.Source)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", e.Source, err))
			continue
		case m.Status == mapper.Unmapped:
			problems = append(problems, fmt.Sprintf("%s: no rule or mirror gives it a destination; %s", e.Source, mp.Hint(m.Source)))
			continue
		case m.Status == mapper.Internal:
			continue // already internal under this config: nothing to push
		}
		e.Destination = m.Dest
		entries = append(entries, e)
	}
	if len(problems) > 0 {
		return nil, nil, cli.Failed(fmt.Errorf("the current config gives %d archived image(s) no destination:\n  %s", len(problems), strings.Join(problems, "\n  ")))
	}
	return entries, prefixes(cfg, mp), nil
}

// printPlan is the dry run: what would be copied, as plan lines.
func printPlan(w io.Writer, items []mirror.Item) error {
	p := &plan.Plan{APIVersion: plan.APIVersion, Kind: plan.Kind}
	for _, it := range items {
		p.Images = append(p.Images, it.Image)
	}
	return plan.Write(w, p, plan.Plain)
}

// summarize prints the totals and every failure again at the end, where
// it cannot scroll away, and sets the exit code.
func summarize(cmd *cobra.Command, o *options, r *mirror.Report, verb string) error {
	w := cmd.ErrOrStderr()
	total, copied := r.ReferrerCounts()
	fmt.Fprintf(w, "helm-airgap: %s %d image(s): %d copied, %d already present, %d failed; %d referrer(s) (signatures, attestations, SBOMs): %d copied\n",
		verb, len(r.Results), r.Count(mirror.Copied), r.Count(mirror.Present), r.Count(mirror.Failed), total, copied)
	if r.Blobs.Moved+r.Blobs.Skipped() > 0 {
		fmt.Fprintf(w, "helm-airgap: %s\n", r.Blobs)
	}
	if r.OK() {
		return nil
	}
	fmt.Fprintf(w, "helm-airgap: %d image(s) failed:\n", r.Count(mirror.Failed))
	listFailures(w, o, r)
	return cli.Failed(fmt.Errorf("%d image(s) failed", r.Count(mirror.Failed)))
}

func writeOrigins(w io.Writer, o *options, item mirror.Item) {
	if !o.why {
		return
	}
	for _, origin := range item.Origins {
		fmt.Fprintf(w, "      used by %s\n", origin)
	}
}
