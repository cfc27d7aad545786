package history

import "testing"

func TestPointColumnsOf(t *testing.T) {
	want := "p.offer_id, p.provider, p.gpu_id, p.gpu_model, p.region, p.price, p.per_gpu, p.at, p.gone"
	if got := PointColumnsOf("p"); got != want {
		t.Fatalf("PointColumnsOf(p) = %q, want %q", got, want)
	}
}
