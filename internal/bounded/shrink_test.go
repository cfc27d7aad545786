package bounded

import "testing"

func TestShrink(t *testing.T) {
	tests := []struct {
		name          string
		size, expired int
		limit         int
		want          int
	}{
		{"expired entries go first", 10, 4, 10, 6},
		{"then arbitrary ones, to make room for one", 10, 0, 10, 9},
		{"nothing to drop below the limit", 5, 0, 10, 5},
		{"all expired", 10, 10, 10, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := map[int]bool{} // value: expired
			for i := range tc.size {
				m[i] = i < tc.expired
			}
			Shrink(m, func(exp bool) bool { return exp }, tc.limit)
			if len(m) != tc.want {
				t.Fatalf("%d entries left, want %d", len(m), tc.want)
			}
			for k, exp := range m {
				if exp {
					t.Fatalf("expired entry %d kept", k)
				}
			}
		})
	}
}
