package ratelimit

import "testing"

func TestLedgerCountAndReset(t *testing.T) {
	const window, width = 1000, 10
	tests := []struct {
		name      string
		adds      []int64
		now       int64
		count     int64
		reset     int64
		remaining int // buckets left
	}{
		{"one admission", []int64{5}, 5, 1, 1000, 1},
		{"two buckets", []int64{5, 15}, 20, 2, 985, 2},
		{"bucket shared", []int64{11, 12, 19}, 19, 3, 992, 1},
		{"first of the oldest bucket out", []int64{11, 12, 19}, 1011, 2, 8, 1},
		{"whole oldest bucket out", []int64{11, 19, 25}, 1019, 1, 6, 1},
		{"everything out", []int64{1, 2, 3}, 1003, 0, 0, 0},
		{"exact boundary is out", []int64{100}, 1100, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l ledger
			for _, at := range tt.adds {
				l.add(at, width)
			}
			l.expire(tt.now, window)
			if got := l.count(tt.now, window); got != tt.count {
				t.Errorf("count = %d, want %d", got, tt.count)
			}
			if l.len != tt.remaining {
				t.Errorf("%d buckets left, want %d", l.len, tt.remaining)
			}
			if l.len > 0 {
				if got := l.reset(tt.now, window); got != tt.reset {
					t.Errorf("reset = %d, want %d", got, tt.reset)
				}
			}
		})
	}
}

// The ring grows past its first size and keeps the order of its buckets.
func TestLedgerRingGrows(t *testing.T) {
	var l ledger
	for i := range int64(50) {
		l.add(i*10, 10)
		if i%3 == 0 {
			l.expire(i*10, 100)
		}
	}
	l.expire(490, 100)
	if l.count(490, 100) != 10 || l.len != 10 {
		t.Fatalf("count %d in %d buckets, want 10 in 10", l.count(490, 100), l.len)
	}
	for i := range l.len {
		if b := l.ring[(l.head+i)%len(l.ring)]; b.idx != int64(40+i) {
			t.Fatalf("bucket %d is %d, want %d", i, b.idx, 40+i)
		}
	}
}
