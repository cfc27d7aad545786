package edge

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/gpubroker/gpubroker/"

// imports lists a package's imports (tests included) from this module.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	p, err := build.ImportDir(dir, 0)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	var out []string
	for _, i := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
		if rest, ok := strings.CutPrefix(i, module); ok {
			out = append(out, rest)
		}
	}
	return out
}

// The layout the edge is built around: httpx imports nothing else from the
// edge; feature packages import neither the core nor each other (their
// tests may assemble a core); the core imports no feature but identity.
func TestEdgeLayout(t *testing.T) {
	features := []string{"edge/search", "edge/accountapi", "edge/ops", "edge/identity", "edge/stream", "edge/board", "edge/jobs", "edge/decide"}
	for _, i := range imports(t, "httpx") {
		if strings.HasPrefix(i, "edge") {
			t.Errorf("edge/httpx imports %s", i)
		}
	}
	core, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range core.Imports {
		if rest, ok := strings.CutPrefix(i, module); ok && slices.Contains(features, rest) && rest != "edge/identity" {
			t.Errorf("the edge core imports the feature %s", rest)
		}
	}
	for _, f := range features {
		p, err := build.ImportDir(filepath.Base(f), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range p.Imports { // production code only
			rest, _ := strings.CutPrefix(i, module)
			if rest == "edge" || slices.Contains(features, rest) && rest != f {
				t.Errorf("%s imports %s", f, rest)
			}
		}
	}
}
