package cells

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/gpubroker/gpubroker/edge/stream"
	"github.com/gpubroker/gpubroker/shared"
)

// parsePlanLimits reads "free=10,pro=100,enterprise=1000[,name=n...]".
func parsePlanLimits(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range splitList(s) {
		name, n, ok := strings.Cut(part, "=")
		limit, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err != nil || limit <= 0 || !shared.ValidName(strings.TrimSpace(name)) {
			return nil, fmt.Errorf("%q is not plan=requests_per_second", part)
		}
		out[strings.TrimSpace(name)] = limit
	}
	if _, ok := out["free"]; !ok {
		return nil, errors.New("the free plan (anonymous callers) needs a limit")
	}
	return out, nil
}

// parseStreamLimits reads "free=5/20,pro=50/100[,name=connections/subscriptions...]":
// a plan's open streams per identity and channels per WebSocket.
func parseStreamLimits(s string) (map[string]stream.Limits, error) {
	out := map[string]stream.Limits{}
	for _, part := range splitList(s) {
		name, v, ok := strings.Cut(part, "=")
		conns, subs, ok2 := strings.Cut(strings.TrimSpace(v), "/")
		nc, err1 := strconv.Atoi(conns)
		ns, err2 := strconv.Atoi(subs)
		if !ok || !ok2 || err1 != nil || err2 != nil || nc <= 0 || ns <= 0 || !shared.ValidName(strings.TrimSpace(name)) {
			return nil, fmt.Errorf("%q is not plan=connections/subscriptions", part)
		}
		out[strings.TrimSpace(name)] = stream.Limits{Connections: nc, Subscriptions: ns}
	}
	if _, ok := out["free"]; !ok {
		return nil, errors.New("the free plan (anonymous callers) needs stream limits")
	}
	return out, nil
}

// parseAPIKeys reads "id:plan:secret,...". Secrets are hashed at once and
// never kept or printed.
func parseAPIKeys(s string, plans map[string]int) ([]identity.APIKey, error) {
	var out []identity.APIKey
	for i, part := range splitList(s) {
		fields := strings.SplitN(part, ":", 3)
		if len(fields) != 3 || fields[0] == "" || len(fields[2]) < 8 {
			return nil, fmt.Errorf("entry %d is not id:plan:secret (secret at least 8 characters)", i+1)
		}
		if _, ok := plans[fields[1]]; !ok {
			return nil, fmt.Errorf("entry %d (%s): unknown plan %q", i+1, fields[0], fields[1])
		}
		out = append(out, identity.NewAPIKey(fields[0], fields[1], fields[2]))
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
