package cells

import (
	"testing"

	"github.com/gpubroker/gpubroker/adapters"
)

// Every registered provider's worker answers through the whole path
// (edge → NATS → worker → adapter → simulator), one canonical GPU identity
// spans the clouds, and /health lists them all.
func TestEveryProviderServesOffers(t *testing.T) {
	names := adapters.Names()
	if len(names) < 20 {
		t.Fatalf("%d providers registered, want at least 20", len(names))
	}
	c := startCell(t, nil)
	base := "http://" + c.HTTPAddr()
	var all listBody
	call(t, "GET", base+"/api/v2/providers?per_page=1", nil, &all)
	if len(all.Warnings) != 0 || len(all.Sources) != len(names) {
		t.Fatalf("warnings %+v, %d sources", all.Warnings, len(all.Sources))
	}
	for _, s := range all.Sources {
		if s.Status != "ok" || s.Offers == 0 {
			t.Fatalf("a provider produced no offers: %+v", all.Sources)
		}
	}
	h100 := map[string]bool{}
	ids := map[string]bool{}
	cursor := ""
	for page := 0; page < 200; page++ {
		var b listBody
		u := base + "/api/v2/providers?gpu=H100&per_page=100"
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		call(t, "GET", u, nil, &b)
		for _, o := range b.Items {
			h100[o.Provider] = true
			ids[o.GPUID] = true
		}
		if b.NextCursor == nil {
			break
		}
		cursor = *b.NextCursor
	}
	if len(h100) < 10 {
		t.Fatalf("H100 offers from %d providers (%v), want >= 10", len(h100), h100)
	}
	for id := range ids {
		switch id {
		case "nvidia-h100-sxm-80gb", "nvidia-h100-pcie-80gb", "nvidia-h100-nvl-94gb":
		default:
			t.Errorf("gpu=H100 returned identity %s", id)
		}
	}
	h := health(t, base)
	if len(h.Providers) < 20 {
		t.Fatalf("/health lists %d providers", len(h.Providers))
	}
	t.Logf("%d providers; H100 from %d of them", len(names), len(h100))
}
