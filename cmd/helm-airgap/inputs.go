package main

import (
	"io"

	"github.com/plexicus/helm-airgap/inputs"
	"github.com/plexicus/helm-airgap/internal/cli"
)

// expandInputs turns FILE|DIR|- arguments into a list of files ("-" is
// stdin); a missing path is a usage error.
func expandInputs(args []string) ([]string, error) {
	files, err := inputs.Expand(args)
	if err != nil {
		return nil, cli.Usage(err)
	}
	return files, nil
}

// newStreamReader concatenates the inputs into one YAML stream.
func newStreamReader(stdin io.Reader, files []string) io.Reader {
	return inputs.NewReader(stdin, files)
}
