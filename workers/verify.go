package workers

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/shared"
)

// maxVerifying bounds credential checks running at once on one replica;
// beyond it a check answers "unverified" at once rather than queueing.
const maxVerifying = 8

// onVerify tries a user's stored credential with one upstream call. It runs
// outside the breaker and the offer queue: it is the user's key, not the
// gateway's, and its outcome says nothing about the provider's health.
func (w *Worker) onVerify(msg *nats.Msg) {
	if msg.Reply == "" {
		return
	}
	select {
	case w.verifying <- struct{}{}:
	default:
		w.replyVerify(msg, shared.VerifyResult{Status: shared.VerifyUnverified, Message: "too many checks in progress; retry later"})
		return
	}
	w.handlers.Add(1)
	go func() {
		defer func() { <-w.verifying; w.handlers.Done() }()
		var req shared.VerifyRequest
		if err := json.Unmarshal(msg.Data, &req); err != nil || req.Owner == "" {
			w.replyVerify(msg, shared.VerifyResult{Status: shared.VerifyUnverified, Message: "malformed verification request"})
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.FetchTimeout)
		defer cancel()
		w.replyVerify(msg, verdict(w.cfg.Verify(ctx, req.Owner)))
	}()
}

// verdict maps a check's error to its result, with the adapter's public
// reason (no upstream URL or body) for the key's owner.
func verdict(err error) shared.VerifyResult {
	r := shared.VerifyResult{Status: shared.VerifyUnverified}
	switch {
	case err == nil:
		r.Status, r.Message = shared.VerifyVerified, "the provider accepted the key"
	case errors.Is(err, credentials.ErrNotFound):
		r.Message = "the provider's workers cannot see this key (a provider-key store shared with them, such as Vault, is needed)"
	case adapters.KindOf(err) == shared.ErrKindAuth:
		r.Status, r.Message = shared.VerifyRejected, "the provider refused the key: "+adapters.Reason(err)
	case errors.Is(err, credentials.ErrUnavailable):
		r.Message = "the provider key store is unavailable; retry later"
	default:
		r.Message = "the provider could not be reached to check the key: " + adapters.Reason(err)
	}
	return r
}

func (w *Worker) replyVerify(msg *nats.Msg, r shared.VerifyResult) {
	r.CheckedAt = time.Now().UTC()
	w.m.verifications(r.Status).Inc()
	b, _ := json.Marshal(r) // a VerifyResult always encodes
	if err := msg.Respond(b); err != nil {
		w.log.Warn("replying to a credential check", "err", err)
	}
}
