package edge

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/shared"
)

// listResponse is the body of every offer search.
type listResponse struct {
	Items      []*shared.Offer `json:"items"`
	Total      int             `json:"total"`
	PerPage    int             `json:"per_page"`
	Sort       string          `json:"sort"`
	NextCursor *string         `json:"next_cursor"`
}

type searchResponse struct {
	listResponse
	Warnings    []Warning        `json:"warnings"`
	Sources     []providerResult `json:"sources"`
	GeneratedAt time.Time        `json:"generated_at"`
}

type bulkResponse struct {
	Results     []listResponse   `json:"results"`
	Warnings    []Warning        `json:"warnings"`
	Sources     []providerResult `json:"sources"`
	GeneratedAt time.Time        `json:"generated_at"`
}

func (s *Server) handleList(rc *requestCtx) {
	q, err := parseListParams(rc.QueryArgs())
	if err != nil {
		writeError(rc.RequestCtx, err)
		return
	}
	s.answerSearch(rc, []Query{q}, false)
}

func (s *Server) handleQuery(rc *requestCtx) {
	q, err := parseQueryBody(rc.PostBody())
	if err != nil {
		writeError(rc.RequestCtx, err)
		return
	}
	s.answerSearch(rc, []Query{q}, false)
}

func (s *Server) handleBulk(rc *requestCtx) {
	qs, err := parseBulkBody(rc.PostBody())
	if err != nil {
		writeError(rc.RequestCtx, err)
		return
	}
	s.answerSearch(rc, qs, true)
}

// answerSearch fans out once to the providers the queries need and answers
// every query from that one merged view.
func (s *Server) answerSearch(rc *requestCtx, qs []Query, bulk bool) {
	providers, perr := s.providersFor(qs)
	if perr != nil {
		writeError(rc.RequestCtx, perr)
		return
	}
	ctx, cancel := s.deadline(rc)
	defer cancel()
	v := s.gather(ctx, providers, rc.ids)
	results := make([]listResponse, len(qs))
	for i := range qs {
		page, total, next := v.search(&qs[i])
		r := listResponse{Items: page, Total: total, PerPage: qs[i].PerPage, Sort: qs[i].Sort.name}
		if next != nil {
			c := next.encode()
			r.NextCursor = &c
		}
		results[i] = r
	}
	warnings := v.warnings
	if warnings == nil {
		warnings = []Warning{}
	}
	now := time.Now().UTC()
	if bulk {
		writeJSON(rc.RequestCtx, fasthttp.StatusOK, bulkResponse{Results: results, Warnings: warnings, Sources: v.results, GeneratedAt: now})
		return
	}
	writeJSON(rc.RequestCtx, fasthttp.StatusOK, searchResponse{listResponse: results[0], Warnings: warnings, Sources: v.results, GeneratedAt: now})
}

// providersFor is the set of providers the queries can match: all of them,
// unless every query names providers. Naming a provider the cell does not
// serve is a client error.
func (s *Server) providersFor(qs []Query) ([]string, *apiError) {
	want := map[string]bool{}
	for i, q := range qs {
		if len(q.Providers) == 0 {
			return s.cfg.Providers, nil
		}
		for _, p := range q.Providers {
			if !slices.Contains(s.cfg.Providers, p) {
				field := "provider"
				if len(qs) > 1 {
					field = "queries[" + strconv.Itoa(i) + "].provider"
				}
				return nil, badParam(field, "unknown provider "+p+"; this cell serves "+strings.Join(s.cfg.Providers, ", "))
			}
			want[p] = true
		}
	}
	out := make([]string, 0, len(want))
	for _, p := range s.cfg.Providers {
		if want[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *Server) handleOffer(rc *requestCtx) {
	id := strings.TrimPrefix(string(rc.Path()), pathOfferID)
	provider, ok := shared.ProviderOfOfferID(id)
	if !ok || !slices.Contains(s.cfg.Providers, provider) {
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusNotFound, Code: codeNotFound, Message: "no offer with id " + id})
		return
	}
	ctx, cancel := s.deadline(rc)
	defer cancel()
	v := s.gather(ctx, []string{provider}, rc.ids)
	if o, ok := v.byID[id]; ok {
		writeJSON(rc.RequestCtx, fasthttp.StatusOK, o)
		return
	}
	if len(v.warnings) > 0 {
		w := v.warnings[0]
		status := fasthttp.StatusServiceUnavailable
		code := codeProviderUnavailable
		if w.Code == shared.ErrKindTimeout {
			status, code = fasthttp.StatusGatewayTimeout, codeTimeout
		}
		rc.Response.Header.Set("Retry-After", "5")
		writeError(rc.RequestCtx, &apiError{Status: status, Code: code, Message: provider + " is unavailable: " + w.Message})
		return
	}
	writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusNotFound, Code: codeNotFound, Message: "no offer with id " + id})
}

type healthResponse struct {
	Status        string           `json:"status"` // ok | degraded | unavailable
	Cell          string           `json:"cell"`
	Time          time.Time        `json:"time"`
	NATSConnected bool             `json:"nats_connected"`
	Providers     []providerHealth `json:"providers"`
}

func (s *Server) handleHealth(rc *requestCtx) {
	h := healthResponse{Status: "ok", Cell: s.cfg.Cell, Time: time.Now().UTC(),
		NATSConnected: s.cfg.Source.Healthy(), Providers: s.health.snapshot(s.cfg.Providers)}
	for _, p := range h.Providers {
		if p.Status == "unhealthy" {
			h.Status = "degraded"
		}
	}
	status := fasthttp.StatusOK
	if !h.NATSConnected {
		h.Status, status = "unavailable", fasthttp.StatusServiceUnavailable
	}
	writeJSON(rc.RequestCtx, status, h)
}

func (s *Server) handleMetrics(rc *requestCtx) {
	var b bytes.Buffer
	s.cfg.Metrics.WritePrometheus(&b)
	metrics.WriteProcessMetrics(&b)
	rc.Response.Header.SetContentType("text/plain; version=0.0.4; charset=utf-8")
	rc.SetBody(b.Bytes())
}

func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(ctx, &apiError{Status: fasthttp.StatusInternalServerError, Code: codeInternal, Message: "encoding response"})
		return
	}
	ctx.Response.Header.SetContentType("application/json")
	ctx.SetStatusCode(status)
	ctx.SetBody(b)
}
