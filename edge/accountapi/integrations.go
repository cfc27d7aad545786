package accountapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
)

// Integrations are users' own provider keys. They live in the provider-key
// store (Vault), not the account store, so they work without a database,
// and their handlers check the caller themselves: an enterprise plan and a
// credential that names who owns the keys.

// integrationOwner is the provider-key store's user for the caller: the
// account's user id, so the user's sign-ins, API keys and service tokens
// share one set of integrations (<mount>/<prefix>/users/<user id>/...)
// that outlives any one credential. Configured API keys have no user and
// own theirs as "api_key-<key id>". An id that is not a plain identifier is
// hashed, so two callers can never share one path. Anonymous callers own
// nothing.
func integrationOwner(r *httpx.Request) (string, *httpx.Error) {
	id := r.Identity
	if id.Kind == httpx.Anonymous || id.Subject == "" {
		return "", &httpx.Error{Status: fasthttp.StatusUnauthorized, Code: httpx.CodeUnauthorized,
			Message: "provider integrations need an API key or a bearer token"}
	}
	if id.Plan != "enterprise" {
		return "", &httpx.Error{Status: fasthttp.StatusForbidden, Code: httpx.CodeForbidden,
			Message: "provider integrations are an enterprise plan feature"}
	}
	kind, subject, owner := "user", id.UserID, id.UserID
	if owner == "" {
		kind, subject, owner = id.Kind.String(), id.Subject, id.Kind.String()+"-"+id.Subject
	}
	if !safeOwner.MatchString(owner) {
		sum := sha256.Sum256([]byte(kind + "\x00" + subject))
		owner = kind + "-h" + hex.EncodeToString(sum[:16])
	}
	return owner, nil
}

var safeOwner = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,128}$`)

// owner runs integrationOwner and the query check, answering itself when
// the request may not go on.
func (a *API) owner(r *httpx.Request) (string, bool) {
	owner, err := integrationOwner(r)
	if err == nil {
		err = httpx.CheckQuery(r)
	}
	if err != nil {
		httpx.WriteError(r.RequestCtx, err)
		return "", false
	}
	return owner, true
}

type integrationBody struct {
	Provider string `json:"provider"`
	APIKey   string `json:"api_key"`
}

// integrationAnswer is a stored integration with the result of trying it.
type integrationAnswer struct {
	credentials.Integration
	Verification shared.VerifyResult `json:"verification"`
}

func (a *API) putIntegration(r *httpx.Request) {
	owner, ok := a.owner(r)
	if !ok {
		return
	}
	var b integrationBody
	if !httpx.DecodeBody(r, &b) {
		return
	}
	b.Provider = strings.TrimSpace(b.Provider)
	switch {
	case !slices.Contains(a.cfg.Providers, b.Provider):
		httpx.WriteError(r.RequestCtx, httpx.BadParam("provider", "unknown provider; this cell serves "+strings.Join(a.cfg.Providers, ", ")))
		return
	case !validKey(b.APIKey):
		httpx.WriteError(r.RequestCtx, httpx.BadParam("api_key", "must be 8 to 4096 printable characters without spaces"))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in, err := a.cfg.Keys.PutUser(ctx, owner, b.Provider, shared.NewSecret(b.APIKey))
	if err != nil {
		a.keyStoreDown(r, err)
		return
	}
	httpx.WriteJSON(r.RequestCtx, fasthttp.StatusCreated, integrationAnswer{in, a.check(r, b.Provider, owner)})
}

// check tries a stored key within the request's time budget. A check that
// cannot finish is "unverified", never an error: the key is stored either
// way.
func (a *API) check(r *httpx.Request, provider, owner string) shared.VerifyResult {
	if a.cfg.Checker == nil {
		return shared.VerifyResult{Status: shared.VerifyUnverified, Message: "no provider workers to check the key with", CheckedAt: time.Now().UTC()}
	}
	ctx, cancel := r.Context()
	defer cancel()
	res, err := a.cfg.Checker.Check(ctx, provider, owner)
	if err != nil {
		a.log.Warn("provider key check failed", "provider", provider, "err", err, "request_id", r.IDs.RequestID)
		return shared.VerifyResult{Status: shared.VerifyUnverified, Message: "the provider's workers did not answer in time; retry the check later", CheckedAt: time.Now().UTC()}
	}
	return res
}

// verifyIntegration tries a stored integration again.
func (a *API) verifyIntegration(r *httpx.Request) {
	owner, ok := a.owner(r)
	if !ok {
		return
	}
	provider := r.Param("provider")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	list, err := a.cfg.Keys.ListUser(ctx, owner)
	if err != nil {
		a.keyStoreDown(r, err)
		return
	}
	for _, in := range list {
		if in.Provider == provider {
			httpx.WriteJSON(r.RequestCtx, fasthttp.StatusOK, integrationAnswer{in, a.check(r, provider, owner)})
			return
		}
	}
	httpx.WriteError(r.RequestCtx, httpx.NotFound("no integration for "+provider))
}

func (a *API) listIntegrations(r *httpx.Request) {
	owner, ok := a.owner(r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := a.cfg.Keys.ListUser(ctx, owner)
	if err != nil {
		a.keyStoreDown(r, err)
		return
	}
	httpx.WriteJSON(r.RequestCtx, fasthttp.StatusOK, struct {
		Integrations []credentials.Integration `json:"integrations"`
	}{list})
}

func (a *API) deleteIntegration(r *httpx.Request) {
	owner, ok := a.owner(r)
	if !ok {
		return
	}
	provider := r.Param("provider")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := a.cfg.Keys.DeleteUser(ctx, owner, provider)
	switch {
	case errors.Is(err, credentials.ErrNotFound):
		httpx.WriteError(r.RequestCtx, httpx.NotFound("no integration for "+provider))
	case err != nil:
		a.keyStoreDown(r, err)
	default:
		r.SetStatusCode(fasthttp.StatusNoContent)
	}
}

// keyStoreDown answers 503 without echoing the store's error, which names
// paths; the details go to the log.
func (a *API) keyStoreDown(r *httpx.Request, err error) {
	a.log.Warn("provider key store error", "err", err, "request_id", r.IDs.RequestID)
	httpx.StoreUnavailable(r.RequestCtx, "the provider key store is unavailable; retry later")
}

func validKey(k string) bool {
	if len(k) < 8 || len(k) > 4096 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}
