package edge

import (
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
	ServiceID string   `json:"service_id"`
	Scopes    []string `json:"scopes"`
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
	a, secret, err := s.accounts.CreateServiceAccount(ctx, p, b.ServiceID, b.Scopes)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	rc.Response.Header.Set("Cache-Control", "no-store")
	writeJSON(rc.RequestCtx, fasthttp.StatusCreated, struct {
		ServiceID string    `json:"service_id"`
		Scopes    []string  `json:"scopes"`
		Plan      string    `json:"plan"`
		CreatedAt time.Time `json:"created_at"`
		Secret    string    `json:"secret"`
	}{a.ID, a.Scopes, a.Plan, a.CreatedAt, secret})
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
