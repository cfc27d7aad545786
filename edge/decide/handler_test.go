package decide

import (
	"encoding/json"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/edge/httpx/httpxtest"
)

func post(kind httpx.Kind, body string) *fasthttp.Response {
	rt := New().Routes()[0]
	return httpxtest.Do(func(ctx *fasthttp.RequestCtx) {
		rt.Handler(&httpx.Request{RequestCtx: ctx, Identity: httpx.Identity{Kind: kind}})
	}, httpxtest.Request{Method: "POST", URI: rt.Path, Body: []byte(body)})
}

const worked = `{"method":"topsis","criteria":{"c0":{"weight":4,"direction":"maximize"},"c1":{"weight":2,"direction":"maximize"},
 "c2":{"weight":6,"direction":"maximize"},"c3":{"weight":8,"direction":"maximize"}},
 "alternatives":[{"id":"a1","values":{"c0":9,"c1":7,"c2":6,"c3":7}},{"id":"a2","values":{"c0":8,"c1":7,"c2":9,"c3":6}},
 {"id":"a3","values":{"c0":7,"c1":8,"c2":6,"c3":6}}]}`

// The published worked example over HTTP: best first, closeness and both
// distances; the same body with pareto lists the front and the dominated.
func TestDecideOverHTTP(t *testing.T) {
	resp := post(httpx.APIKey, worked)
	if resp.StatusCode() != 200 {
		t.Fatalf("%d %s", resp.StatusCode(), resp.Body())
	}
	var out struct {
		Method  string
		Results []struct {
			ID            string
			Rank          int
			Score         float64
			DistanceBest  *float64 `json:"distance_best"`
			DistanceWorst *float64 `json:"distance_worst"`
			Normalized    map[string]float64
		}
		Dominated []struct {
			ID          string
			DominatedBy []string `json:"dominated_by"`
		}
	}
	if err := json.Unmarshal(resp.Body(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Method != "topsis" || len(out.Results) != 3 || out.Results[0].ID != "a2" || out.Results[2].ID != "a3" ||
		out.Results[0].Rank != 1 || out.Results[0].DistanceBest == nil || len(out.Results[0].Normalized) != 4 {
		t.Fatalf("%s", resp.Body())
	}
	if s := out.Results[0].Score; s < 0.6502 || s > 0.6504 {
		t.Fatalf("a2's closeness %g, want 0.6503", s)
	}
	pareto := `{"method":"pareto","criteria":{"price":{"direction":"minimize"},"tflops":{"direction":"maximize"}},
	 "alternatives":[{"id":"cheap","values":{"price":1,"tflops":100}},{"id":"fast","values":{"price":3,"tflops":900}},
	 {"id":"worse","values":{"price":2,"tflops":90}}]}`
	resp = post(httpx.User, pareto)
	out.Results, out.Dominated = nil, nil
	if err := json.Unmarshal(resp.Body(), &out); err != nil || resp.StatusCode() != 200 || len(out.Results) != 2 ||
		len(out.Dominated) != 1 || out.Dominated[0].ID != "worse" || out.Dominated[0].DominatedBy[0] != "cheap" {
		t.Fatalf("pareto: %d %s", resp.StatusCode(), resp.Body())
	}
}

// A credential is required; bad bodies are 400 naming the field.
func TestDecideRefusals(t *testing.T) {
	if resp := post(httpx.Anonymous, worked); resp.StatusCode() != 401 {
		t.Fatalf("anonymous: %d", resp.StatusCode())
	}
	for body, field := range map[string]string{
		`{"criteria":{"a":{"direction":"maximize"}},"alternatives":[{"id":"x","values":{"a":1}}]}`:                               "method",
		`{"method":"best","criteria":{"a":{"direction":"maximize"}},"alternatives":[{"id":"x","values":{"a":1}}]}`:               "method",
		`{"method":"topsis","criteria":{},"alternatives":[{"id":"x","values":{"a":1}}]}`:                                         "criteria",
		`{"method":"topsis","criteria":{"a":{"direction":"up"}},"alternatives":[{"id":"x","values":{"a":1}}]}`:                   "criteria.a.direction",
		`{"method":"topsis","criteria":{"a":{"weight":-1,"direction":"maximize"}},"alternatives":[{"id":"x","values":{"a":1}}]}`: "criteria.a.weight",
		`{"method":"topsis","criteria":{"a":{"direction":"maximize"}},"alternatives":[]}`:                                        "alternatives",
		`{"method":"topsis","criteria":{"a":{"direction":"maximize"}},"candidates":["vastai:1"]}`:                                "candidates",
		`{"method":"topsis","criteria":{"a":{"weight":0,"direction":"maximize"}},"alternatives":[{"id":"x","values":{"a":1}}]}`:  "",
		`{"method":"topsis","criteria":{"a":{"direction":"maximize"}},"alternatives":[{"id":"x","values":{"b":1}}]}`:             "",
		`{"method":"topsis","extra":1}`: "extra",
	} {
		resp := post(httpx.APIKey, body)
		var e struct {
			Error struct{ Field string }
		}
		_ = json.Unmarshal(resp.Body(), &e)
		if resp.StatusCode() != 400 || e.Error.Field != field {
			t.Errorf("%s: %d field %q, want 400 field %q (%s)", body, resp.StatusCode(), e.Error.Field, field, resp.Body())
		}
	}
}

// Any body is answered with 200 or 400, never a panic, and a 200 holds no
// NaN (JSON could not encode one).
func FuzzDecideBody(f *testing.F) {
	f.Add([]byte(worked))
	f.Add([]byte(`{"method":"weighted_sum","criteria":{"a":{"weight":1e308,"direction":"minimize"},"b":{"weight":1e308,"direction":"maximize"}},"alternatives":[{"id":"x","values":{"a":1e15,"b":-1e15}},{"id":"y","values":{"a":0,"b":0}}]}`))
	f.Add([]byte(`{"method":"pareto","criteria":{"a":{"direction":"minimize"}},"alternatives":[{"id":"x","values":{"a":0}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := post(httpx.APIKey, string(body))
		if c := resp.StatusCode(); c != 200 && c != 400 {
			t.Fatalf("%d for %q: %s", c, body, resp.Body())
		}
	})
}
