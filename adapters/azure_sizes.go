package adapters

import "strings"

// azureSize is what Azure's VM size documentation says about one GPU size.
// The Retail Prices API carries only the size name (armSkuName), so the GPU
// model, count and host shape come from this table.
type azureSize struct {
	// gpu is the accelerator as Azure's size pages name it, with form factor
	// and memory spelled out so the catalog lookup is unambiguous.
	gpu string
	// gpuMemGB is the memory of one whole GPU (not of the VM's share of it).
	gpuMemGB float64
	// gpus is the number of GPUs; fractional where Azure sells a partition
	// of one GPU (NV6ads_A10_v5 is a sixth of an A10).
	gpus  float64
	vcpus float64
	ramGB float64 // GiB, as the size tables give it
}

// azureSizes maps armSkuName to its specs, from the per-series pages under
// https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/.
// Sizes missing here (FPGA NP-series, retired K80/P100/P40 sizes) are
// skipped: without specs there is no GPU count to offer.
var azureSizes = map[string]azureSize{
	// NCv3: V100 16 GB PCIe.
	"Standard_NC6s_v3":   {"NVIDIA Tesla V100 PCIe 16GB", 16, 1, 6, 112},
	"Standard_NC12s_v3":  {"NVIDIA Tesla V100 PCIe 16GB", 16, 2, 12, 224},
	"Standard_NC24s_v3":  {"NVIDIA Tesla V100 PCIe 16GB", 16, 4, 24, 448},
	"Standard_NC24rs_v3": {"NVIDIA Tesla V100 PCIe 16GB", 16, 4, 24, 448},
	// NDv2: eight V100 32 GB SXM2 with NVLink.
	"Standard_ND40rs_v2": {"NVIDIA Tesla V100 SXM2 32GB", 32, 8, 40, 672},
	// NCasT4_v3: T4 16 GB.
	"Standard_NC4as_T4_v3":  {"NVIDIA Tesla T4", 16, 1, 4, 28},
	"Standard_NC8as_T4_v3":  {"NVIDIA Tesla T4", 16, 1, 8, 56},
	"Standard_NC16as_T4_v3": {"NVIDIA Tesla T4", 16, 1, 16, 110},
	"Standard_NC64as_T4_v3": {"NVIDIA Tesla T4", 16, 4, 64, 440},
	// NC A100 v4: A100 80 GB PCIe.
	"Standard_NC24ads_A100_v4": {"NVIDIA A100 PCIe 80GB", 80, 1, 24, 220},
	"Standard_NC48ads_A100_v4": {"NVIDIA A100 PCIe 80GB", 80, 2, 48, 440},
	"Standard_NC96ads_A100_v4": {"NVIDIA A100 PCIe 80GB", 80, 4, 96, 880},
	// ND A100 v4: eight A100 40 GB SXM4.
	"Standard_ND96asr_v4": {"NVIDIA A100 SXM4 40GB", 40, 8, 96, 900},
	// NDm A100 v4: eight A100 80 GB SXM4.
	"Standard_ND96amsr_A100_v4": {"NVIDIA A100 SXM4 80GB", 80, 8, 96, 1900},
	// ND H100 v5: eight H100 80 GB SXM5.
	"Standard_ND96isr_H100_v5": {"NVIDIA H100 SXM5 80GB", 80, 8, 96, 1900},
	// NCads H100 v5 and its confidential twin NCCads H100 v5: H100 NVL 94 GB.
	"Standard_NC40ads_H100_v5":  {"NVIDIA H100 NVL 94GB", 94, 1, 40, 320},
	"Standard_NC80adis_H100_v5": {"NVIDIA H100 NVL 94GB", 94, 2, 80, 640},
	"Standard_NCC40ads_H100_v5": {"NVIDIA H100 NVL 94GB", 94, 1, 40, 320},
	// ND H200 v5: eight H200 141 GB SXM.
	"Standard_ND96isr_H200_v5": {"NVIDIA H200 SXM 141GB", 141, 8, 96, 1850},
	// ND MI300X v5: eight AMD Instinct MI300X 192 GB.
	"Standard_ND96isr_MI300X_v5": {"AMD Instinct MI300X 192GB", 192, 8, 96, 1850},
	// NVadsA10 v5: partitions of an A10 (4, 8, 12 GiB frame buffer) up to two
	// whole GPUs.
	"Standard_NV6ads_A10_v5":   {"NVIDIA A10", 24, 1.0 / 6, 6, 55},
	"Standard_NV12ads_A10_v5":  {"NVIDIA A10", 24, 1.0 / 3, 12, 110},
	"Standard_NV18ads_A10_v5":  {"NVIDIA A10", 24, 1.0 / 2, 18, 220},
	"Standard_NV36ads_A10_v5":  {"NVIDIA A10", 24, 1, 36, 440},
	"Standard_NV36adms_A10_v5": {"NVIDIA A10", 24, 1, 36, 880},
	"Standard_NV72ads_A10_v5":  {"NVIDIA A10", 24, 2, 72, 880},
	// NGads V620: partitions of an AMD Radeon PRO V620 32 GB.
	"Standard_NG8ads_V620_v1":   {"AMD Radeon PRO V620", 32, 1.0 / 4, 8, 16},
	"Standard_NG16ads_V620_v1":  {"AMD Radeon PRO V620", 32, 1.0 / 2, 16, 32},
	"Standard_NG32ads_V620_v1":  {"AMD Radeon PRO V620", 32, 1, 32, 64},
	"Standard_NG32adms_V620_v1": {"AMD Radeon PRO V620", 32, 1, 32, 176},
	// NVv3: Tesla M60 (8 GiB per GPU).
	"Standard_NV12s_v3": {"NVIDIA Tesla M60", 8, 1, 12, 112},
	"Standard_NV24s_v3": {"NVIDIA Tesla M60", 8, 2, 24, 224},
	"Standard_NV48s_v3": {"NVIDIA Tesla M60", 8, 4, 48, 448},
	// NVv4: partitions of an AMD Radeon Instinct MI25 16 GB.
	"Standard_NV4as_v4":  {"AMD Radeon Instinct MI25", 16, 1.0 / 8, 4, 14},
	"Standard_NV8as_v4":  {"AMD Radeon Instinct MI25", 16, 1.0 / 4, 8, 28},
	"Standard_NV16as_v4": {"AMD Radeon Instinct MI25", 16, 1.0 / 2, 16, 56},
	"Standard_NV32as_v4": {"AMD Radeon Instinct MI25", 16, 1, 32, 112},
}

// azureSizesFolded indexes azureSizes case-insensitively: armSkuName casing
// is not guaranteed (the same size has appeared as "Standard_NC40ADS_H100_V5").
var azureSizesFolded = func() map[string]string {
	m := make(map[string]string, len(azureSizes))
	for name := range azureSizes {
		m[strings.ToLower(name)] = name
	}
	return m
}()

// lookupAzureSize returns the canonical size name and its specs.
func lookupAzureSize(armSkuName string) (string, azureSize, bool) {
	name, ok := azureSizesFolded[strings.ToLower(strings.TrimSpace(armSkuName))]
	if !ok {
		return "", azureSize{}, false
	}
	return name, azureSizes[name], true
}
