package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/plexicus/helm-airgap/internal/release"
)

// What argocd-cmp-server expects of the sidecar (argocd/repo-server-patch.yaml).
const (
	argocdUID  = 999 // the user (and group) Argo CD runs the sidecar as
	home       = "/home/argocd"
	binDir     = "/usr/local/bin"
	pluginPath = home + "/cmp-server/config/plugin.yaml"
	entrypoint = "/var/run/argocd/argocd-cmp-server" // mounted from the var-files volume
	sourceURL  = "https://github.com/plexicus/helm-airgap"
)

// env is the container's environment. The root file system is read-only in
// the sidecar; Helm keeps its state in the sidecar's own /tmp.
var env = []string{
	"PATH=" + binDir + ":/usr/bin:/bin",
	"HOME=" + home,
	"HELM_CACHE_HOME=/tmp/helm/cache",
	"HELM_CONFIG_HOME=/tmp/helm/config",
	"HELM_DATA_HOME=/tmp/helm/data",
}

// entry is one file or directory of a layer.
type entry struct {
	name string // path in the image, without the leading slash
	dir  bool
	mode int64 // permission bits, sticky bit included
	uid  int   // owner and group
	data []byte
	from string // the file on disk to copy, instead of data
}

// contents is what every platform's image holds besides its binaries.
type contents struct {
	pluginYAML []byte
	version    string
	date       time.Time
}

// baseEntries are the image's own files: the argocd user, its home, /tmp
// and the plugin config. The same for every platform, so one blob.
func (c contents) baseEntries() []entry {
	dir := func(name string, mode int64, uid int) entry {
		return entry{name: name, dir: true, mode: mode, uid: uid}
	}
	file := func(name, data string) entry { return entry{name: name, mode: 0o644, data: []byte(data)} }
	return []entry{
		dir("etc", 0o755, 0),
		file("etc/passwd", fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nargocd:x:%d:%d:argocd:%s:/sbin/nologin\n", argocdUID, argocdUID, home)),
		file("etc/group", fmt.Sprintf("root:x:0:\nargocd:x:%d:\n", argocdUID)),
		dir("home", 0o755, 0),
		dir(home[1:], 0o755, argocdUID),
		dir(path.Dir(path.Dir(pluginPath))[1:], 0o755, 0),
		dir(path.Dir(pluginPath)[1:], 0o755, 0),
		{name: pluginPath[1:], mode: 0o644, data: c.pluginYAML},
		dir("tmp", 0o1777, 0),
		dir("usr", 0o755, 0),
		dir("usr/local", 0o755, 0),
		dir(binDir[1:], 0o755, 0),
	}
}

// binaryEntries are the binaries in /usr/local/bin.
func binaryEntries(binaries map[string]string) []entry {
	var out []entry
	for name, from := range binaries {
		out = append(out, entry{name: path.Join(binDir[1:], name), mode: 0o755, from: from})
	}
	return out
}

// image assembles one platform's image from scratch: the base layer, Helm,
// then the project's binaries (the layer that changes most goes last).
func (c contents) image(pf release.Platform, binaries map[string]string) (v1.Image, error) {
	helm, ok := binaries["helm"]
	if !ok {
		return nil, fmt.Errorf("no helm binary for %s", pf)
	}
	own := map[string]string{}
	for name, p := range binaries {
		if name != "helm" {
			own[name] = p
		}
	}
	layers := []struct {
		what    string
		entries []entry
	}{
		{"the argocd user, its home, /tmp and plugin.yaml", c.baseEntries()},
		{"helm", binaryEntries(map[string]string{"helm": helm})},
		{"helm-airgap and its companions", binaryEntries(own)},
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, l := range layers {
		layer, err := c.layer(l.entries)
		if err != nil {
			return nil, fmt.Errorf("layer of %s: %w", l.what, err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
			Created:   v1.Time{Time: c.date},
			CreatedBy: "make image: " + l.what,
		}})
		if err != nil {
			return nil, err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = pf.OS, pf.Arch
	cf.Created = v1.Time{Time: c.date}
	cf.Config = v1.Config{
		User:       fmt.Sprint(argocdUID),
		Entrypoint: []string{entrypoint},
		WorkingDir: home,
		Env:        env,
		Labels: map[string]string{
			"org.opencontainers.image.title":   "helm-airgap Argo CD plugin sidecar",
			"org.opencontainers.image.version": c.version,
			"org.opencontainers.image.source":  sourceURL,
		},
	}
	return mutate.ConfigFile(img, cf)
}

// layer makes a layer of entries: a gzipped tar, entries sorted by name,
// owned by uid:uid with no names, stamped with the build's date, so the same
// entries always give the same digest. The tar is written afresh each time
// go-containerregistry reads the layer, straight from the files.
func (c contents) layer(entries []entry) (v1.Layer, error) {
	entries = append([]entry(nil), entries...)
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	for i := 1; i < len(entries); i++ {
		if entries[i].name == entries[i-1].name {
			return nil, fmt.Errorf("%s is listed twice", entries[i].name)
		}
	}
	open := func() (io.ReadCloser, error) {
		r, w := io.Pipe()
		go func() { w.CloseWithError(writeTar(w, entries, c.date)) }()
		return r, nil
	}
	return tarball.LayerFromOpener(open, tarball.WithMediaType(types.OCILayer))
}

func writeTar(w io.Writer, entries []entry, date time.Time) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: date, Typeflag: tar.TypeReg}
		if e.dir {
			hdr.Typeflag, hdr.Name = tar.TypeDir, e.name+"/"
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			continue
		}
		content, size, err := e.open()
		if err != nil {
			return err
		}
		hdr.Size = size
		err = tw.WriteHeader(hdr)
		if err == nil {
			_, err = io.Copy(tw, content)
		}
		content.Close()
		if err != nil {
			return fmt.Errorf("adding %s: %w", e.name, err)
		}
	}
	return tw.Close()
}

// open returns the entry's content and size.
func (e entry) open() (io.ReadCloser, int64, error) {
	if e.from == "" {
		return io.NopCloser(bytes.NewReader(e.data)), int64(len(e.data)), nil
	}
	f, err := os.Open(e.from)
	if err != nil {
		return nil, 0, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, info.Size(), nil
}

// platformImage is one platform's image.
type platformImage struct {
	platform release.Platform
	image    v1.Image
}

// imageIndex is the OCI index of the platforms' images.
func imageIndex(images []platformImage) v1.ImageIndex {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pi := range images {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        pi.image,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: pi.platform.OS, Architecture: pi.platform.Arch}},
		})
	}
	return idx
}
