package rewrite

import (
	"reflect"
	"testing"

	"github.com/plexicus/helm-airgap/rules/detect"
)

// locatorCase is one row of a locator's table: a document, and the sites
// the locators under test find in it as "field=value" (with " (part)" for
// a composite part, " refused" for a refused site), in stream order.
type locatorCase struct {
	name, doc string
	want      []string
}

// runLocators runs the walker with only the given locators over each case,
// so that a row fails when its locator misses a site or another locator's
// work leaks into it.
func runLocators(t *testing.T, tests []locatorCase, only ...locator) {
	t.Helper()
	catalogue := detect.NewCatalogue(detect.BuiltinOperators(), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parse(chunk{data: []byte(tt.doc), line: 1})
			if err != nil {
				t.Fatal(err)
			}
			w := newWalker(d, catalogue, &nameRoles{})
			w.locators = only
			if err := w.find(); err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, s := range w.sites {
				line := s.field + "=" + s.value
				if part := s.kind.String(); part != "" {
					line += " (" + part + ")"
				}
				if s.refuse != "" {
					line += " refused"
				}
				got = append(got, line)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sites:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
