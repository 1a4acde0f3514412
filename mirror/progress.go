package mirror

import (
	"fmt"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
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
}

func (c *Client) newDisplay(verb string, total int) *display {
	d := &display{w: c.opts.Log}
	if !c.opts.Progress || total == 0 {
		return d
	}
	d.bars = mpb.New(mpb.WithOutput(c.opts.Log), mpb.WithWidth(32), mpb.WithAutoRefresh())
	d.overall = d.bars.AddBar(int64(total),
		mpb.BarPriority(1<<30), // always the bottom line
		mpb.PrependDecorators(decor.Name(verb, decor.WC{W: 12, C: decor.DindentRight}), decor.CountersNoUnit("%d/%d images")),
		mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO)),
	)
	return d
}

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

// tracker is the bar of one push; a nil tracker draws nothing.
type tracker struct{ bar *mpb.Bar }

func (d *display) track(label string) *tracker {
	if d.bars == nil {
		return nil
	}
	if len(label) > 48 {
		label = "…" + label[len(label)-47:]
	}
	bar := d.bars.AddBar(0,
		mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(label, decor.WC{W: 49, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f")),
	)
	return &tracker{bar: bar}
}

// update follows go-containerregistry's byte counts; the total grows as
// layers are discovered, so the bar is completed only by done.
func (t *tracker) update(u v1.Update) {
	if t == nil || u.Error != nil {
		return
	}
	t.bar.SetTotal(u.Total, false)
	t.bar.SetCurrent(u.Complete)
}

func (t *tracker) done(ok bool) {
	if t == nil {
		return
	}
	if ok {
		t.bar.SetTotal(-1, true)
		return
	}
	t.bar.Abort(true)
}
