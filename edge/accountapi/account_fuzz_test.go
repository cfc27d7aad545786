package accountapi

import (
	"encoding/json"
	"testing"
)

// fuzzAuthPaths are the POST endpoints whose bodies FuzzAuthBodies feeds;
// the last two need a signed-in user.
var fuzzAuthPaths = []string{"/api/v2/auth/register", "/api/v2/auth/login", "/api/v2/auth/refresh", "/api/v2/auth/logout",
	"/api/v2/auth/service-token", "/api/v2/auth/api-keys", "/api/v2/service-accounts"}

// Bodies of the auth endpoints: whatever arrives, the answer is a success
// or a 4xx JSON error with a code, never a 5xx or a panic.
func FuzzAuthBodies(f *testing.F) {
	for i, s := range []string{
		`{"email":"fuzz@example.com","password":"correct horse battery staple"}`,
		`{"email":"fuzz@example.com","password":"wrong"}`,
		`{"refresh_token":"gpr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`,
		`{"refresh_token":""}`,
		`{"service_id":"agent-1","secret":"gps_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`,
		`{"name":"laptop"}`,
		`{"name":"agent-1","scopes":["offers:read"]}`,
		`{"email":"\u0000@x.io","password":"` + "\xff\xfe" + `"}`, `[]`, `null`, `{"scopes":"x"}`, `{}{}`, "",
	} {
		f.Add(uint8(i), []byte(s))
	}
	e := newAcctEnv(f)
	e.register(f, "owner@example.com")
	user := bearer(e.login(f, "owner@example.com").AccessToken)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := fuzzAuthPaths[int(which)%len(fuzzAuthPaths)]
		var headers map[string]string
		if path == "/api/v2/auth/api-keys" || path == "/api/v2/service-accounts" {
			headers = user
		}
		r := e.call("POST", path, "198.51.100.1:1", headers, string(body))
		code := r.StatusCode()
		if code >= 500 || code < 200 {
			t.Fatalf("%s %q: %d %s", path, body, code, r.Body())
		}
		if code >= 400 {
			var eb errBody
			if err := json.Unmarshal(r.Body(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
				t.Fatalf("%s %q: %d with a bad error body %s", path, body, code, r.Body())
			}
		}
	})
}
