// Package migrations reads the versioned SQL migrations both stores embed.
package migrations

import (
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads migrations/NNNN_name.sql from fsys in version order; owner
// names the store in errors.
func Load(fsys fs.FS, owner string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, fmt.Errorf("%s: reading migrations: %w", owner, err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("%s: migration %q is not named NNNN_name.sql", owner, name)
		}
		if prev, dup := seen[version]; dup {
			return nil, fmt.Errorf("%s: migrations %q and %q share version %d", owner, prev, name, version)
		}
		seen[version] = name
		body, err := fs.ReadFile(fsys, "migrations/"+name)
		if err != nil {
			return nil, fmt.Errorf("%s: reading migration %q: %w", owner, name, err)
		}
		out = append(out, Migration{Version: version, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}
