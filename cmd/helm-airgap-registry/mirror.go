package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/plexicus/helm-airgap/mirror"
	"github.com/plexicus/helm-airgap/plan"
	"github.com/plexicus/helm-airgap/rules"
	"github.com/spf13/cobra"
)

func newMirrorCommand() *cobra.Command {
	var o options
	var toArchive string
	var charts []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "mirror [FILE|DIR|-]... | mirror CHART [helm template flags]",
		Short: "Copy every image the manifests use to its mirror destination",
		Long: `Copies every image of the mirror plan (the images "helm-airgap images" lists
for the same inputs and config) from its source to its destination with
go-containerregistry: multi-arch indexes whole, manifests byte for byte so
digests are preserved, a digest-pinned source by its digest. Images already
at their destination with the same digest are skipped, as are blobs the
destination already has, so re-running is cheap. Failed images are retried
with exponential backoff; the others go on. Credentials come from the Docker
config and credential helpers (docker login, crane auth login).

Across an air gap, in two steps:
  outside:  mirror --to-archive bundle.tar [inputs]   (one OCI image layout tar)
  inside:   mirror --from-archive bundle.tar          (push to the internal registry)
The archive records each image's source and destination. Inside, the
destinations recorded are used, or, when a config is given (--config,
$HELM_AIRGAP_CONFIG, --mirror or --rule), recomputed from it. --chart adds a
chart's OCI artifact (oci://...), mapped by the same rules.

Exit codes: 0 every image is at its destination, 1 an image failed (listed at
the end) or has no destination, 2 usage, config or input error.`,
		Example: `  helm template app ./chart | helm-airgap mirror -c airgap.yaml
  helm airgap mirror ./chart -f values-prod.yaml -c airgap.yaml --dry-run
  helm-airgap images -c airgap.yaml -o json rendered/ > plan.json
  helm-airgap mirror --plan plan.json --jobs 8

  # Across the gap
  helm-airgap mirror -c airgap.yaml --to-archive bundle.tar \
    --chart oci://registry.example.com/charts/app:1.2.3 rendered/
  helm-airgap mirror --from-archive bundle.tar            # inside, after carrying it`,
		DisableFlagParsing: true, // Helm's flags pass through in chart mode.
		RunE: func(cmd *cobra.Command, args []string) error {
			rest, help, err := parseArgs(cmd, args)
			if err != nil || help {
				if help {
					return cmd.Help()
				}
				return err
			}
			return runMirror(cmd, &o, rest, toArchive, charts, dryRun)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&toArchive, "to-archive", "", "write the images to one OCI image layout archive (a .tar, or an existing directory) instead of the registry")
	cmd.Flags().StringArrayVar(&charts, "chart", nil, "also mirror a chart's OCI artifact (oci://REGISTRY/REPO/CHART:VERSION); repeatable")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan (SOURCE DESTINATION lines) and copy nothing")
	return cmd
}

func runMirror(cmd *cobra.Command, o *options, args []string, toArchive string, charts []string, dryRun bool) error {
	if o.fromArchive != "" {
		switch {
		case toArchive != "":
			return usageError{errors.New("--from-archive and --to-archive are exclusive")}
		case len(charts) > 0:
			return usageError{errors.New("--chart is for the outside (with or without --to-archive); an archive already holds its charts")}
		case len(args) > 0 || o.planFile != "":
			return usageError{errors.New("--from-archive takes no manifests or plan: the archive records its images")}
		}
		return pushArchive(cmd, o, dryRun)
	}
	p, err := o.readPlan(cmd, args)
	if err != nil {
		return err
	}
	items := mirror.Items(p, false)
	if len(charts) > 0 {
		_, mapper, err := o.load()
		if err != nil {
			return err
		}
		for _, c := range charts {
			item, err := chartItem(c, mapper)
			if err != nil {
				return usageError{err}
			}
			items = append(items, item)
		}
	}
	if dryRun {
		return printPlan(cmd.OutOrStdout(), items)
	}
	client, err := o.client(cmd)
	if err != nil {
		return err
	}
	var report *mirror.Report
	if toArchive != "" {
		if report, err = client.ToArchive(cmd.Context(), items, toArchive); err != nil {
			return err
		}
	} else {
		report = client.Copy(cmd.Context(), items)
	}
	return summarize(cmd, o, report, verbFor(toArchive))
}

func verbFor(toArchive string) string {
	if toArchive != "" {
		return "archived to " + toArchive
	}
	return "mirrored"
}

// chartItem maps a chart's OCI reference by the rules, like an image.
func chartItem(ref string, mapper *rules.Mapper) (mirror.Item, error) {
	raw := strings.TrimPrefix(ref, "oci://")
	if raw == ref {
		return mirror.Item{}, fmt.Errorf("--chart %q: give the chart's OCI reference, oci://REGISTRY/REPO/CHART:VERSION", ref)
	}
	m, err := mapper.Map(raw)
	if err != nil {
		return mirror.Item{}, fmt.Errorf("--chart %q: %w", ref, err)
	}
	if m.Source.Suffix == "" {
		return mirror.Item{}, fmt.Errorf("--chart %q: name the chart version (oci://...:VERSION)", ref)
	}
	src := m.Source.Repository() + m.Source.Suffix
	switch m.Status {
	case rules.Unmapped:
		return mirror.Item{}, fmt.Errorf("--chart %q: no rule or mirror gives it a destination; %s", ref, mapper.Hint(m.Source))
	case rules.Internal:
		return mirror.Item{}, fmt.Errorf("--chart %q is already on an internal registry", ref)
	}
	img := plan.Image{Source: src, Destination: m.Dest, Status: plan.Copy, Rule: m.Rule}
	return mirror.Item{Image: img, Chart: true, Digest: img.Digest()}, nil
}

// pushArchive is the inside half: push an archive to the internal registry.
func pushArchive(cmd *cobra.Command, o *options, dryRun bool) error {
	a, err := mirror.OpenArchive(o.fromArchive)
	if err != nil {
		return usageError{err}
	}
	defer a.Close()
	entries, err := archiveEntries(o, a)
	if err != nil {
		return err
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
	return summarize(cmd, o, client.Push(cmd.Context(), a, entries), "pushed from "+o.fromArchive)
}

// archiveEntries returns the archive's entries with their destinations:
// recorded, or recomputed with the current config when one is given.
func archiveEntries(o *options, a *mirror.Archive) ([]mirror.Entry, error) {
	if !o.configGiven() {
		return a.Entries, nil
	}
	_, mapper, err := o.load()
	if err != nil {
		return nil, err
	}
	var entries []mirror.Entry
	var problems []string
	for _, e := range a.Entries {
		m, err := mapper.Map(e.Source)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", e.Source, err))
			continue
		case m.Status == rules.Unmapped:
			problems = append(problems, fmt.Sprintf("%s: no rule or mirror gives it a destination; %s", e.Source, mapper.Hint(m.Source)))
			continue
		case m.Status == rules.Internal:
			continue // already internal under this config: nothing to push
		}
		e.Destination = m.Dest
		entries = append(entries, e)
	}
	if len(problems) > 0 {
		return nil, failedError{fmt.Errorf("the current config gives %d archived image(s) no destination:\n  %s", len(problems), strings.Join(problems, "\n  "))}
	}
	return entries, nil
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
	fmt.Fprintf(w, "helm-airgap: %s %d image(s): %d copied, %d already present, %d failed\n",
		verb, len(r.Results), r.Count(mirror.Copied), r.Count(mirror.Present), r.Count(mirror.Failed))
	if r.OK() {
		return nil
	}
	fmt.Fprintf(w, "helm-airgap: %d image(s) failed:\n", r.Count(mirror.Failed))
	for _, res := range r.Results {
		if res.Outcome == mirror.Failed {
			fmt.Fprintf(w, "  %v\n", res.Err)
			writeOrigins(w, o, res.Item)
		}
	}
	return failedError{fmt.Errorf("%d image(s) failed", r.Count(mirror.Failed))}
}

func writeOrigins(w io.Writer, o *options, item mirror.Item) {
	if !o.why {
		return
	}
	for _, origin := range item.Origins {
		fmt.Fprintf(w, "      used by %s\n", origin)
	}
}
