package search

import (
	"encoding/json"
	"fmt"

	"github.com/gpubroker/gpubroker/shared"
)

// snapshot is one provider's offers as cached by the edge: decoded for
// filtering, indexed by id, and each offer pre-encoded so responses are
// assembled from bytes instead of re-encoding offers per request.
// Snapshots are immutable once built and shared by concurrent requests.
type snapshot struct {
	offers  []shared.Offer
	encoded [][]byte
	byID    map[string]int
}

func newSnapshot(offers []shared.Offer) (*snapshot, error) {
	s := &snapshot{byID: make(map[string]int, len(offers))}
	for i := range offers {
		// A provider listing the same offer twice: keep the newest.
		if j, dup := s.byID[offers[i].ID]; dup {
			if offers[i].FetchedAt.After(s.offers[j].FetchedAt) {
				s.offers[j] = offers[i]
			}
			continue
		}
		s.byID[offers[i].ID] = len(s.offers)
		s.offers = append(s.offers, offers[i])
	}
	s.encoded = make([][]byte, len(s.offers))
	for i := range s.offers {
		b, err := json.Marshal(&s.offers[i])
		if err != nil {
			return nil, fmt.Errorf("encoding offer %s: %w", s.offers[i].ID, err)
		}
		s.encoded[i] = b
	}
	return s, nil
}

// snapshotCodec stores snapshots in the shared L1 (Redis) as a JSON array.
type snapshotCodec struct{}

func (snapshotCodec) Encode(s *snapshot) ([]byte, error) { return json.Marshal(s.offers) }

func (snapshotCodec) Decode(b []byte) (*snapshot, error) {
	var offers []shared.Offer
	if err := json.Unmarshal(b, &offers); err != nil {
		return nil, fmt.Errorf("decoding cached offers: %w", err)
	}
	return newSnapshot(offers)
}
