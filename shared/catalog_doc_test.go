package shared

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestCatalogDocIsCurrent keeps docs/normalization.md's catalog table equal
// to the catalog. Run with GPUBROKER_UPDATE_DOCS=1 to rewrite the table.
func TestCatalogDocIsCurrent(t *testing.T) {
	const path = "../docs/normalization.md"
	const begin, end = "<!-- catalog:begin -->\n", "<!-- catalog:end -->"
	var b strings.Builder
	b.WriteString("| canonical id | vendor | model | form factor | memory GB | default variant |\n|---|---|---|---|---|---|\n")
	for _, s := range Catalog() {
		def := ""
		if s.Default {
			def = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %d | %s |\n", s.ID, s.Vendor, s.Model, s.FormFactor, s.MemoryGB, def)
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the catalog markers", path)
	}
	current := string(doc[i+len(begin) : j])
	if current == b.String() {
		return
	}
	if os.Getenv("GPUBROKER_UPDATE_DOCS") == "1" {
		out := string(doc[:i+len(begin)]) + b.String() + string(doc[j:])
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s catalog table is stale; run GPUBROKER_UPDATE_DOCS=1 go test ./shared/ -run CatalogDoc", path)
}
