// Command helm-airgap-krm is helm-airgap as a KRM function, for kustomize
// (`transformers:` with an exec function), kpt and any other tool that
// speaks the Configuration Functions Specification: it reads a ResourceList
// on stdin, rewrites every image reference of its items to the mirror, adds
// imagePullSecrets, and writes the ResourceList back. A reference left on a
// public registry, or two sources colliding on one destination, fails the
// function: every offender is reported in `results` (severity error, with
// the resource and field path) and on stderr, the ResourceList keeps no
// items at all (so that the orchestrator stops and nothing unrewritten
// flows on), and the exit code is 1. A bad functionConfig or input is exit
// code 2. The config is assembled by internal/settings like every other
// entry point's, so its issuer: and egress: (strict included) apply here
// too.
//
// It is a companion binary: `helm-airgap fn` execs it, so that the fast
// helm-airgap binary, which Helm runs on every install, never links kyaml.
//
// The functionConfig is the airgap.yaml schema, in either of two shapes:
//
//   - kind AirgapConfig (apiVersion helm-airgap/v1): an airgap.yaml file with
//     a kind and metadata, read as strictly as the file (unknown keys fail);
//   - kind ConfigMap, whose data holds the flag-like keys mirror, rules
//     (FROM=TO items), pullSecrets and allow (items separated by commas,
//     spaces or newlines), and optionally config, a whole airgap.yaml text
//     the other keys add to. This is what `kpt fn eval --exec ... --
//     mirror=...` builds from its arguments.
//
// Without a functionConfig the file named by $HELM_AIRGAP_CONFIG is used.
//
// Each item is run through the rewrite engine on its own: the item is
// serialized, rewritten by rewrite.Run (which splices edits into the bytes,
// so the item's comments and every annotation, kyaml's path/index/id ones
// included, are kept), and parsed back; an item with nothing to change is
// kept as the very node kustomize sent. Running per item, rather than on one
// stream of all items, ties every finding to its item without splitting the
// output again; collisions across items are still found, by feeding every
// mapping of the run into one rules.Collisions.
package main
