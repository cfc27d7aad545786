package search

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
)

// queryBuilder turns raw filter values into a Query, stopping at the first
// invalid value and naming its field (prefixed, e.g. "queries[3].max_price",
// inside a bulk request).
type queryBuilder struct {
	q      Query
	err    *httpx.Error
	prefix string
}

func newBuilder(prefix string) *queryBuilder { return &queryBuilder{q: newQuery(), prefix: prefix} }

func (b *queryBuilder) fail(field, msg string) {
	if b.err == nil {
		b.err = httpx.BadParam(b.prefix+field, msg)
	}
}

// text checks one string value: non-empty, valid UTF-8, bounded.
func (b *queryBuilder) text(field, v string) (string, bool) {
	raw := v
	v = strings.TrimSpace(v)
	switch {
	case httpx.HasControl(raw): // before trimming, which would hide a newline
		b.fail(field, "must not contain control characters")
	case v == "":
		b.fail(field, "must not be empty")
	case !utf8.ValidString(v):
		b.fail(field, "must be valid UTF-8")
	case len(v) > maxValueLen:
		b.fail(field, "must be at most "+strconv.Itoa(maxValueLen)+" characters")
	default:
		return v, true
	}
	return "", false
}

func (b *queryBuilder) list(field string, vals []string) []string {
	if len(vals) > maxListItems {
		b.fail(field, "at most "+strconv.Itoa(maxListItems)+" values")
		return nil
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if s, ok := b.text(field, v); ok {
			out = append(out, s)
		}
	}
	return out
}

func (b *queryBuilder) gpus(field string, vals []string) {
	b.q.gpuField = b.prefix + field
	for _, v := range b.list(field, vals) {
		g, ok := shared.ParseGPUQuery(v)
		if !ok {
			b.fail(field, "does not name a GPU model")
			return
		}
		b.q.GPUs = append(b.q.GPUs, g)
	}
}

func (b *queryBuilder) regions(field string, vals []string) {
	b.q.regionField = b.prefix + field
	b.q.Regions = append(b.q.Regions, b.list(field, vals)...)
}

func (b *queryBuilder) providers(field string, vals []string) {
	for _, v := range b.list(field, vals) {
		p := strings.ToLower(v)
		if !shared.ValidName(p) {
			b.fail(field, "is not a provider name")
			return
		}
		b.q.Providers = append(b.q.Providers, p)
	}
}

func (b *queryBuilder) compliance(field string, vals []string) {
	b.q.complianceField = b.prefix + field
	for _, v := range b.list(field, vals) {
		b.q.ComplianceTags = append(b.q.ComplianceTags, strings.ToLower(v))
	}
}

// number validates a non-negative finite number.
func (b *queryBuilder) number(field string, v float64, dst *float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		b.fail(field, "must be a non-negative number")
		return
	}
	*dst = v
}

// numberText parses and validates a number given as text.
func (b *queryBuilder) numberText(field, s string, dst *float64) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		b.fail(field, "must be a number")
		return
	}
	b.number(field, v, dst)
}

// maxGPUs bounds the GPU count filters: no instance has more.
const maxGPUs = 1024

// count sets a GPU count filter: a whole number from least to maxGPUs.
// Offers selling a fraction of a GPU have their own filter
// (fractional_gpu), so 1.5 is a mistake, not a request for them.
func (b *queryBuilder) count(field string, n float64, least int, dst *float64) {
	if n != math.Trunc(n) || n < float64(least) || n > maxGPUs {
		b.fail(field, "must be a whole number from "+strconv.Itoa(least)+" to "+strconv.Itoa(maxGPUs))
		return
	}
	*dst = n
}

// countText is count for a value given as text.
func (b *queryBuilder) countText(field, s string, least int, dst *float64) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		b.fail(field, "must be a whole number from "+strconv.Itoa(least)+" to "+strconv.Itoa(maxGPUs))
		return
	}
	b.count(field, float64(n), least, dst)
}

// fractional selects offers of a fraction of a GPU (true) or of whole
// GPUs (false).
func (b *queryBuilder) fractional(v bool) {
	b.q.Fractional = fractionalWhole
	if v {
		b.q.Fractional = fractionalOnly
	}
}

func (b *queryBuilder) availability(field, s string, dst *shared.Availability) {
	a, ok := shared.ParseAvailability(s)
	if !ok {
		b.fail(field, "must be one of available, limited, unavailable")
		return
	}
	*dst = a
}

func (b *queryBuilder) sort(field, s string) {
	k, ok := parseSort(s)
	if !ok {
		b.fail(field, "must be one of "+strings.Join(sortValues, ", "))
		return
	}
	b.q.Sort = k
}

func (b *queryBuilder) perPage(field string, n int) {
	if n < 1 || n > maxPerPage {
		b.fail(field, "must be between 1 and "+strconv.Itoa(maxPerPage))
		return
	}
	b.q.PerPage = n
}

func (b *queryBuilder) page(field string, n int) {
	if n < 1 || n > 1_000_000 {
		b.fail(field, "must be a positive integer")
		return
	}
	b.q.Page = n
}

func (b *queryBuilder) cursor(field, s string) {
	c, err := decodeCursor(strings.TrimSpace(s))
	if err != nil {
		b.fail(field, err.Error())
		return
	}
	b.q.Cursor = c
}

// finish applies the checks that span fields and returns the query.
func (b *queryBuilder) finish() (Query, *httpx.Error) {
	q := &b.q
	switch {
	case q.MinPrice > q.MaxPrice:
		b.fail("min_price", "must not exceed max_price")
	case q.MinMemoryGB > q.MaxMemoryGB:
		b.fail("min_memory_gb", "must not exceed max_memory_gb")
	case q.MinGPUCount > q.MaxGPUCount:
		b.fail("min_gpu_count", "must not exceed max_gpu_count")
	case q.Cursor != nil && q.Page != 0:
		b.fail("page", "cannot be combined with cursor")
	case q.Cursor != nil && q.Cursor.Sort != q.Sort.name:
		b.fail("cursor", "was issued for sort="+q.Cursor.Sort+", not sort="+q.Sort.name)
	case q.Cursor != nil && q.Cursor.Fingerprint != q.fingerprint():
		b.fail("cursor", "was issued for different filters")
	}
	if b.err != nil {
		return Query{}, b.err
	}
	return b.q, nil
}
