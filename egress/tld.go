package egress

import (
	"strings"
	"sync"
)

//go:generate go run gen_tlds.go

// tlds is the set of tldList, built on first use so that a run without the
// audit pays nothing for it.
var tlds struct {
	once sync.Once
	set  map[string]bool
}

// isTLD reports whether a label is a top-level domain on the internet.
func isTLD(label string) bool {
	tlds.once.Do(func() {
		list := strings.Fields(tldList)
		tlds.set = make(map[string]bool, len(list))
		for _, t := range list {
			tlds.set[t] = true
		}
	})
	return tlds.set[label]
}
