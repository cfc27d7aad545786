package decide

import (
	"sort"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/decide"
	"github.com/gpubroker/gpubroker/edge/httpx"
)

// Scope is what a service token needs (accounts.ScopeOffersRead).
const Scope = "offers:read"

// Service serves the decision route.
type Service struct{}

// New makes the feature.
func New() *Service { return &Service{} }

// Routes is the decision endpoint.
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{{Method: "POST", Path: "/api/v2/providers/decide", Name: "decide", Scope: Scope, Handler: s.handle}}
}

type criterionBody struct {
	Weight    *float64 `json:"weight"`
	Direction string   `json:"direction"`
}

type alternativeBody struct {
	ID     string             `json:"id"`
	Values map[string]float64 `json:"values"`
}

type requestBody struct {
	Method       string                   `json:"method"`
	Criteria     map[string]criterionBody `json:"criteria"`
	Alternatives []alternativeBody        `json:"alternatives"`
	Candidates   []string                 `json:"candidates"`
}

type response struct {
	Method    string          `json:"method"`
	Results   []decide.Result `json:"results"`
	Dominated []decide.Result `json:"dominated,omitempty"`
}

func (s *Service) handle(rc *httpx.Request) {
	if rc.Identity.Kind == httpx.Anonymous {
		rc.Response.Header.Set("WWW-Authenticate", `Bearer realm="gpubroker"`)
		httpx.WriteError(rc.RequestCtx, &httpx.Error{Status: fasthttp.StatusUnauthorized, Code: httpx.CodeUnauthorized,
			Message: "decisions need a credential (API key or token)"})
		return
	}
	if err := httpx.CheckQuery(rc); err != nil {
		httpx.WriteError(rc.RequestCtx, err)
		return
	}
	var b requestBody
	if !httpx.DecodeBody(rc, &b) {
		return
	}
	criteria, alts, herr := parse(b)
	if herr != nil {
		httpx.WriteError(rc.RequestCtx, herr)
		return
	}
	out := response{Method: b.Method}
	var err error
	switch b.Method {
	case "topsis":
		out.Results, err = decide.TOPSIS(criteria, alts)
	case "weighted_sum":
		out.Results, err = decide.WeightedSum(criteria, alts)
	case "pareto":
		out.Results, out.Dominated, err = decide.Pareto(criteria, alts)
	}
	if err != nil {
		httpx.WriteError(rc.RequestCtx, badBody("", strings.TrimPrefix(err.Error(), decide.ErrInput.Error()+": ")))
		return
	}
	if out.Results == nil {
		out.Results = []decide.Result{}
	}
	httpx.WriteJSON(rc.RequestCtx, fasthttp.StatusOK, out)
}

func badBody(field, msg string) *httpx.Error {
	if field != "" {
		return httpx.BadParam(field, msg)
	}
	return &httpx.Error{Status: fasthttp.StatusBadRequest, Code: httpx.CodeInvalidBody, Message: msg}
}

// parse turns the body into the decide package's problem, naming the
// field at fault.
func parse(b requestBody) ([]decide.Criterion, []decide.Alternative, *httpx.Error) {
	switch b.Method {
	case "topsis", "weighted_sum", "pareto":
	case "":
		return nil, nil, badBody("method", "method is required: topsis, weighted_sum or pareto")
	default:
		return nil, nil, badBody("method", "method must be topsis, weighted_sum or pareto")
	}
	if len(b.Candidates) > 0 {
		return nil, nil, badBody("candidates", "candidates (offer ids) are not accepted yet; give alternatives with their values")
	}
	if len(b.Criteria) == 0 || len(b.Criteria) > decide.MaxCriteria {
		return nil, nil, badBody("criteria", "criteria must name 1 to 32 criteria")
	}
	names := make([]string, 0, len(b.Criteria))
	for name := range b.Criteria {
		names = append(names, name)
	}
	sort.Strings(names) // a stable order, whatever the body's
	criteria := make([]decide.Criterion, 0, len(names))
	for _, name := range names {
		c := b.Criteria[name]
		if name == "" || len(name) > 64 || httpx.HasControl(name) {
			return nil, nil, badBody("criteria", "criterion names must be 1 to 64 printable characters")
		}
		d := decide.Direction(c.Direction)
		if d != decide.Maximize && d != decide.Minimize {
			return nil, nil, badBody("criteria."+name+".direction", "direction must be maximize or minimize")
		}
		w := 1.0
		if c.Weight != nil {
			w = *c.Weight
		}
		if w < 0 {
			return nil, nil, badBody("criteria."+name+".weight", "weight must be ≥ 0")
		}
		criteria = append(criteria, decide.Criterion{Name: name, Weight: w, Direction: d})
	}
	if len(b.Alternatives) == 0 || len(b.Alternatives) > decide.MaxAlternatives {
		return nil, nil, badBody("alternatives", "alternatives must hold 1 to 1000 alternatives")
	}
	alts := make([]decide.Alternative, len(b.Alternatives))
	for i, a := range b.Alternatives {
		if a.ID == "" || len(a.ID) > 256 || httpx.HasControl(a.ID) {
			return nil, nil, badBody("alternatives", "every alternative needs an id of 1 to 256 printable characters")
		}
		alts[i] = decide.Alternative{ID: a.ID, Values: a.Values}
	}
	return criteria, alts, nil
}
