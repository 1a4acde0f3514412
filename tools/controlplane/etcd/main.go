// Command etcd is the upstream etcd server, built from the pinned
// go.etcd.io/etcd/server/v3 module so tests can start a real control plane
// (internal/controlplane) without downloading release binaries.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
