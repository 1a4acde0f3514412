package main

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

func TestHasPostRendererFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"helm", "install", "x", ".", "--post-renderer", "/bin/helm-airgap"}, true},
		{[]string{"helm", "template", ".", "--post-renderer=helm-airgap"}, true},
		{[]string{"helm", "template", ".", "--post-renderer-args", "rewrite"}, false},
		{[]string{"helm", "template", ".", "--post-renderer-args=--post-renderer"}, false},
		{[]string{"sh", "-c", "helm-airgap rewrite"}, false},
		{nil, false},
	} {
		if got := hasPostRendererFlag(tc.args); got != tc.want {
			t.Errorf("hasPostRendererFlag(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestParentFromStat(t *testing.T) {
	for _, tc := range []struct {
		stat string
		ppid int
		ok   bool
	}{
		{"4242 (helm) S 4200 4242 4200 34816 4242 4194304", 4200, true},
		// comm may hold spaces and parentheses; fields count from the last ')'.
		{"4242 (my (odd) helm) R 17 4242 17", 17, true},
		{"1 (init) S 0 1 1", 0, true},
		{"4242 helm S 4200", 0, false},
		{"4242 (helm)", 0, false},
		{"4242 (helm) S notanumber", 0, false},
		{"", 0, false},
	} {
		ppid, ok := parentFromStat([]byte(tc.stat))
		if ppid != tc.ppid || ok != tc.ok {
			t.Errorf("parentFromStat(%q) = %d, %v; want %d, %v", tc.stat, ppid, ok, tc.ppid, tc.ok)
		}
	}
}

func TestSplitNUL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"helm\x00install\x00--post-renderer\x00x\x00", []string{"helm", "install", "--post-renderer", "x"}},
		{"helm\x00\x00arg\x00", []string{"helm", "", "arg"}},
		{"", nil},
		{"\x00", nil},
	} {
		if got := splitNUL([]byte(tc.in)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitNUL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// procArgs2 encodes args as macOS's KERN_PROCARGS2 does, with the
// executable path, alignment padding and an environment after the args.
func procArgs2(exe string, args []string, env []string) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.NativeEndian, int32(len(args)))
	b.WriteString(exe)
	b.WriteString("\x00\x00\x00\x00")
	for _, s := range append(append([]string(nil), args...), env...) {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.Bytes()
}

func TestParseProcArgs2(t *testing.T) {
	args := []string{"/usr/local/bin/helm", "template", "x", "--post-renderer", "/opt/helm-airgap"}
	got := parseProcArgs2(procArgs2("/usr/local/bin/helm", args, []string{"HOME=/Users/me", "PATH=/bin"}))
	if !reflect.DeepEqual(got, args) {
		t.Errorf("parseProcArgs2 = %q, want %q", got, args)
	}
	for _, bad := range [][]byte{nil, {1, 0}, {0, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff, 'x', 0}, procArgs2("exe", nil, nil)} {
		if got := parseProcArgs2(bad); got != nil {
			t.Errorf("parseProcArgs2(%q) = %q, want nil", bad, got)
		}
	}
	// Truncated: as many arguments as there are.
	if got := parseProcArgs2(procArgs2("exe", []string{"a", "b"}, nil)[:4+3+4+2]); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("truncated buffer: got %q", got)
	}
}

func FuzzParseProcArgs2(f *testing.F) {
	f.Add([]byte(nil), "helm\x00template\x00--post-renderer")
	f.Add(procArgs2("/bin/helm", []string{"helm", "x"}, []string{"A=B"}), "")
	f.Fuzz(func(t *testing.T, raw []byte, joined string) {
		parseProcArgs2(raw) // never panics, whatever the buffer
		// Well-formed buffers decode back to their arguments. An empty
		// first argument cannot be told from the padding after the
		// executable path (the format is ambiguous there), and no Helm
		// runs with one.
		args := strings.Split(joined, "\x00")
		if args[0] == "" {
			return
		}
		got := parseProcArgs2(procArgs2("/bin/helm", args, []string{"HOME=/x"}))
		if !reflect.DeepEqual(got, args) {
			t.Fatalf("round trip of %q gave %q", args, got)
		}
	})
}

func FuzzParentFromStat(f *testing.F) {
	f.Add("4242 (helm) S 4200 4242", "helm", 4200)
	f.Add("1 (a)b) S -1", "a) (b", 0)
	f.Fuzz(func(t *testing.T, raw, comm string, ppid int) {
		parentFromStat([]byte(raw)) // never panics
		if ppid < 0 || strings.ContainsAny(comm, "\x00") {
			return
		}
		got, ok := parentFromStat([]byte("99 (" + comm + ") S " + itoaInt(ppid) + " 99 99"))
		if !ok || got != ppid {
			t.Fatalf("comm %q ppid %d: got %d, %v", comm, ppid, got, ok)
		}
	})
}

func itoaInt(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
