package accountapi

import (
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
)

type apiKeyBody struct {
	Name string `json:"name"`
}

type apiKeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Revoked    bool       `json:"revoked"`
}

// newAPIKeyJSON is a key as created: the only time its secret is shown.
type newAPIKeyJSON struct {
	apiKeyJSON
	Key string `json:"key"`
}

func (a *API) createAPIKey() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusCreated, noStore: true}, func(c *call, b apiKeyBody) (newAPIKeyJSON, error) {
		k, key, err := a.cfg.Accounts.CreateAPIKey(c.ctx, c.p, b.Name)
		return newAPIKeyJSON{apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt}, key}, err
	})
}

func (a *API) listAPIKeys() func(*httpx.Request) {
	type list struct {
		APIKeys []apiKeyJSON `json:"api_keys"`
	}
	return endpoint(a, spec{status: fasthttp.StatusOK}, func(c *call, _ none) (list, error) {
		keys, err := a.cfg.Accounts.ListAPIKeys(c.ctx, c.p)
		out := make([]apiKeyJSON, len(keys))
		for i, k := range keys {
			out[i] = apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt.UTC(),
				LastUsedAt: timeOrNil(k.LastUsedAt), Revoked: !k.RevokedAt.IsZero()}
		}
		return list{out}, err
	})
}

func (a *API) revokeAPIKey() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusNoContent}, func(c *call, _ none) (none, error) {
		return none{}, a.cfg.Accounts.RevokeAPIKey(c.ctx, c.p, c.r.Param("id"))
	})
}

type serviceAccountBody struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// serviceAccountJSON is a service account as listed: never its secret.
type serviceAccountJSON struct {
	ServiceID string    `json:"service_id"`
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
	Disabled  bool      `json:"disabled"`
}

// newServiceAccountJSON is an account as created, with its secret.
type newServiceAccountJSON struct {
	serviceAccountJSON
	Secret string `json:"secret"`
}

func (a *API) createServiceAccount() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusCreated, noStore: true}, func(c *call, b serviceAccountBody) (newServiceAccountJSON, error) {
		acct, secret, err := a.cfg.Accounts.CreateServiceAccount(c.ctx, c.p, b.Name, b.Scopes)
		return newServiceAccountJSON{serviceAccountJSON{ServiceID: acct.ID, Name: acct.Name, Scopes: acct.Scopes, CreatedAt: acct.CreatedAt}, secret}, err
	})
}

func (a *API) listServiceAccounts() func(*httpx.Request) {
	type list struct {
		ServiceAccounts []serviceAccountJSON `json:"service_accounts"`
	}
	return endpoint(a, spec{status: fasthttp.StatusOK}, func(c *call, _ none) (list, error) {
		accts, err := a.cfg.Accounts.ListServiceAccounts(c.ctx, c.p)
		out := make([]serviceAccountJSON, len(accts))
		for i, s := range accts {
			out[i] = serviceAccountJSON{ServiceID: s.ID, Name: s.Name, Scopes: s.Scopes, CreatedAt: s.CreatedAt.UTC(), Disabled: s.Disabled}
		}
		return list{out}, err
	})
}

func (a *API) deleteServiceAccount() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusNoContent}, func(c *call, _ none) (none, error) {
		return none{}, a.cfg.Accounts.DeleteServiceAccount(c.ctx, c.p, c.r.Param("id"))
	})
}

// timeOrNil renders a zero time as JSON null.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
