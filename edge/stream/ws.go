package stream

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/feed"
)

// writeWait bounds one frame's write: a client that takes longer is gone.
const writeWait = 10 * time.Second

// wsConn is one WebSocket connection.
type wsConn struct {
	s        *Service
	c        *websocket.Conn
	st       *httpx.Stream
	id       httpx.Identity
	ids      shared.RequestIDs
	provider string
	limits   Limits
	sub      *feed.Subscriber
	token    string // the resume token this connection hands out

	wmu     sync.Mutex // one writer at a time: replies, updates, pings
	ctx     context.Context
	stop    context.CancelFunc // ends the writer, which drains first
	drained chan struct{}      // closed when the writer is done
	closing sync.Once

	// life guards the connection against use after runWS returned (fasthttp
	// reuses a hijacked connection's structure): pings and close frames
	// come from other goroutines.
	life     sync.Mutex
	finished bool
	pinger   *time.Timer
}

// serveWS upgrades the request; the connection is served after the
// handler returns, on the hijacked connection.
func (s *Service) serveWS(r *httpx.Request, st *httpx.Stream) {
	provider := r.Param("provider")
	var resume string
	var lastSeen *uint64
	for k, v := range r.QueryArgs().All() {
		switch string(k) {
		case "token":
		case "resume":
			resume = string(v)
		case "last_seq":
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				httpx.WriteError(r.RequestCtx, httpx.BadParam("last_seq", "must be a sequence number"))
				return
			}
			lastSeen = &n
		default:
			httpx.WriteError(r.RequestCtx, httpx.UnknownParam(string(k)))
			return
		}
	}
	// The request context is reused once the connection is hijacked:
	// copy what the connection needs.
	id, ids := r.Identity, r.IDs
	err := s.up.Upgrade(r.RequestCtx, func(c *websocket.Conn) {
		defer st.End()
		s.runWS(c, st, id, ids, provider, resume, lastSeen)
	})
	if err == nil {
		st.Open()
	}
}

func (s *Service) runWS(c *websocket.Conn, st *httpx.Stream, id httpx.Identity, ids shared.RequestIDs, provider, resume string, lastSeen *uint64) {
	w := &wsConn{s: s, c: c, st: st, id: id, ids: ids, provider: provider, limits: s.limits(id.Plan),
		token: feed.Token(), drained: make(chan struct{})}
	defer w.finish()
	w.ctx, w.stop = context.WithCancel(context.Background())
	defer w.stop()
	if !s.counts.acquire(id.Key, w.limits.Connections) {
		w.closeWith(websocket.ClosePolicyViolation, "connection limit of "+strconv.Itoa(w.limits.Connections)+" for plan "+id.Plan+" reached")
		return
	}
	defer s.counts.release(id.Key)
	if !s.track(w) {
		w.closeWith(websocket.CloseGoingAway, "server shutting down")
		return
	}
	defer s.untrack(w)

	hello := establishedFrame{Type: "connection_established", SessionID: feed.Token(), ResumeToken: w.token,
		Available: feed.Available, Provider: provider, Channels: []string{}, Limits: w.limits}
	var resumeErr error
	if resume != "" {
		sub, complete, err := s.cfg.Hub.Resume(resume, id.Key, provider, lastSeen)
		if err == nil {
			w.sub, hello.Resumed, hello.ReplayComplete = sub, true, &complete
		} else {
			resumeErr = err
		}
	}
	if w.sub == nil {
		w.sub = s.cfg.Hub.Subscribe(feed.Options{Owner: ownerOf(id), Provider: provider})
	}
	hello.Channels = append(hello.Channels, w.sub.Channels()...)
	hello.LastSeq = s.cfg.Hub.LastSeq()
	// Parked, not just closed: the client can resume within the hub's
	// ResumeFor with the token it was given.
	defer w.sub.Park(w.token)

	c.SetReadLimit(maxClientFrame)
	w.extendRead()
	c.SetPongHandler(func(string) error { w.extendRead(); return nil })
	if !w.write(frame(hello)) {
		return
	}
	if resumeErr != nil {
		w.write(frame(errorFrame{Type: "error", Code: codeResume, Message: "could not resume: the token is unknown, used or expired; subscribe again"}))
	}
	go w.writeLoop(w.ctx)
	w.life.Lock()
	w.pinger = time.AfterFunc(s.cfg.PingEvery, w.ping)
	w.life.Unlock()
	w.readLoop()
	w.stop()
	<-w.drained
}

// finish ends the connection; nothing touches it afterwards.
func (w *wsConn) finish() {
	w.life.Lock()
	defer w.life.Unlock()
	w.finished = true
	if w.pinger != nil {
		w.pinger.Stop()
	}
	_ = w.c.Close()
}

// cut closes the socket under the reader, which then ends the connection:
// for a writer that cannot write any more.
func (w *wsConn) cut() {
	w.life.Lock()
	defer w.life.Unlock()
	if !w.finished {
		_ = w.c.NetConn().Close()
	}
}

// ownerOf is the key alerts reach a caller by: the user behind the
// credential, else its rate-limit identity.
func ownerOf(id httpx.Identity) string {
	if id.UserID != "" {
		return feed.UserOwner(id.UserID)
	}
	return id.Key
}

// extendRead gives the client until the next ping and a pong's grace to
// send anything (a pong counts).
func (w *wsConn) extendRead() {
	_ = w.c.SetReadDeadline(time.Now().Add(w.s.cfg.PingEvery + writeWait))
}

func (w *wsConn) ping() {
	w.life.Lock()
	defer w.life.Unlock()
	if w.finished {
		return
	}
	if err := w.c.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
		return // the reader notices the dead connection
	}
	w.pinger.Reset(w.s.cfg.PingEvery)
}

// write sends one text frame; false when the connection is gone.
func (w *wsConn) write(b []byte) bool {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_ = w.c.SetWriteDeadline(time.Now().Add(writeWait))
	if err := w.c.WriteMessage(websocket.TextMessage, b); err != nil {
		return false
	}
	w.st.Sent(len(b))
	return true
}

// closeWith sends a close frame with code and reason, once.
func (w *wsConn) closeWith(code int, reason string) {
	w.life.Lock()
	defer w.life.Unlock()
	if w.finished {
		return
	}
	w.closing.Do(func() {
		msg := websocket.FormatCloseMessage(code, reason)
		_ = w.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
		// The reader ends once the client answers the close, or at its
		// read deadline; do not wait for a client that never answers.
		_ = w.c.SetReadDeadline(time.Now().Add(time.Second))
	})
}

// writeLoop writes the subscriber's updates until ctx ends, then writes
// what is still queued (a drain) and returns. A writer that cannot go on
// (the client is gone, or too slow) ends the connection.
func (w *wsConn) writeLoop(ctx context.Context) {
	defer close(w.drained)
	var buf []*feed.Update
	for {
		ups, dropped, err := w.sub.Next(ctx, buf[:0])
		if dropped > 0 && !w.write(frame(laggedFrame{Type: "lagged", Dropped: dropped})) {
			w.cut()
			return
		}
		for _, u := range ups {
			if !w.write(u.Frame) {
				w.cut()
				return
			}
		}
		buf = ups
		switch {
		case errors.Is(err, feed.ErrSlow):
			w.closeWith(websocket.ClosePolicyViolation, "too slow: the send queue stayed full")
			return
		case err != nil:
			return
		}
	}
}

// shutdown drains the connection: what is queued is written, then the
// client is told the server is going away.
func (w *wsConn) shutdown() {
	go func() {
		w.stop()
		select {
		case <-w.drained:
		case <-time.After(writeWait):
		}
		w.closeWith(websocket.CloseGoingAway, "server shutting down")
	}()
}

// readLoop answers client messages until the connection ends.
func (w *wsConn) readLoop() {
	for {
		typ, data, err := w.c.ReadMessage()
		if err != nil {
			return
		}
		w.extendRead()
		w.st.Received(len(data))
		if typ != websocket.TextMessage {
			w.write(frame(errorFrame{Type: "error", Code: codeInvalidMessage, Message: "send JSON text frames"}))
			continue
		}
		if !w.handle(data) {
			return
		}
	}
}

// handle answers one client message; false ends the connection.
func (w *wsConn) handle(data []byte) bool {
	m, err := parseClientMsg(data)
	if err != nil {
		return w.write(frame(errorFrame{Type: "error", Code: codeInvalidMessage, Message: err.Error()}))
	}
	switch m.Type {
	case "subscribe":
		c, err := feed.ParseChannel(m.Channel, w.s.knownProvider)
		if err != nil {
			return w.write(frame(errorFrame{Type: "error", ID: m.ID, Code: codeUnknownChannel, Field: "channel", Message: err.Error()}))
		}
		if w.sub.Count() >= w.limits.Subscriptions {
			w.closeWith(websocket.ClosePolicyViolation, "subscription limit of "+strconv.Itoa(w.limits.Subscriptions)+" for plan "+w.id.Plan+" reached")
			return false
		}
		w.sub.Add(c) // subscribing twice confirms twice
		return w.write(frame(subscribedFrame{Type: "subscribed", ID: m.ID, Channel: c.Name, GPUs: c.GPUs}))
	case "unsubscribe":
		name := m.Channel
		if c, err := feed.ParseChannel(m.Channel, w.s.knownProvider); err == nil {
			name = c.Name
		}
		if !w.sub.Remove(name) {
			return w.write(frame(errorFrame{Type: "error", ID: m.ID, Code: codeNotSubscribed, Field: "channel", Message: "not subscribed to " + m.Channel}))
		}
		return w.write(frame(subscribedFrame{Type: "unsubscribed", ID: m.ID, Channel: name}))
	case "ping":
		ts := m.Timestamp
		if len(ts) == 0 {
			ts = []byte("null")
		}
		return w.write(frame(pongFrame{Type: "pong", ID: m.ID, Timestamp: ts}))
	case "get_providers":
		var ps []ProviderInfo
		if w.s.cfg.Status != nil {
			ps = w.s.cfg.Status()
		}
		if w.provider != "" {
			for _, p := range ps {
				if p.Name == w.provider {
					ps = []ProviderInfo{p}
					break
				}
			}
		}
		return w.write(frame(providersFrame{Type: "providers_list", ID: m.ID, Providers: append([]ProviderInfo{}, ps...)}))
	case "get_offers":
		return w.getOffers(m)
	}
	return w.write(frame(errorFrame{Type: "error", ID: m.ID, Code: codeUnknownType, Field: "type",
		Message: "unknown message type " + strconv.Quote(m.Type) + "; send subscribe, unsubscribe, ping, get_providers or get_offers"}))
}

func (w *wsConn) getOffers(m clientMsg) bool {
	vals, err := filterValues(m.Filters)
	if err != nil {
		return w.write(frame(errorFrame{Type: "error", ID: m.ID, Code: httpx.CodeInvalidParameter, Field: "filters", Message: err.Error()}))
	}
	if w.provider != "" {
		vals["provider"] = []string{w.provider}
	}
	if w.s.cfg.Offers == nil {
		return w.write(frame(errorFrame{Type: "error", ID: m.ID, Code: httpx.CodeProviderUnavailable, Message: "offers are not served here"}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	body, herr := w.s.cfg.Offers(ctx, w.ids, vals)
	if herr != nil {
		return w.write(frame(errorFrame{Type: "error", ID: m.ID, Code: herr.Code, Field: herr.Field, Message: herr.Message}))
	}
	return w.write(frame(offersFrame{Type: "offers_list", ID: m.ID, Data: body}))
}
