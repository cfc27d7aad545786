package edge

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/shared"
)

// NATSSource requests offers from worker queue groups over NATS.
type NATSSource struct {
	nc   *nats.Conn
	cell string
}

// NewNATSSource uses nc for requests to the workers of cell.
func NewNATSSource(nc *nats.Conn, cell string) *NATSSource { return &NATSSource{nc: nc, cell: cell} }

// Healthy reports whether the NATS connection is up.
func (s *NATSSource) Healthy() bool { return s.nc.IsConnected() }

// Fetch sends one request to the provider's queue group and reassembles the
// chunked reply. A private inbox subscription (rather than nc.Request) is
// used because a large reply arrives as several messages.
func (s *NATSSource) Fetch(ctx context.Context, provider string, ids RequestIDs) (ProviderOffers, error) {
	fail := func(kind, msg string) (ProviderOffers, error) {
		return ProviderOffers{}, &FetchError{Provider: provider, Kind: kind, Message: msg}
	}
	inbox := s.nc.NewInbox()
	sub, err := s.nc.SubscribeSync(inbox)
	if err != nil {
		return fail(shared.ErrKindInternal, "subscribing reply inbox: "+err.Error())
	}
	defer func() { _ = sub.Unsubscribe() }()

	req := nats.NewMsg(shared.OffersSubject(s.cell, provider))
	req.Reply = inbox
	req.Header.Set(shared.HeaderRequestID, ids.RequestID)
	req.Header.Set(shared.HeaderTraceID, ids.TraceID)
	if dl, ok := ctx.Deadline(); ok {
		req.Header.Set(shared.HeaderDeadline, strconv.FormatInt(dl.UnixMilli(), 10))
	}
	if err := s.nc.PublishMsg(req); err != nil {
		return fail(shared.ErrKindInternal, "publishing request: "+err.Error())
	}

	var (
		chunks [][]shared.Offer
		got    int
		out    ProviderOffers
	)
	for chunks == nil || got < len(chunks) {
		m, err := sub.NextMsgWithContext(ctx)
		switch {
		case errors.Is(err, nats.ErrNoResponders):
			return fail(errKindNoWorkers, "no worker is serving this provider")
		case ctx.Err() != nil:
			return fail(shared.ErrKindTimeout, "no complete reply before the deadline")
		case err != nil:
			return fail(shared.ErrKindInternal, "receiving reply: "+err.Error())
		}
		if e := m.Header.Get(shared.HeaderError); e != "" {
			kind := m.Header.Get(shared.HeaderErrorKind)
			if kind == "" {
				kind = shared.ErrKindUpstream
			}
			return fail(kind, e)
		}
		idx, err1 := strconv.Atoi(m.Header.Get(shared.HeaderChunk))
		n, err2 := strconv.Atoi(m.Header.Get(shared.HeaderChunks))
		if err1 != nil || err2 != nil || n < 1 || n > 10_000 || idx < 0 || idx >= n || (chunks != nil && len(chunks) != n) {
			return fail(errKindBadReply, "malformed chunk headers")
		}
		if chunks == nil {
			chunks = make([][]shared.Offer, n)
			if ms, err := strconv.ParseInt(m.Header.Get(shared.HeaderFetchedAt), 10, 64); err == nil {
				out.FetchedAt = time.UnixMilli(ms).UTC()
			}
			if ms, err := strconv.ParseInt(m.Header.Get(shared.HeaderUpstream), 10, 64); err == nil {
				out.Upstream = time.Duration(ms) * time.Millisecond
			}
		}
		if chunks[idx] != nil {
			continue
		}
		var part []shared.Offer
		if err := json.Unmarshal(m.Data, &part); err != nil {
			return fail(errKindBadReply, "decoding offers: "+err.Error())
		}
		if part == nil {
			part = []shared.Offer{}
		}
		chunks[idx] = part
		got++
	}
	for _, c := range chunks {
		out.Offers = append(out.Offers, c...)
	}
	return out, nil
}
