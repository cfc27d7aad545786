package accountapi

import (
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/edge/httpx"
)

// signInBody is an email and password.
type signInBody struct {
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

type userJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Plan      string    `json:"plan"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *API) register() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusCreated, open: true}, func(c *call, b signInBody) (userJSON, error) {
		u, err := a.cfg.Accounts.Register(c.ctx, b.Email, b.Password)
		return userJSON{u.ID, u.Email, u.Plan, u.CreatedAt}, err
	})
}

func (a *API) login() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusOK, open: true, noStore: true}, func(c *call, b signInBody) (tokenJSON, error) {
		pair, err := a.cfg.Accounts.Login(c.ctx, b.Email, b.Password, c.r.ClientIP)
		return pairJSON(pair), err
	})
}

func (a *API) refresh() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusOK, open: true, noStore: true}, func(c *call, b refreshBody) (tokenJSON, error) {
		pair, err := a.cfg.Accounts.Refresh(c.ctx, b.RefreshToken)
		return pairJSON(pair), err
	})
}

func (a *API) logout() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusNoContent, open: true}, func(c *call, b refreshBody) (none, error) {
		return none{}, a.cfg.Accounts.Logout(c.ctx, b.RefreshToken)
	})
}

func (a *API) serviceToken() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusOK, open: true, noStore: true}, func(c *call, b serviceTokenBody) (tokenJSON, error) {
		tok, acct, err := a.cfg.Accounts.ServiceToken(c.ctx, b.ServiceID, b.Secret, c.r.ClientIP)
		return tokenJSON{AccessToken: tok.Value, TokenType: "Bearer", ExpiresIn: int64(tok.TTL / time.Second), Scopes: acct.Scopes}, err
	})
}
