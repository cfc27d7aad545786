package httpx

import (
	"context"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/shared"
)

// Request carries one request through a handler. The core fills it before
// the handler runs: ids, the authenticated caller, its client address, when
// the request arrived and how long it may take in all.
type Request struct {
	*fasthttp.RequestCtx
	IDs      shared.RequestIDs
	Identity Identity
	ClientIP string
	Start    time.Time
	Timeout  time.Duration
	params   []param
}

type param struct{ name, value string }

// Context is bounded by the request's end-to-end timeout, counted from its
// arrival, so time spent before the handler ran is not given again.
func (r *Request) Context() (context.Context, context.CancelFunc) {
	return context.WithDeadline(context.Background(), r.Start.Add(r.Timeout))
}

// Param is the value of a {name} segment of the route's path ("" if none).
func (r *Request) Param(name string) string {
	for _, p := range r.params {
		if p.name == name {
			return p.value
		}
	}
	return ""
}

// SetParam records a path parameter; the core's router calls it.
func (r *Request) SetParam(name, value string) { r.params = append(r.params, param{name, value}) }
