package cells

import (
	"strings"
	"testing"
	"time"
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
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Cell != "us-east" || c.HTTPAddr != ":9000" || c.NATSURL != "nats://n:4222" || strings.Join(c.Providers, ",") != "lambda,vastai" ||
		c.Simulator || c.SimSeed != 9 || c.RequestTimeout != 3*time.Second || c.SimFaults["lambda"].LatencyMS != 10 ||
		c.APIKeys["lambda"].Reveal() != "secret-value" || c.BaseURLs["aws"] != "http://mirror" || c.AccessLog {
		t.Fatalf("%+v", c)
	}
}

func TestFromEnvRejects(t *testing.T) {
	for k, v := range map[string]string{
		"GPUBROKER_CELL": "Bad.Cell", "GPUBROKER_PROVIDERS": "lambda,nosuch", "GPUBROKER_REQUEST_TIMEOUT": "soon",
		"GPUBROKER_SIMULATOR": "maybe", "GPUBROKER_SIM_FAULTS": "{", "GPUBROKER_MAX_BODY_BYTES": "-1",
	} {
		if _, err := FromEnv(env(map[string]string{k: v})); err == nil {
			t.Errorf("%s=%q accepted", k, v)
		}
	}
}
