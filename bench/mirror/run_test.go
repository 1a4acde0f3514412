//go:build benchmirror

package mirror

import (
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/registrytest"
)

// measure is one timed run: wall time, bytes written, the largest peak
// RSS of its processes.
type measure struct {
	wall  time.Duration
	bytes int64
	rssKB int64
	err   error
	blobs string // helm-airgap's summary of the blob bytes sent and skipped
}

// bench holds what every run shares: the binaries, the environment (the
// Docker config with every registry's user, the test CA), a work dir.
type bench struct {
	t                   *testing.T
	helm, crane, regctl string
	env                 []string
	work, dockerDir     string
	regs                []*registrytest.Registry
	jobs                int
}

// newDst starts an empty destination registry and logs every command in
// to it.
func (b *bench) newDst() *registrytest.Registry {
	dst := registrytest.NewDistribution(b.t)
	b.regs = append(b.regs, dst)
	registrytest.DockerConfig(b.t, b.dockerDir, b.regs...)
	return dst
}

// run runs cmds, jobs at a time (one process per image, as a peer with no
// plan of its own is scripted), and returns the wall time and the largest
// peak RSS among them (a process's ru_maxrss covers the children it
// reaped: helm-airgap's companion binary is exec'd in its place).
func (b *bench) run(jobs int, cmds ...[]string) measure {
	b.t.Helper()
	start := time.Now()
	var mu sync.Mutex
	var m measure
	next := make(chan []string)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for argv := range next {
				rss, out, err := b.one(argv)
				mu.Lock()
				m.rssKB = max(m.rssKB, rss)
				m.blobs = blobSummary(out, m.blobs)
				if err != nil && m.err == nil {
					m.err = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, c := range cmds {
		next <- c
	}
	close(next)
	wg.Wait()
	m.wall = time.Since(start)
	return m
}

// one runs argv under GNU time for its peak RSS: the rusage Go gets from
// its own child is no good for that, as the child is made with vfork and
// exec counts the test process's resident set as the child's high water.
func (b *bench) one(argv []string) (int64, []byte, error) {
	f, err := os.CreateTemp(b.work, "rss-")
	if err != nil {
		return 0, nil, err
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", f.Name()}, argv...)...)
	cmd.Env, cmd.Dir = b.env, b.work
	out, err := cmd.CombinedOutput()
	data, _ := os.ReadFile(f.Name())
	fields := strings.Fields(string(data))
	var rss int64
	if len(fields) > 0 {
		rss, _ = strconv.ParseInt(fields[len(fields)-1], 10, 64)
	}
	if err != nil {
		return rss, out, fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, tail(out))
	}
	return rss, out, nil
}

// blobSummary is helm-airgap's "blobs: ... sent ..., ... skipped (...)"
// line in out, or had when out has none.
func blobSummary(out []byte, had string) string {
	for _, line := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(line, "helm-airgap: blobs: "); ok {
			return s
		}
	}
	return had
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// du is the bytes of the regular files under root.
func du(root string) int64 {
	var n int64
	filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// blobFiles are the blob data files of a distribution registry's storage.
func blobFiles(storage string) []string {
	var files []string
	filepath.WalkDir(storage, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && d.Name() == "data" && strings.Contains(p, "/blobs/sha256/") {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// catFloor copies the files into one file on the same disk with cat.
func (b *bench) catFloor(files []string) measure {
	out := filepath.Join(b.work, "floor-cat")
	// sh -c's "$@" takes the files as its arguments.
	m := b.run(1, append([]string{"sh", "-c", `cat "$@" > ` + out, "cat"}, files...))
	m.bytes = du(out)
	os.Remove(out)
	return m
}

// socketFloor sends the files through a loopback TCP socket into one file
// on the same disk: what a copy between two processes on this machine
// cannot beat.
func (b *bench) socketFloor(files []string) measure {
	out := filepath.Join(b.work, "floor-socket")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return measure{err: err}
	}
	defer l.Close()
	start := time.Now()
	done := make(chan measure, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			done <- measure{err: err}
			return
		}
		defer conn.Close()
		f, err := os.Create(out)
		if err != nil {
			done <- measure{err: err}
			return
		}
		n, err := io.Copy(f, conn)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		done <- measure{bytes: n, err: err}
	}()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return measure{err: err}
	}
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			conn.Close()
			return measure{err: err}
		}
		_, err = io.Copy(conn, f)
		f.Close()
		if err != nil {
			conn.Close()
			return measure{err: err}
		}
	}
	conn.Close()
	m := <-done
	m.wall = time.Since(start)
	os.Remove(out)
	return m
}
