package main

import (
	"fmt"
	"strconv"
	"strings"
)

// sizeUnits are the suffixes --split-size accepts, longest first.
var sizeUnits = []struct {
	suffix string
	factor int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// minVolume keeps volumes large enough to be worth a file each.
const minVolume = 1 << 20

// parseSize reads "4GiB", "700MiB", "4G" or a number of bytes; "" is 0.
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	num, factor := s, int64(1)
	for _, u := range sizeUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, factor = n, u.factor
			break
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid size %q: want a positive size such as 4GiB or 700MiB", s)
	}
	size := int64(n * float64(factor))
	if size < minVolume {
		return 0, fmt.Errorf("size %q is below the 1MiB minimum volume", s)
	}
	return size, nil
}
