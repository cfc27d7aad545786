package workers

import (
	"encoding/json"
	"strconv"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/shared"
)

// reply sends the offers as one or more JSON-array chunks of at most
// shared.OffersPerChunk offers each.
func (w *Worker) reply(req *nats.Msg, f *flight) error {
	n := (len(f.offers) + shared.OffersPerChunk - 1) / shared.OffersPerChunk
	if n == 0 {
		n = 1
	}
	for i := 0; i < n; i++ {
		lo, hi := i*shared.OffersPerChunk, min((i+1)*shared.OffersPerChunk, len(f.offers))
		body, err := json.Marshal(f.offers[lo:hi])
		if err != nil {
			return err
		}
		m := nats.NewMsg(req.Reply)
		m.Header.Set(shared.HeaderChunk, strconv.Itoa(i))
		m.Header.Set(shared.HeaderChunks, strconv.Itoa(n))
		m.Header.Set(shared.HeaderFetchedAt, strconv.FormatInt(f.fetchedAt.UnixMilli(), 10))
		m.Header.Set(shared.HeaderUpstream, strconv.FormatInt(f.took.Milliseconds(), 10))
		m.Header.Set(shared.HeaderReplica, w.cfg.Replica)
		m.Data = body
		if err := w.cfg.Conn.PublishMsg(m); err != nil {
			return err
		}
	}
	return nil
}

// replyError tells the requester why there are no offers: the kind and the
// adapter's public reason, which names no upstream URL and quotes no
// upstream body (those reach this worker's log, where the fetch failed).
func (w *Worker) replyError(req *nats.Msg, err error) {
	m := nats.NewMsg(req.Reply)
	m.Header.Set(shared.HeaderError, adapters.Reason(err))
	m.Header.Set(shared.HeaderErrorKind, adapters.KindOf(err))
	m.Header.Set(shared.HeaderReplica, w.cfg.Replica)
	if perr := w.cfg.Conn.PublishMsg(m); perr != nil {
		w.log.Warn("replying with error", "err", perr)
	}
}
