package mirror

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The media types helm push writes (helm.sh/helm/v3/pkg/registry).
const (
	ChartConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
	ChartLayerMediaType  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	ChartProvMediaType   = "application/vnd.cncf.helm.chart.provenance.v1.prov"
)

// ChartArtifact is a packaged chart as the OCI artifact helm push writes:
// the chart's metadata (Chart.yaml as JSON) as config, the .tgz as one
// layer and, when the chart is signed, its .prov as a second. helm pull
// and helm install oci://... accept it.
func ChartArtifact(chartTgz, prov, metadata []byte, annotations map[string]string) (v1.Image, error) {
	a := &chartArtifact{config: metadata, layers: map[v1.Hash]v1.Layer{}}
	manifest := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        descriptorOf(metadata, ChartConfigMediaType),
		Annotations:   annotations,
	}
	add := func(data []byte, mt types.MediaType) {
		d := descriptorOf(data, mt)
		a.layers[d.Digest] = static.NewLayer(data, mt)
		manifest.Layers = append(manifest.Layers, d)
	}
	add(chartTgz, ChartLayerMediaType)
	if len(prov) > 0 {
		add(prov, ChartProvMediaType)
	}
	raw, err := json.Marshal(manifest)
	if err != nil {
		return nil, fmt.Errorf("building the chart artifact: %w", err)
	}
	a.manifest = raw
	return partial.CompressedToImage(a)
}

func descriptorOf(data []byte, mt types.MediaType) v1.Descriptor {
	sum := sha256.Sum256(data)
	return v1.Descriptor{MediaType: mt, Size: int64(len(data)), Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}}
}

// chartArtifact is the partial.CompressedImageCore of a chart artifact.
type chartArtifact struct {
	manifest, config []byte
	layers           map[v1.Hash]v1.Layer
}

func (a *chartArtifact) RawConfigFile() ([]byte, error)      { return a.config, nil }
func (a *chartArtifact) RawManifest() ([]byte, error)        { return a.manifest, nil }
func (a *chartArtifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

func (a *chartArtifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := a.layers[h]; ok {
		return l, nil
	}
	if h == descriptorOf(a.config, "").Digest {
		return static.NewLayer(a.config, ChartConfigMediaType), nil
	}
	return nil, fmt.Errorf("the chart artifact has no blob %s", h)
}
