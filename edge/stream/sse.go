package stream

import (
	"bufio"
	"context"
	"errors"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/feed"
)

// sseFilter is an SSE stream's query: every given filter must match (as
// the list endpoint's do). Health updates are filtered by provider only.
type sseFilter struct {
	providers []string
	gpuKeys   []string // "gpu:<id>"
	regions   []string // "region:<key>"
	min, max  float64
}

func (f *sseFilter) match(u *feed.Update) bool {
	if len(f.providers) > 0 && !slices.Contains(f.providers, u.Provider) {
		return false
	}
	if u.Kind == feed.KindHealth {
		return true
	}
	if len(f.gpuKeys) > 0 && !slices.ContainsFunc(f.gpuKeys, func(k string) bool { return slices.Contains(u.Keys, k) }) {
		return false
	}
	if len(f.regions) > 0 && !slices.ContainsFunc(f.regions, func(k string) bool { return slices.Contains(u.Keys, k) }) {
		return false
	}
	if u.Price != nil && (*u.Price < f.min || *u.Price > f.max) {
		return false
	}
	return true
}

// parseSSEQuery reads the stream's filters; unknown parameters are refused
// so a typo cannot widen the stream.
func (s *Service) parseSSEQuery(args *fasthttp.Args) (*sseFilter, uint64, *httpx.Error) {
	f := &sseFilter{max: math.Inf(1)}
	var after uint64
	for k, v := range args.All() {
		key, val := string(k), string(v)
		if httpx.HasControl(val) {
			return nil, 0, httpx.BadParam(key, "must not contain control characters")
		}
		items := strings.Split(val, ",")
		switch key {
		case "token":
		case "provider":
			for _, p := range items {
				p = strings.ToLower(strings.TrimSpace(p))
				if !s.knownProvider(p) {
					return nil, 0, httpx.BadParam(key, "unknown provider "+p+"; this cell serves "+strings.Join(s.cfg.Providers, ", "))
				}
				f.providers = append(f.providers, p)
			}
		case "gpu":
			for _, g := range items {
				q, ok := shared.ParseGPUQuery(g)
				if !ok || len(q.IDs()) == 0 {
					return nil, 0, httpx.BadParam(key, strconv.Quote(g)+" names no known GPU model")
				}
				for _, id := range q.IDs() {
					f.gpuKeys = append(f.gpuKeys, "gpu:"+id)
				}
			}
		case "region":
			for _, r := range items {
				k, ok := shared.RegionKey(strings.TrimSpace(r))
				if !ok {
					return nil, 0, httpx.BadParam(key, strconv.Quote(r)+" is not a known region, country or continent")
				}
				f.regions = append(f.regions, "region:"+k)
			}
		case "min_price", "max_price":
			n, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if err != nil || n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
				return nil, 0, httpx.BadParam(key, "must be a non-negative number")
			}
			if key == "min_price" {
				f.min = n
			} else {
				f.max = n
			}
		case "last_event_id": // for clients that cannot set Last-Event-ID
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return nil, 0, httpx.BadParam(key, "must be an event id from this stream")
			}
			after = n
		default:
			return nil, 0, httpx.UnknownParam(key)
		}
	}
	if f.min > f.max {
		return nil, 0, httpx.BadParam("min_price", "must not exceed max_price")
	}
	return f, after, nil
}

// serveSSE streams updates as text/event-stream on the hijacked
// connection (the response is written here, so a stream is not cut by the
// server's write timeout).
func (s *Service) serveSSE(r *httpx.Request, st *httpx.Stream) {
	if r.Identity.Kind == httpx.Anonymous {
		r.Response.Header.Set("WWW-Authenticate", `Bearer realm="gpubroker"`)
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusUnauthorized, Code: httpx.CodeUnauthorized,
			Message: "the stream needs a credential: an API key, a bearer token, or ?token="})
		return
	}
	f, after, herr := s.parseSSEQuery(r.QueryArgs())
	if herr != nil {
		httpx.WriteError(r.RequestCtx, herr)
		return
	}
	if h := r.Request.Header.Peek("Last-Event-ID"); len(h) > 0 {
		n, err := strconv.ParseUint(strings.TrimSpace(string(h)), 10, 64)
		if err != nil {
			httpx.WriteError(r.RequestCtx, httpx.BadParam("Last-Event-ID", "must be an event id from this stream"))
			return
		}
		after = n
	}
	id := r.Identity
	limits := s.limits(id.Plan)
	if !s.counts.acquire(id.Key, limits.Connections) {
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusTooManyRequests, Code: httpx.CodeRateLimited,
			Message: "stream limit of " + strconv.Itoa(limits.Connections) + " open streams for plan " + id.Plan + " reached"})
		return
	}
	reqID := r.IDs.RequestID
	r.HijackSetNoResponse(true)
	r.Hijack(func(c net.Conn) {
		defer st.End()
		defer s.counts.release(id.Key)
		sc := &sseConn{s: s, c: c, st: st, done: make(chan struct{})}
		sc.ctx, sc.stop = context.WithCancel(context.Background())
		defer sc.stop()
		if !s.track(sc) {
			return
		}
		defer s.untrack(sc)
		opts := feed.Options{Owner: ownerOf(id), Filter: f.match}
		var sub *feed.Subscriber
		complete := true
		if after > 0 {
			sub, complete = s.cfg.Hub.SubscribeFrom(opts, nil, after)
		} else {
			sub = s.cfg.Hub.Subscribe(opts)
		}
		defer sub.Close()
		sc.run(sub, reqID, after, complete)
	})
	st.Open()
}

// sseConn is one SSE stream.
type sseConn struct {
	s    *Service
	c    net.Conn
	st   *httpx.Stream
	ctx  context.Context
	stop context.CancelFunc
	done chan struct{}
}

func (sc *sseConn) shutdown() { sc.stop() }

func (sc *sseConn) run(sub *feed.Subscriber, reqID string, after uint64, complete bool) {
	w := bufio.NewWriterSize(sc.c, 4096)
	_, _ = w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n" +
		"Connection: close\r\nX-Accel-Buffering: no\r\nX-Request-Id: " + reqID + "\r\n\r\n")
	_, _ = w.WriteString("retry: 2000\n\n")
	if !complete {
		sc.event(w, 0, "replay_incomplete", []byte(`{"type":"replay_incomplete","after":`+strconv.FormatUint(after, 10)+
			`,"message":"some events after this id are no longer retained; refetch the list to resync"}`))
	}
	if !sc.flush(w) {
		return
	}
	// The client sends nothing; a read returns when it goes away.
	go func() {
		var b [64]byte
		for {
			if _, err := sc.c.Read(b[:]); err != nil {
				sc.stop()
				return
			}
		}
	}()
	var buf []*feed.Update
	for {
		hctx, cancel := context.WithTimeout(sc.ctx, sc.s.cfg.Heartbeat)
		ups, dropped, err := sub.Next(hctx, buf[:0])
		cancel()
		if dropped > 0 {
			sc.event(w, 0, "lagged", []byte(`{"type":"lagged","dropped":`+strconv.Itoa(dropped)+`}`))
		}
		for _, u := range ups {
			sc.event(w, u.Seq, u.Kind, u.Frame)
		}
		buf = ups
		switch {
		case err == nil:
		case errors.Is(err, context.DeadlineExceeded) && sc.ctx.Err() == nil:
			_, _ = w.WriteString(": heartbeat\n\n")
		default: // closed, too slow, or draining (what was queued is written)
			sc.flush(w)
			return
		}
		if !sc.flush(w) {
			return
		}
	}
}

// event writes one SSE event; data is one line of JSON.
func (sc *sseConn) event(w *bufio.Writer, id uint64, name string, data []byte) {
	b := make([]byte, 0, len(data)+len(name)+40)
	if id > 0 {
		b = strconv.AppendUint(append(b, "id: "...), id, 10)
		b = append(b, '\n')
	}
	b = append(append(append(b, "event: "...), name...), "\ndata: "...)
	b = append(append(b, data...), "\n\n"...)
	_, _ = w.Write(b)
	sc.st.Sent(len(b))
}

func (sc *sseConn) flush(w *bufio.Writer) bool {
	_ = sc.c.SetWriteDeadline(time.Now().Add(writeWait))
	return w.Flush() == nil
}
