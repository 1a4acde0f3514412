package mirror

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// display shows a run: one line per item handled and, on a terminal, live
// bars (bytes per image being pushed, items overall) drawn by mpb, with the
// lines printed above them.
type display struct {
	mu      sync.Mutex
	w       io.Writer
	bars    *mpb.Progress
	overall *mpb.Bar
	xfer    *transfer // the run's writing to registries; nil if it could not be set up
}

func (c *Client) newDisplay(verb string, total int) *display {
	d := &display{w: c.opts.Log}
	d.xfer, _ = c.newTransfer() // on error each push makes its own and reports it
	if !c.opts.Progress || total == 0 {
		return d
	}
	d.bars = mpb.New(mpb.WithOutput(c.opts.Log), mpb.WithWidth(32), mpb.WithAutoRefresh())
	d.overall = d.bars.AddBar(int64(total),
		mpb.BarPriority(1<<30), // always the bottom line
		mpb.PrependDecorators(decor.Name(verb, decor.WC{W: 12, C: decor.DindentRight}), decor.CountersNoUnit("%d/%d images")),
		mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO), decor.Any(d.rate)),
	)
	return d
}

// rate is the overall bar's bytes sent so far and their rate.
func (d *display) rate(decor.Statistics) string {
	t := d.xfer.totals()
	if t.Moved == 0 {
		return ""
	}
	return "  " + formatBytes(t.Moved) + " sent, " + formatBytes(bytesPerSecond(t.Moved, t.Elapsed)) + "/s"
}

// bytesPerSecond is n bytes over d as a rate (0 for no time).
func bytesPerSecond(n int64, d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(float64(n) / d.Seconds())
}

// transfer is the run's blob figures (zero when nothing was pushed).
func (d *display) transfer() Transfer { return d.xfer.totals() }

// printf prints one line, above the bars when there are any.
func (d *display) printf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if d.bars != nil {
		fmt.Fprintln(d.bars, line)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintln(d.w, line)
}

// itemDone advances the overall bar.
func (d *display) itemDone() {
	if d.overall != nil {
		d.overall.Increment()
	}
}

// close waits for the bars to draw their last state.
func (d *display) close() {
	if d.bars == nil {
		return
	}
	d.overall.SetTotal(-1, true)
	d.bars.Wait()
}

// tracker is one push: its bar, if bars are drawn, and the run it belongs
// to. A nil tracker draws nothing and belongs to no run.
type tracker struct {
	bar   *mpb.Bar
	x     *transfer
	total atomic.Int64
}

// quiet is a push with no bar of its own (a referrer's).
func (d *display) quiet() *tracker { return &tracker{x: d.xfer} }

func (d *display) track(label string) *tracker {
	if d.bars == nil {
		return d.quiet()
	}
	if len(label) > 48 {
		label = "…" + label[len(label)-47:]
	}
	bar := d.bars.AddBar(0,
		mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(label, decor.WC{W: 49, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f")),
	)
	return &tracker{bar: bar, x: d.xfer}
}

// grow adds the size of an image's blobs to the bar; an index's images add
// theirs as they are reached, so the bar is completed only by done.
func (t *tracker) grow(n int64) {
	if t == nil || t.bar == nil {
		return
	}
	t.bar.SetTotal(t.total.Add(n), false)
}

// advance counts n bytes sent, or skipped (already there, mounted, shared).
func (t *tracker) advance(n int64) {
	if t == nil || t.bar == nil {
		return
	}
	t.bar.IncrInt64(n)
}

func (t *tracker) done(ok bool) {
	if t == nil || t.bar == nil {
		return
	}
	if ok {
		t.bar.SetTotal(-1, true)
		return
	}
	t.bar.Abort(true)
}
