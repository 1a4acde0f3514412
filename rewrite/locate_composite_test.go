package rewrite

import "testing"

func TestCompositeLocator(t *testing.T) {
	runLocators(t, []locatorCase{
		{"registry, repository and tag", "kind: ConfigMap\ndata: {}\nimage: {registry: docker.io, repository: bitnami/redis, tag: '7'}\n",
			[]string{"image.repository=docker.io/bitnami/redis (registry+repository)"}},
		{"repository and tag", "kind: X\nimage: {repository: bitnami/redis, tag: '7'}\n",
			[]string{"image.repository=bitnami/redis (repository)"}},
		{"a hub", "kind: X\nglobal: {hub: docker.io/istio, tag: '1.24'}\n",
			[]string{"global.hub=docker.io/istio (prefix)"}},
		{"flat keys under one prefix", "kind: X\ntrivy: {dbRepository: ghcr.io/aquasecurity/trivy-db, dbTag: '2'}\n",
			[]string{"trivy.dbRepository=ghcr.io/aquasecurity/trivy-db (repository)"}},
		{"image: {name, version}", "kind: X\nproxy: {image: {name: docker.io/envoyproxy/envoy, version: v1.32}}\n",
			[]string{"proxy.image.name=docker.io/envoyproxy/envoy (repository)"}},
		{"a name without a tag names an object", "kind: X\nimageCatalogRef: {name: postgresql, kind: ImageCatalog}\n", []string{}},
		{"a registry setting alone", "kind: X\nconfig: {container-registry: quay.io}\n",
			[]string{"config.container-registry=quay.io (prefix)"}},
		{"a setting the catalogue says only normalises names", "kind: X\nconfig: {defaultRegistry: docker.io}\n", []string{}},
		{"a repository without a tag or an image-named parent", "kind: X\nbackup: {repository: s3/bucket}\n", []string{}},
	}, compositeLocator{})
}
