package shared

import (
	"strings"
	"testing"
)

func TestLookupGPU(t *testing.T) {
	tests := []struct {
		name string
		mem  float64
		want string
	}{
		// RunPod gpuTypes ids
		{"NVIDIA A100 80GB PCIe", 80, "nvidia-a100-pcie-80gb"},
		{"NVIDIA A100-SXM4-80GB", 80, "nvidia-a100-sxm-80gb"},
		{"NVIDIA H100 80GB HBM3", 80, "nvidia-h100-sxm-80gb"},
		{"NVIDIA H100 PCIe", 80, "nvidia-h100-pcie-80gb"},
		{"NVIDIA H100 NVL", 94, "nvidia-h100-nvl-94gb"},
		{"NVIDIA H200", 141, "nvidia-h200-sxm-141gb"},
		{"NVIDIA B200", 180, "nvidia-b200-sxm-180gb"},
		{"NVIDIA GeForce RTX 4090", 24, "nvidia-rtx-4090-24gb"},
		{"NVIDIA RTX A6000", 48, "nvidia-rtx-a6000-48gb"},
		{"NVIDIA RTX 6000 Ada Generation", 48, "nvidia-rtx-6000-ada-48gb"},
		{"NVIDIA RTX PRO 6000 Blackwell Server Edition", 96, "nvidia-rtx-pro-6000-96gb"},
		{"AMD Instinct MI300X OAM", 192, "amd-mi300x-oam-192gb"},
		{"Tesla V100-SXM2-16GB", 16, "nvidia-v100-sxm-16gb"},
		{"Tesla V100-SXM2-32GB", 0, "nvidia-v100-sxm-32gb"},
		// Vast.ai gpu_name with gpu_ram in MiB converted to GB
		{"RTX 4090", 23.99, "nvidia-rtx-4090-24gb"},
		{"H100 SXM", 79.6, "nvidia-h100-sxm-80gb"},
		{"H100 NVL", 93.6, "nvidia-h100-nvl-94gb"},
		{"A100 SXM4", 39.4, "nvidia-a100-sxm-40gb"},
		{"A100 PCIE", 79.2, "nvidia-a100-pcie-80gb"},
		{"A100", 0, "nvidia-a100-sxm-80gb"},
		{"RTX 6000Ada", 47.9, "nvidia-rtx-6000-ada-48gb"},
		{"Q RTX 8000", 48, "nvidia-quadro-rtx-8000-48gb"},
		{"RTX_4070S_Ti", 16, "nvidia-rtx-4070-ti-super-16gb"},
		{"Tesla T4", 15, "nvidia-t4-16gb"},
		// Lambda descriptions
		{"A100 (40 GB SXM4)", 0, "nvidia-a100-sxm-40gb"},
		{"H100 (80 GB PCIe)", 0, "nvidia-h100-pcie-80gb"},
		{"RTX 6000 (24 GB)", 0, "nvidia-quadro-rtx-6000-24gb"},
		{"GH200 (96 GB)", 0, "nvidia-gh200-96gb"},
		{"B200 (180 GB SXM6)", 0, "nvidia-b200-sxm-180gb"},
		// memory reported as GiB or rounded differently still snaps
		{"B200", 192, "nvidia-b200-sxm-180gb"},
		{"H100 80GB HBM2e", 0, "nvidia-h100-pcie-80gb"},
		{"A10G", 24, "nvidia-a10g-24gb"},
		{"A10", 24, "nvidia-a10-24gb"},
		{"L40S", 48, "nvidia-l40s-48gb"},
		{"L4", 24, "nvidia-l4-24gb"},
		{"Radeon Pro V520", 8, "amd-radeon-pro-v520-8gb"},
		{"Instinct MI250X", 0, "amd-mi250x-oam-128gb"},
		{"Gaudi2", 96, "intel-gaudi-2-oam-96gb"},
		{"Tesla V100-FHHL-16GB", 16, "nvidia-v100-pcie-16gb"},
		{"NVIDIA RTX A2000", 6, "nvidia-rtx-a2000-6gb"},
		{"Radeon Instinct MI25", 16, "amd-mi25-pcie-16gb"},
		{"A100X", 80, "nvidia-a100x-pcie-80gb"},
		{"RTX 4090", 47.99, "nvidia-rtx-4090-48gb"},
		{"Habana Gaudi HL-205", 32, "intel-gaudi-oam-32gb"},
	}
	for _, tc := range tests {
		got, known := LookupGPU(tc.name, tc.mem)
		if !known || got.ID != tc.want {
			t.Errorf("LookupGPU(%q, %v) = %s (known=%v), want %s", tc.name, tc.mem, got.ID, known, tc.want)
		}
	}
}

func TestLookupGPUUnknownIsKept(t *testing.T) {
	s, known := LookupGPU("Acme Tensor X9", 40)
	if known {
		t.Fatal("made-up GPU reported as known")
	}
	if !strings.HasPrefix(s.ID, "unknown-") || s.MemoryGB != 40 || s.Model == "" {
		t.Fatalf("unknown spec lost information: %+v", s)
	}
}

func TestCatalogSize(t *testing.T) {
	models := map[string]bool{}
	for _, s := range Catalog() {
		models[s.ID] = true
	}
	if len(models) < 40 {
		t.Fatalf("catalog has %d GPU identities, want at least 40", len(models))
	}
	for _, must := range []string{"nvidia-a100-sxm-40gb", "nvidia-a100-sxm-80gb", "nvidia-h100-sxm-80gb",
		"nvidia-h100-pcie-80gb", "nvidia-h100-nvl-94gb", "nvidia-h200-sxm-141gb", "nvidia-b200-sxm-180gb",
		"nvidia-l40s-48gb", "nvidia-rtx-4090-24gb", "nvidia-rtx-5090-32gb", "amd-mi300x-oam-192gb"} {
		if !models[must] {
			t.Errorf("catalog lacks %s", must)
		}
	}
}

func TestGPUQuery(t *testing.T) {
	offer := func(name string, mem float64) *Offer {
		var o Offer
		o.SetGPU(name, mem, 1)
		return &o
	}
	h100sxm, h100nvl, a100_40, a10 := offer("H100 SXM", 80), offer("H100 NVL", 94), offer("A100 SXM4", 40), offer("A10", 24)
	unknown := offer("Acme Tensor X9", 40)
	tests := []struct {
		q    string
		o    *Offer
		want bool
	}{
		{"H100", h100sxm, true},
		{"h100", h100nvl, true},
		{"H100 NVL", h100sxm, false},
		{"H100 NVL", h100nvl, true},
		{"nvidia-h100-sxm-80gb", h100sxm, true},
		{"nvidia-h100-sxm-80gb", h100nvl, false},
		{"A100", a100_40, true},
		{"A100 80GB", a100_40, false},
		{"A100-40GB", a100_40, true},
		{"A10", a100_40, false},
		{"A10", a10, true},
		{"acme tensor x9", unknown, true},
		{"H100", unknown, false},
	}
	for _, tc := range tests {
		q, ok := ParseGPUQuery(tc.q)
		if !ok {
			t.Fatalf("ParseGPUQuery(%q) rejected", tc.q)
		}
		if got := q.Matches(tc.o); got != tc.want {
			t.Errorf("%q matches %s = %v, want %v", tc.q, tc.o.GPUID, got, tc.want)
		}
	}
	if _, ok := ParseGPUQuery(" - "); ok {
		t.Error("empty gpu query accepted")
	}
}
