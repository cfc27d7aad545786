package edge

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

	"github.com/gpubroker/gpubroker/adapters/credentials"
	"github.com/gpubroker/gpubroker/shared"
)

const pathIntegrations = "/api/v2/providers/config/integrations"

// integrationOwner is the credential store's user for the caller: the
// account's user id, so the user's sign-ins, API keys and service tokens
// share one set of integrations (<mount>/<prefix>/users/<user id>/...)
// that outlives any one credential. Configured API keys have no user and
// own theirs as "api_key-<key id>". An id that is not a plain identifier is
// hashed, so two callers can never share one path. Anonymous callers own
// nothing.
func integrationOwner(rc *requestCtx) (string, *apiError) {
	id := rc.identity
	if id.Kind == "anonymous" || id.Subject == "" {
		return "", &apiError{Status: fasthttp.StatusUnauthorized, Code: codeUnauthorized,
			Message: "provider integrations need an API key or a bearer token"}
	}
	if id.Plan != "enterprise" {
		return "", &apiError{Status: fasthttp.StatusForbidden, Code: codeForbidden,
			Message: "provider integrations are an enterprise plan feature"}
	}
	kind, subject, owner := "user", id.UserID, id.UserID
	if owner == "" {
		kind, subject, owner = id.Kind, id.Subject, id.Kind+"-"+id.Subject
	}
	if !safeOwner.MatchString(owner) {
		sum := sha256.Sum256([]byte(kind + "\x00" + subject))
		owner = kind + "-h" + hex.EncodeToString(sum[:16])
	}
	return owner, nil
}

var safeOwner = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,128}$`)

type integrationBody struct {
	Provider string `json:"provider"`
	APIKey   string `json:"api_key"`
}

func (s *Server) handleIntegrationsPost(rc *requestCtx) {
	owner, aerr := integrationOwner(rc)
	if aerr != nil {
		writeError(rc.RequestCtx, aerr)
		return
	}
	var b integrationBody
	if err := decodeStrict(rc.PostBody(), &b, ""); err != nil {
		writeError(rc.RequestCtx, err)
		return
	}
	b.Provider = strings.TrimSpace(b.Provider)
	switch {
	case !slices.Contains(s.cfg.Providers, b.Provider):
		writeError(rc.RequestCtx, badParam("provider", "unknown provider; this cell serves "+strings.Join(s.cfg.Providers, ", ")))
		return
	case !validKey(b.APIKey):
		writeError(rc.RequestCtx, badParam("api_key", "must be 8 to 4096 printable characters without spaces"))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in, err := s.cfg.Credentials.PutUser(ctx, owner, b.Provider, shared.NewSecret(b.APIKey))
	if err != nil {
		s.storeUnavailable(rc, err)
		return
	}
	writeJSON(rc.RequestCtx, fasthttp.StatusCreated, integrationAnswer{in, s.checkIntegration(rc, b.Provider, owner)})
}

// integrationAnswer is a stored integration with the result of trying it.
type integrationAnswer struct {
	credentials.Integration
	Verification shared.VerifyResult `json:"verification"`
}

// CredentialChecker asks a provider's workers to try the credential a user
// stored for it (in a cell: a NATS request to shared.VerifySubject).
type CredentialChecker interface {
	Check(ctx context.Context, provider, owner string) (shared.VerifyResult, error)
}

// checkIntegration tries a stored credential within the request's time
// budget. A check that cannot finish is "unverified", never an error: the
// credential is stored either way.
func (s *Server) checkIntegration(rc *requestCtx, provider, owner string) shared.VerifyResult {
	if s.cfg.Checker == nil {
		return shared.VerifyResult{Status: shared.VerifyUnverified, Message: "no provider workers to check the key with", CheckedAt: s.now().UTC()}
	}
	ctx, cancel := s.deadline(rc)
	defer cancel()
	r, err := s.cfg.Checker.Check(ctx, provider, owner)
	if err != nil {
		s.log.Warn("credential check failed", "provider", provider, "err", err, "request_id", rc.ids.RequestID)
		return shared.VerifyResult{Status: shared.VerifyUnverified, Message: "the provider's workers did not answer in time; retry the check later", CheckedAt: s.now().UTC()}
	}
	return r
}

// handleIntegrationVerify tries a stored integration again.
func (s *Server) handleIntegrationVerify(rc *requestCtx) {
	owner, aerr := integrationOwner(rc)
	if aerr != nil {
		writeError(rc.RequestCtx, aerr)
		return
	}
	provider := strings.TrimSuffix(strings.TrimPrefix(string(rc.Path()), pathIntegrations+"/"), "/verify")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	list, err := s.cfg.Credentials.ListUser(ctx, owner)
	if err != nil {
		s.storeUnavailable(rc, err)
		return
	}
	for _, in := range list {
		if in.Provider == provider {
			writeJSON(rc.RequestCtx, fasthttp.StatusOK, integrationAnswer{in, s.checkIntegration(rc, provider, owner)})
			return
		}
	}
	writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusNotFound, Code: codeNotFound, Message: "no integration for " + provider})
}

func (s *Server) handleIntegrationsList(rc *requestCtx) {
	owner, aerr := integrationOwner(rc)
	if aerr != nil {
		writeError(rc.RequestCtx, aerr)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := s.cfg.Credentials.ListUser(ctx, owner)
	if err != nil {
		s.storeUnavailable(rc, err)
		return
	}
	writeJSON(rc.RequestCtx, fasthttp.StatusOK, struct {
		Integrations []credentials.Integration `json:"integrations"`
	}{list})
}

func (s *Server) handleIntegrationsDelete(rc *requestCtx) {
	owner, aerr := integrationOwner(rc)
	if aerr != nil {
		writeError(rc.RequestCtx, aerr)
		return
	}
	provider := strings.TrimPrefix(string(rc.Path()), pathIntegrations+"/")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.cfg.Credentials.DeleteUser(ctx, owner, provider)
	switch {
	case errors.Is(err, credentials.ErrNotFound):
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusNotFound, Code: codeNotFound, Message: "no integration for " + provider})
	case err != nil:
		s.storeUnavailable(rc, err)
	default:
		rc.SetStatusCode(fasthttp.StatusNoContent)
	}
}

// storeUnavailable answers 503 without echoing the store's error, which
// names paths; the details go to the log.
func (s *Server) storeUnavailable(rc *requestCtx, err error) {
	s.log.Warn("credential store error", "err", err, "request_id", rc.ids.RequestID)
	rc.Response.Header.Set("Retry-After", "5")
	writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusServiceUnavailable, Code: codeStoreUnavailable,
		Message: "the credential store is unavailable; retry later"})
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
