package breaker

import "testing"

func TestWindow(t *testing.T) {
	const f, s = true, false
	tests := []struct {
		name     string
		size     int
		outcomes []bool
		calls    int
		failures int
	}{
		{"empty", 3, nil, 0, 0},
		{"partly filled", 3, []bool{f, s}, 2, 1},
		{"full", 3, []bool{f, s, f}, 3, 2},
		{"oldest failure evicted", 3, []bool{f, s, s, s}, 3, 0},
		{"oldest success evicted", 3, []bool{s, f, f, f}, 3, 3},
		{"wraps many times", 2, []bool{f, f, s, f, s, s, f}, 2, 1},
		{"size one", 1, []bool{f, s, f}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWindow(tt.size)
			for _, o := range tt.outcomes {
				w.add(o)
			}
			if w.calls != tt.calls || w.failures != tt.failures {
				t.Errorf("window = %d calls %d failures, want %d, %d", w.calls, w.failures, tt.calls, tt.failures)
			}
			if w.full() != (tt.calls == tt.size) {
				t.Errorf("full() = %v with %d of %d", w.full(), w.calls, tt.size)
			}
			w.reset()
			w.add(s)
			if w.calls != 1 || w.failures != 0 {
				t.Errorf("after reset and one success: %d calls %d failures", w.calls, w.failures)
			}
		})
	}
}
