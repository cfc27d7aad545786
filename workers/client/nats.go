package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/shared"
)

// NATS requests offers from worker replicas over NATS, choosing the
// replica by health weight from the workers' heartbeats.
type NATS struct {
	nc   *nats.Conn
	cell string
	bal  *balancer
	sub  *nats.Subscription
}

// maxPerReplica bounds this edge's concurrent requests to one replica;
// beyond it requests overflow to the queue group.
const maxPerReplica = 32

// NewNATS uses nc for requests to the workers of cell and listens to
// their heartbeats. Close stops listening.
func NewNATS(nc *nats.Conn, cell string) (*NATS, error) {
	s := &NATS{nc: nc, cell: cell, bal: newBalancer(cell, maxPerReplica, time.Now)}
	sub, err := nc.Subscribe(shared.HealthWildcard(cell), func(m *nats.Msg) {
		var st shared.WorkerStatus
		if json.Unmarshal(m.Data, &st) == nil {
			s.bal.observe(st)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("subscribing to worker heartbeats: %w", err)
	}
	s.sub = sub
	return s, nil
}

// Close stops listening to heartbeats.
func (s *NATS) Close() error { return s.sub.Unsubscribe() }

// Healthy reports whether the NATS connection is up.
func (s *NATS) Healthy() bool { return s.nc.IsConnected() }

// Replicas lists the provider's live worker replicas and their weights.
func (s *NATS) Replicas(provider string) []ReplicaStatus { return s.bal.snapshot(provider) }

// Fetch asks one replica of the provider (or its queue group) and
// reassembles the chunked reply. A replica that has vanished is retried
// through the queue group at once.
func (s *NATS) Fetch(ctx context.Context, provider string, ids shared.RequestIDs) (ProviderOffers, error) {
	subject, release, healthy := s.bal.pick(provider)
	if !healthy {
		return ProviderOffers{}, &FetchError{Provider: provider, Kind: shared.ErrKindCircuitOpen,
			Message: "every worker replica reports an open circuit breaker or is failing"}
	}
	po, err := s.request(ctx, subject, provider, ids)
	release(!replicaFault(err))
	var fe *FetchError
	if errors.As(err, &fe) && fe.Kind == KindNoWorkers && subject != shared.OffersSubject(s.cell, provider) {
		return s.request(ctx, shared.OffersSubject(s.cell, provider), provider, ids)
	}
	return po, err
}

// replicaFault reports whether an error points at the replica (or the
// path to it) rather than at the provider behind it.
func replicaFault(err error) bool {
	var fe *FetchError
	if !errors.As(err, &fe) {
		return err != nil
	}
	switch fe.Kind {
	case shared.ErrKindTimeout, KindNoWorkers, KindBadReply, shared.ErrKindOverloaded:
		return true
	}
	return false
}

func (s *NATS) request(ctx context.Context, subject, provider string, ids shared.RequestIDs) (ProviderOffers, error) {
	fail := func(kind, msg string) (ProviderOffers, error) {
		return ProviderOffers{}, &FetchError{Provider: provider, Kind: kind, Message: msg}
	}
	inbox := s.nc.NewInbox()
	sub, err := s.nc.SubscribeSync(inbox)
	if err != nil {
		return fail(shared.ErrKindInternal, "subscribing reply inbox: "+err.Error())
	}
	defer func() { _ = sub.Unsubscribe() }()

	req := nats.NewMsg(subject)
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
			return fail(KindNoWorkers, "no worker is serving this provider")
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
			return fail(KindBadReply, "malformed chunk headers")
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
			return fail(KindBadReply, "decoding offers: "+err.Error())
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
