// Package bounded keeps in-memory maps under a size limit.
package bounded

// Shrink makes room for one more entry in m, which must hold at most limit
// entries: it drops the expired entries and then, if m is still full,
// enough arbitrary ones.
func Shrink[K comparable, V any](m map[K]V, expired func(V) bool, limit int) {
	for k, v := range m {
		if expired(v) {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) < limit {
			return
		}
		delete(m, k)
	}
}
