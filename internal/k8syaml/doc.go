// Package k8syaml reads a manifest's YAML as Kubernetes reads it.
//
// Kubernetes, Helm, kubectl and Argo CD decode manifests with
// sigs.k8s.io/yaml: go-yaml v2 decodes the YAML into generic values, which
// are converted to JSON. helm-airgap walks go.yaml.in/yaml/v3 nodes instead,
// so that it can splice edits into the original bytes. The two readings
// differ on a few constructs, and each difference is a way to show the API
// server an image that helm-airgap never saw:
//
//   - merge keys: v2 applies "<<" where it stands, so a merge placed after
//     explicit keys overrides them (v3 lets explicit keys win);
//   - tags: v2 reads a scalar with a tag it does not know ("!foo x") as the
//     string "x", and a "!!binary" scalar as its decoded bytes;
//   - keys: a "!!binary" key is its decoded bytes ("!!binary a2luZA==" is
//     "kind").
//
// Normalize turns a v3 tree into the tree Kubernetes reads: merges applied in
// v2's order, unknown tags read as strings, and what it will not model
// (binary, null or collection keys) refused. Check then proves the reading
// for the documents where the libraries can differ at all (merges, tags,
// anchors): it decodes the bytes with sigs.k8s.io/yaml itself and refuses a
// document whose keys, structure or strings differ from the normalised
// tree. A document Kubernetes cannot read is refused too.
//
// It imports the two YAML libraries and nothing of the project's.
package k8syaml
