package main

import (
	"io"

	"github.com/plexicus/helm-airgap/inputs"
)

// expandInputs turns FILE|DIR|- arguments into a list of files ("-" is
// stdin); a missing path is a usage error.
func expandInputs(args []string) ([]string, error) {
	files, err := inputs.Expand(args)
	if err != nil {
		return nil, usageError{err}
	}
	return files, nil
}

// newStreamReader concatenates the inputs into one YAML stream; its Explain
// names the file and line behind a line of the stream in an error.
func newStreamReader(stdin io.Reader, files []string) *inputs.Reader {
	return inputs.NewReader(stdin, files)
}
