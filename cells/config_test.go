package cells

import (
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestFromEnv(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"GPUBROKER_CELL": "us-east", "GPUBROKER_HTTP_ADDR": ":9000", "NATS_URL": "nats://n:4222",
		"GPUBROKER_PROVIDERS": "lambda, vastai", "GPUBROKER_SIMULATOR": "false", "GPUBROKER_SIM_SEED": "9",
		"GPUBROKER_REQUEST_TIMEOUT": "3s", "GPUBROKER_SIM_FAULTS": `{"lambda":{"latency_ms":10}}`,
		"LAMBDA_API_KEY": "secret-value", "GPUBROKER_AWS_BASE_URL": "http://mirror", "GPUBROKER_ACCESS_LOG": "false",
		"GPUBROKER_STREAM_LIMITS": "free=2/5, bench=20000/3",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Cell != "us-east" || c.HTTPAddr != ":9000" || c.NATSURL != "nats://n:4222" || strings.Join(c.Providers, ",") != "lambda,vastai" ||
		c.Simulator || c.SimSeed != 9 || c.RequestTimeout != 3*time.Second || c.SimFaults["lambda"].LatencyMS != 10 ||
		c.APIKeys["lambda"].Reveal() != "secret-value" || c.BaseURLs["aws"] != "http://mirror" || c.AccessLog ||
		c.StreamLimits["free"].Connections != 2 || c.StreamLimits["bench"].Subscriptions != 3 {
		t.Fatalf("%+v", c)
	}
}

func TestFromEnvRejects(t *testing.T) {
	for k, v := range map[string]string{
		"GPUBROKER_CELL": "Bad.Cell", "GPUBROKER_PROVIDERS": "lambda,nosuch", "GPUBROKER_REQUEST_TIMEOUT": "soon",
		"GPUBROKER_SIMULATOR": "maybe", "GPUBROKER_SIM_FAULTS": "{", "GPUBROKER_MAX_BODY_BYTES": "-1",
		"GPUBROKER_STREAM_LIMITS": "pro=5/5", // no free plan
	} {
		if _, err := FromEnv(env(map[string]string{k: v})); err == nil {
			t.Errorf("%s=%q accepted", k, v)
		}
	}
}

// Every bad variable is reported, always in the same order (the order
// they are read in), so the message of one bad environment never changes.
func TestFromEnvErrorsInStableOrder(t *testing.T) {
	bad := env(map[string]string{
		"GPUBROKER_WORKER_CONCURRENCY": "x", "GPUBROKER_MAX_WAITING": "-3", "GPUBROKER_WORKER_QUEUE": "0",
		"GPUBROKER_REQUEST_TIMEOUT": "soon", "GPUBROKER_FX_RATES": "EUR=abc", "GPUBROKER_SIMULATOR": "maybe",
	})
	_, first := FromEnv(bad)
	if first == nil {
		t.Fatal("accepted")
	}
	want := "configuration: GPUBROKER_FX_RATES: "
	if !strings.HasPrefix(first.Error(), want) {
		t.Fatalf("error %q, want it to start with %q", first, want)
	}
	order := []string{"GPUBROKER_FX_RATES", "GPUBROKER_SIMULATOR", "GPUBROKER_REQUEST_TIMEOUT", "GPUBROKER_MAX_WAITING",
		"GPUBROKER_WORKER_QUEUE", "GPUBROKER_WORKER_CONCURRENCY"}
	last := -1
	for _, k := range order {
		i := strings.Index(first.Error(), k)
		if i <= last {
			t.Fatalf("%s out of order in %q", k, first)
		}
		last = i
	}
	for range 50 {
		if _, err := FromEnv(bad); err == nil || err.Error() != first.Error() {
			t.Fatalf("message changed: %v vs %v", err, first)
		}
	}
}

// Currency rates are read into the Config, whole or not at all, and
// applied only when a cell starts: reading the configuration changes
// nothing in the process.
func TestFromEnvCurrencyRates(t *testing.T) {
	before, _ := shared.USDRate("EUR")
	c, err := FromEnv(env(map[string]string{"GPUBROKER_FX_RATES": "EUR=2.5, gbp=1.5"}))
	if err != nil || c.FXRates["EUR"] != 2.5 || c.FXRates["GBP"] != 1.5 {
		t.Fatalf("%v %v", c.FXRates, err)
	}
	if now, _ := shared.USDRate("EUR"); now != before {
		t.Fatalf("reading the configuration set EUR to %v", now)
	}
	if _, err := FromEnv(env(map[string]string{"GPUBROKER_FX_RATES": "EUR=2.5,XX=1"})); err == nil {
		t.Fatal("a bad entry accepted")
	}
}
