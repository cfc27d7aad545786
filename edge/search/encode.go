package search

import (
	"encoding/json"
	"strconv"
	"time"
)

// pageResult is one query's page within a view.
type pageResult struct {
	items   []hit
	total   int
	perPage int
	sort    string
	next    *cursor
}

// appendPage writes the fields of a page (without braces). Offers are copied
// from their pre-encoded bytes.
func appendPage(b []byte, p pageResult) []byte {
	b = append(b, `"items":[`...)
	for i, h := range p.items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, h.json...)
	}
	b = append(b, `],"total":`...)
	b = strconv.AppendInt(b, int64(p.total), 10)
	b = append(b, `,"per_page":`...)
	b = strconv.AppendInt(b, int64(p.perPage), 10)
	b = append(b, `,"sort":`...)
	b = strconv.AppendQuote(b, p.sort)
	b = append(b, `,"next_cursor":`...)
	if p.next == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendQuote(b, p.next.encode())
	}
	return b
}

// appendMeta writes warnings, sources and generated_at (without braces).
func appendMeta(b []byte, v *view, now time.Time) []byte {
	w, _ := json.Marshal(nonNil(v.warnings))
	src, _ := json.Marshal(v.results)
	b = append(b, `"warnings":`...)
	b = append(b, w...)
	b = append(b, `,"sources":`...)
	b = append(b, src...)
	b = append(b, `,"generated_at":`...)
	b = strconv.AppendQuote(b, now.UTC().Format(time.RFC3339Nano))
	return b
}

// encodeSearch renders a search response; bulk answers hold one page per
// query under "results".
func encodeSearch(pages []pageResult, v *view, bulk bool, now time.Time) []byte {
	size := 256
	for _, p := range pages {
		for _, h := range p.items {
			size += len(h.json) + 1
		}
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	if bulk {
		b = append(b, `"results":[`...)
		for i, p := range pages {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			b = appendPage(b, p)
			b = append(b, '}')
		}
		b = append(b, "],"...)
	} else {
		b = appendPage(b, pages[0])
		b = append(b, ',')
	}
	b = appendMeta(b, v, now)
	return append(b, '}')
}
