package client

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gpubroker/gpubroker/shared"
)

// Check asks one of a provider's workers to try the credential owner
// stored for it. Only the owner's id travels: the worker reads the key
// from the provider-key store itself.
func (n *NATS) Check(ctx context.Context, provider, owner string) (shared.VerifyResult, error) {
	req, err := json.Marshal(shared.VerifyRequest{Owner: owner})
	if err != nil {
		return shared.VerifyResult{}, fmt.Errorf("encoding credential check: %w", err)
	}
	msg, err := n.nc.RequestWithContext(ctx, shared.VerifySubject(n.cell, provider), req)
	if err != nil {
		return shared.VerifyResult{}, fmt.Errorf("credential check for %s: %w", provider, err)
	}
	var r shared.VerifyResult
	if err := json.Unmarshal(msg.Data, &r); err != nil {
		return shared.VerifyResult{}, fmt.Errorf("credential check for %s: bad reply: %w", provider, err)
	}
	return r, nil
}
