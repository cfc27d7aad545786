package edge

import (
	"slices"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/accounts"
)

// Paths of the account endpoints.
const (
	pathAuth            = "/api/v2/auth/"
	pathAPIKeys         = "/api/v2/auth/api-keys"
	pathServiceAccounts = "/api/v2/service-accounts"
	pathFavorites       = "/api/v2/users/favorites"
	pathAlerts          = "/api/v2/alerts"
	pathWebhooks        = "/api/v2/webhooks"
	pathPriceHistory    = "/api/v2/analytics/price-history"
)

type credentialsBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type refreshBody struct {
	RefreshToken string `json:"refresh_token"`
}

type serviceTokenBody struct {
	ServiceID string `json:"service_id"`
	Secret    string `json:"secret"`
}

type serviceAccountBody struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

type apiKeyBody struct {
	Name string `json:"name"`
}

type tokenJSON struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token,omitempty"`
	TokenType    string   `json:"token_type"`
	ExpiresIn    int64    `json:"expires_in"`
	Scopes       []string `json:"scopes,omitempty"`
}

func pairJSON(p accounts.TokenPair) tokenJSON {
	return tokenJSON{AccessToken: p.Access.Value, RefreshToken: p.RefreshToken, TokenType: "Bearer", ExpiresIn: int64(p.Access.TTL / time.Second)}
}

// decodeBody reads the JSON body into v, answering 400 itself when it cannot.
func decodeBody(rc *requestCtx, v any) bool {
	if err := decodeStrict(rc.PostBody(), v, ""); err != nil {
		writeError(rc.RequestCtx, err)
		return false
	}
	return true
}

func (s *Server) handleRegister(rc *requestCtx) {
	_, ctx, cancel, ok := s.accountCall(rc, true)
	if !ok {
		return
	}
	defer cancel()
	var b credentialsBody
	if !decodeBody(rc, &b) {
		return
	}
	u, err := s.accounts.Register(ctx, b.Email, b.Password)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	writeJSON(rc.RequestCtx, fasthttp.StatusCreated, struct {
		ID        string    `json:"id"`
		Email     string    `json:"email"`
		Plan      string    `json:"plan"`
		CreatedAt time.Time `json:"created_at"`
	}{u.ID, u.Email, u.Plan, u.CreatedAt})
}

func (s *Server) handleLogin(rc *requestCtx) {
	_, ctx, cancel, ok := s.accountCall(rc, true)
	if !ok {
		return
	}
	defer cancel()
	var b credentialsBody
	if !decodeBody(rc, &b) {
		return
	}
	pair, err := s.accounts.Login(ctx, b.Email, b.Password, s.auth.clientIP(rc.RequestCtx))
	if err != nil {
		s.accountError(rc, err)
		return
	}
	rc.Response.Header.Set("Cache-Control", "no-store")
	writeJSON(rc.RequestCtx, fasthttp.StatusOK, pairJSON(pair))
}

func (s *Server) handleRefresh(rc *requestCtx) {
	_, ctx, cancel, ok := s.accountCall(rc, true)
	if !ok {
		return
	}
	defer cancel()
	var b refreshBody
	if !decodeBody(rc, &b) {
		return
	}
	pair, err := s.accounts.Refresh(ctx, b.RefreshToken)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	rc.Response.Header.Set("Cache-Control", "no-store")
	writeJSON(rc.RequestCtx, fasthttp.StatusOK, pairJSON(pair))
}

func (s *Server) handleLogout(rc *requestCtx) {
	_, ctx, cancel, ok := s.accountCall(rc, true)
	if !ok {
		return
	}
	defer cancel()
	var b refreshBody
	if !decodeBody(rc, &b) {
		return
	}
	if err := s.accounts.Logout(ctx, b.RefreshToken); err != nil {
		s.accountError(rc, err)
		return
	}
	rc.SetStatusCode(fasthttp.StatusNoContent)
}

func (s *Server) handleServiceToken(rc *requestCtx) {
	_, ctx, cancel, ok := s.accountCall(rc, true)
	if !ok {
		return
	}
	defer cancel()
	var b serviceTokenBody
	if !decodeBody(rc, &b) {
		return
	}
	tok, a, err := s.accounts.ServiceToken(ctx, b.ServiceID, b.Secret, s.auth.clientIP(rc.RequestCtx))
	if err != nil {
		s.accountError(rc, err)
		return
	}
	rc.Response.Header.Set("Cache-Control", "no-store")
	writeJSON(rc.RequestCtx, fasthttp.StatusOK, tokenJSON{AccessToken: tok.Value, TokenType: "Bearer",
		ExpiresIn: int64(tok.TTL / time.Second), Scopes: a.Scopes})
}

// serviceAccountJSON is a service account as listed: never its secret.
type serviceAccountJSON struct {
	ServiceID string    `json:"service_id"`
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
	Disabled  bool      `json:"disabled"`
}

func (s *Server) handleServiceAccountCreate(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	var b serviceAccountBody
	if !decodeBody(rc, &b) {
		return
	}
	a, secret, err := s.accounts.CreateServiceAccount(ctx, p, b.Name, b.Scopes)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	rc.Response.Header.Set("Cache-Control", "no-store")
	writeJSON(rc.RequestCtx, fasthttp.StatusCreated, struct {
		serviceAccountJSON
		Secret string `json:"secret"`
	}{serviceAccountJSON{ServiceID: a.ID, Name: a.Name, Scopes: a.Scopes, CreatedAt: a.CreatedAt}, secret})
}

func (s *Server) handleServiceAccountList(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	list, err := s.accounts.ListServiceAccounts(ctx, p)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	out := make([]serviceAccountJSON, len(list))
	for i, a := range list {
		out[i] = serviceAccountJSON{ServiceID: a.ID, Name: a.Name, Scopes: a.Scopes, CreatedAt: a.CreatedAt.UTC(), Disabled: a.Disabled}
	}
	writeJSON(rc.RequestCtx, fasthttp.StatusOK, struct {
		ServiceAccounts []serviceAccountJSON `json:"service_accounts"`
	}{out})
}

func (s *Server) handleServiceAccountDelete(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	if err := s.accounts.DeleteServiceAccount(ctx, p, pathTail(rc, pathServiceAccounts)); err != nil {
		s.accountError(rc, err)
		return
	}
	rc.SetStatusCode(fasthttp.StatusNoContent)
}

type apiKeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Revoked    bool       `json:"revoked"`
}

func (s *Server) handleAPIKeyCreate(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	var b apiKeyBody
	if !decodeBody(rc, &b) {
		return
	}
	k, key, err := s.accounts.CreateAPIKey(ctx, p, b.Name)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	rc.Response.Header.Set("Cache-Control", "no-store")
	writeJSON(rc.RequestCtx, fasthttp.StatusCreated, struct {
		apiKeyJSON
		Key string `json:"key"`
	}{apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt}, key})
}

func (s *Server) handleAPIKeyList(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	keys, err := s.accounts.ListAPIKeys(ctx, p)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	out := make([]apiKeyJSON, len(keys))
	for i, k := range keys {
		out[i] = apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt.UTC(),
			LastUsedAt: timeOrNil(k.LastUsedAt), Revoked: !k.RevokedAt.IsZero()}
	}
	writeJSON(rc.RequestCtx, fasthttp.StatusOK, struct {
		APIKeys []apiKeyJSON `json:"api_keys"`
	}{out})
}

func (s *Server) handleAPIKeyDelete(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	if err := s.accounts.RevokeAPIKey(ctx, p, pathTail(rc, pathAPIKeys)); err != nil {
		s.accountError(rc, err)
		return
	}
	rc.SetStatusCode(fasthttp.StatusNoContent)
}

// codeInsufficientScope: a service token without the scope a route needs.
const codeInsufficientScope = "insufficient_scope"

// scopeUserOnly marks routes no scope opens to service tokens: managing
// credentials is for people, so a leaked token cannot mint successors.
const scopeUserOnly = "user"

// scoped runs h for users (their tokens and API keys hold every scope) and
// for service tokens holding scope; other service tokens get 403 naming the
// scope. It runs after admit, so the identity is known.
func (s *Server) scoped(scope string, h func(*requestCtx)) func(*requestCtx) {
	return func(rc *requestCtx) {
		if rc.identity.Kind != "service" || scope != scopeUserOnly && slices.Contains(rc.identity.Scopes, scope) {
			h(rc)
			return
		}
		if scope == scopeUserOnly {
			writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusForbidden, Code: codeForbidden,
				Message: "service tokens cannot manage credentials"})
			return
		}
		rc.Response.Header.Set("WWW-Authenticate", `Bearer realm="gpubroker", error="insufficient_scope", scope="`+scope+`"`)
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusForbidden, Code: codeInsufficientScope,
			Message: "this service token lacks the " + scope + " scope"})
	}
}
