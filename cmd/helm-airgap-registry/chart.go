package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/plexicus/helm-airgap/mirror"
	"github.com/plexicus/helm-airgap/plan"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

// localChartPrefix marks the source of a chart packaged here rather than
// pulled from a registry.
const localChartPrefix = "file:"

func isLocalChartSource(s string) bool { return strings.HasPrefix(s, localChartPrefix) }

// localChartItem packages a chart directory as helm package does (or reads
// a packaged .tgz and the .prov beside it) and makes the OCI artifact helm
// push would, to go to CHARTTO/NAME:VERSION.
func localChartItem(path string, m *mapper.Mapper, chartTo string) (mirror.Item, error) {
	tgz, prov, meta, err := packageChart(path)
	if err != nil {
		return mirror.Item{}, fmt.Errorf("--chart %q: %w", path, err)
	}
	if chartTo == "" {
		if m.Mirror() == "" {
			return mirror.Item{}, fmt.Errorf("--chart %q: a local chart needs --chart-to REGISTRY/PATH (or a mirror in the config, for MIRROR/charts)", path)
		}
		chartTo = m.Mirror() + "/charts"
	}
	// OCI tags cannot hold "+"; helm push writes it as "_" and helm pull reads it back.
	dest := strings.TrimSuffix(chartTo, "/") + "/" + meta.Name + ":" + strings.ReplaceAll(meta.Version, "+", "_")
	if _, err := reference.Parse(dest); err != nil {
		return mirror.Item{}, fmt.Errorf("--chart %q: destination: %w", path, err)
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return mirror.Item{}, err
	}
	artifact, err := mirror.ChartArtifact(tgz, prov, metaJSON, map[string]string{
		"org.opencontainers.image.title":       meta.Name,
		"org.opencontainers.image.version":     meta.Version,
		"org.opencontainers.image.description": meta.Description,
	})
	if err != nil {
		return mirror.Item{}, fmt.Errorf("--chart %q: %w", path, err)
	}
	abs, _ := filepath.Abs(path)
	img := plan.Image{Source: localChartPrefix + abs, Destination: dest, Status: plan.Copy}
	return mirror.Item{Image: img, Chart: true, Artifact: artifact}, nil
}

// packageChart returns the chart's .tgz, its .prov (signed .tgz only) and
// its metadata. A directory is loaded and saved as helm package does.
func packageChart(path string) (tgz, prov []byte, meta *chart.Metadata, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, nil, err
	}
	var ch *chart.Chart
	if info.IsDir() {
		if ch, err = loader.LoadDir(path); err != nil {
			return nil, nil, nil, fmt.Errorf("loading the chart: %w", err)
		}
		tmp, err := os.MkdirTemp("", "helm-airgap-chart-*")
		if err != nil {
			return nil, nil, nil, err
		}
		defer os.RemoveAll(tmp)
		saved, err := chartutil.Save(ch, tmp)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("packaging the chart: %w", err)
		}
		if tgz, err = os.ReadFile(saved); err != nil {
			return nil, nil, nil, err
		}
	} else {
		if tgz, err = os.ReadFile(path); err != nil {
			return nil, nil, nil, err
		}
		if ch, err = loader.LoadArchive(bytes.NewReader(tgz)); err != nil {
			return nil, nil, nil, fmt.Errorf("not a packaged chart: %w", err)
		}
		prov, err = os.ReadFile(path + ".prov")
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, nil, nil, err
		}
	}
	if ch.Metadata == nil || ch.Metadata.Name == "" || ch.Metadata.Version == "" {
		return nil, nil, nil, errors.New("its Chart.yaml names no chart name and version")
	}
	return tgz, prov, ch.Metadata, nil
}
