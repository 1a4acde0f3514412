// Package doctest runs the commands the user docs show, so the docs cannot
// go stale. A fenced sh block preceded by an HTML comment marker is
// runnable (the comment does not render on GitHub):
//
//	<!-- run -->            run with Helm 4 as helm; must exit 0
//	<!-- run helm3 -->      run with Helm 3 as helm
//	<!-- run exit=1 -->     must exit 1 (an example of a failure)
//	<!-- run clone -->      run in a copy of the checkout, as a user with a
//	                        clone does (make tools, make install; README only)
//
// Each Markdown file's runnable blocks run in order, with bash -eo pipefail,
// in one fresh directory holding the bundled chart (platform/) and its
// sample config (airgap.yaml), with bin/ binaries built by testtool.Command
// on PATH, the airgap plugins installed into an isolated Helm home
// (internal/helmtest), and no network. TestReadmeFromClone instead follows
// README.md in a copy of the checkout: its clone blocks, then its quick
// start with the binaries the copy's make install put on PATH. Only tests
// live here.
package doctest
