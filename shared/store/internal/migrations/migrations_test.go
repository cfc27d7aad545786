package migrations

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	cases := []struct {
		name     string
		fs       fstest.MapFS
		versions []int
		err      string
	}{
		{"ordered by version", fstest.MapFS{
			"migrations/0002_b.sql": file("B"),
			"migrations/0001_a.sql": file("A"),
			"migrations/0010_c.sql": file("C"),
		}, []int{1, 2, 10}, ""},
		{"bad name", fstest.MapFS{"migrations/init.sql": file("x")}, nil, "not named"},
		{"not sql", fstest.MapFS{"migrations/0001_a.txt": file("x")}, nil, "not named"},
		{"zero version", fstest.MapFS{"migrations/0000_a.sql": file("x")}, nil, "not named"},
		{"duplicate", fstest.MapFS{
			"migrations/0001_a.sql": file("x"),
			"migrations/0001_b.sql": file("y"),
		}, nil, "share version 1"},
		{"missing dir", fstest.MapFS{}, nil, "reading migrations"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(tc.fs, "teststore")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "teststore") {
					t.Fatalf("err = %v, want one naming the store and containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.versions) {
				t.Fatalf("got %d migrations, want %d", len(got), len(tc.versions))
			}
			for i, m := range got {
				if m.Version != tc.versions[i] {
					t.Errorf("migration %d version = %d, want %d", i, m.Version, tc.versions[i])
				}
			}
		})
	}
}
