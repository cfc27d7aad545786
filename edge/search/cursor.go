package search

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
)

// cursor is the opaque keyset position after the last item of a page: the
// sort key value and id of that item, plus the fingerprint of the query it
// belongs to. Keyset rather than offset paging means offers appearing or
// disappearing between calls neither repeat nor skip items.
type cursor struct {
	Sort        string  `json:"s"`
	Key         float64 `json:"k"`
	ID          string  `json:"i"`
	Fingerprint uint64  `json:"f"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = errors.New("not a cursor issued by this API")

func decodeCursor(s string) (*cursor, error) {
	if len(s) > 1024 {
		return nil, errBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errBadCursor
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" || c.Sort == "" || math.IsNaN(c.Key) || math.IsInf(c.Key, 0) {
		return nil, errBadCursor
	}
	if _, ok := parseSort(c.Sort); !ok {
		return nil, errBadCursor
	}
	return &c, nil
}
