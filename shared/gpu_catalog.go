package shared

// GPUSpec is one canonical GPU identity: vendor, model, form factor and
// memory. Two offers describe the same physical GPU exactly when their
// GPUSpec.ID is equal.
type GPUSpec struct {
	ID         string // e.g. "nvidia-h100-sxm-80gb"
	Vendor     string // nvidia, amd, intel
	Model      string // canonical short model, e.g. "H100", "RTX 4090", "MI300X"
	FormFactor string // SXM, PCIe, NVL, OAM, or "" where the model has one form
	MemoryGB   int
	Name       string // display name
	// Keys are the normalized spellings (see gpuKey) that name this model;
	// the first one is derived from Model and need not be listed.
	Keys []string
	// Default marks the variant chosen when a provider names the model but
	// gives neither memory nor form factor.
	Default bool
}

// gpu builds a catalog entry; ff and keys are optional.
func gpu(vendor, model, ff string, memGB int, def bool, keys ...string) GPUSpec {
	return GPUSpec{Vendor: vendor, Model: model, FormFactor: ff, MemoryGB: memGB, Default: def, Keys: keys}
}

// catalogEntries is the hand-maintained list of known accelerators. Keys list
// the extra spellings providers use after normalization (vendor words,
// spaces and punctuation removed, upper case).
var catalogEntries = []GPUSpec{
	// NVIDIA data-centre, Blackwell
	gpu("nvidia", "GB300", "", 288, true),
	gpu("nvidia", "B300", "SXM", 288, true),
	gpu("nvidia", "GB200", "", 186, true),
	gpu("nvidia", "B200", "SXM", 180, true),
	gpu("nvidia", "B100", "SXM", 192, true),
	// Hopper
	gpu("nvidia", "H200", "SXM", 141, true),
	gpu("nvidia", "H200", "NVL", 141, false),
	gpu("nvidia", "GH200", "", 96, true),
	gpu("nvidia", "GH200", "", 144, false),
	gpu("nvidia", "H100", "SXM", 80, true),
	gpu("nvidia", "H100", "PCIe", 80, false),
	gpu("nvidia", "H100", "NVL", 94, false),
	gpu("nvidia", "H800", "SXM", 80, true),
	gpu("nvidia", "H800", "PCIe", 80, false),
	// Ampere data-centre
	gpu("nvidia", "A100", "SXM", 80, true),
	gpu("nvidia", "A100", "SXM", 40, false),
	gpu("nvidia", "A100", "PCIe", 80, false),
	gpu("nvidia", "A100", "PCIe", 40, false),
	gpu("nvidia", "A100X", "PCIe", 80, true),
	gpu("nvidia", "A800", "SXM", 80, true),
	gpu("nvidia", "A800", "PCIe", 40, false),
	gpu("nvidia", "A40", "", 48, true),
	gpu("nvidia", "A30", "", 24, true),
	gpu("nvidia", "A10", "", 24, true),
	gpu("nvidia", "A10G", "", 24, true),
	gpu("nvidia", "A16", "", 16, true),
	gpu("nvidia", "A2", "", 16, true),
	// Ada / Hopper inference
	gpu("nvidia", "L40S", "", 48, true),
	gpu("nvidia", "L40", "", 48, true),
	gpu("nvidia", "L4", "", 24, true),
	gpu("nvidia", "L20", "", 48, true),
	// Older data-centre
	gpu("nvidia", "T4", "", 16, true, "T4G"),
	gpu("nvidia", "V100", "SXM", 16, true),
	gpu("nvidia", "V100", "SXM", 32, false),
	gpu("nvidia", "V100", "PCIe", 16, false),
	gpu("nvidia", "V100", "PCIe", 32, false),
	gpu("nvidia", "V100S", "PCIe", 32, true),
	gpu("nvidia", "P100", "PCIe", 16, true),
	gpu("nvidia", "P40", "", 24, true),
	gpu("nvidia", "P4", "", 8, true),
	gpu("nvidia", "K80", "", 12, true),
	gpu("nvidia", "M60", "", 8, true),
	// Professional / workstation
	gpu("nvidia", "RTX PRO 6000", "", 96, true, "RTXPRO6000BLACKWELL", "RTXPRO6000SERVER", "RTXPRO6000BLACKWELLSERVEREDITION", "RTXPRO6000WORKSTATION", "RTXPRO6000BLACKWELLWORKSTATIONEDITION", "RTXPRO6000S", "RTXPRO6000WK", "RTXPRO6000B", "RTXPRO6000SE"),
	gpu("nvidia", "RTX PRO 4500", "", 32, true, "RTXPRO4500BLACKWELL"),
	gpu("nvidia", "RTX 6000 Ada", "", 48, true, "RTX6000ADAGENERATION", "6000ADA", "RTX6000ADA", "L6000"),
	gpu("nvidia", "RTX 5880 Ada", "", 48, true, "RTX5880ADAGENERATION", "5880ADA"),
	gpu("nvidia", "RTX 5000 Ada", "", 32, true, "RTX5000ADAGENERATION", "5000ADA"),
	gpu("nvidia", "RTX 4500 Ada", "", 24, true, "RTX4500ADAGENERATION", "4500ADA"),
	gpu("nvidia", "RTX 4000 Ada", "", 20, true, "RTX4000ADAGENERATION", "4000ADA", "RTX4000SFFADA", "RTX4000SFFADAGENERATION"),
	gpu("nvidia", "RTX 2000 Ada", "", 16, true, "RTX2000ADAGENERATION", "2000ADA"),
	gpu("nvidia", "RTX A6000", "", 48, true, "A6000"),
	gpu("nvidia", "RTX A5000", "", 24, true, "A5000"),
	gpu("nvidia", "RTX A4500", "", 20, true, "A4500"),
	gpu("nvidia", "RTX A4000", "", 16, true, "A4000"),
	gpu("nvidia", "RTX A2000", "", 12, true, "A2000"),
	gpu("nvidia", "RTX A2000", "", 6, false, "A2000"),
	gpu("nvidia", "Quadro RTX 8000", "", 48, true, "RTX8000"),
	gpu("nvidia", "Quadro RTX 6000", "", 24, true, "RTX6000"),
	gpu("nvidia", "Quadro RTX 5000", "", 16, true, "RTX5000"),
	gpu("nvidia", "Quadro RTX 4000", "", 8, true, "RTX4000"),
	// GeForce
	gpu("nvidia", "RTX 5090", "", 32, true, "5090"),
	gpu("nvidia", "RTX 5080", "", 16, true, "5080"),
	gpu("nvidia", "RTX 5070 Ti", "", 16, true, "5070TI"),
	gpu("nvidia", "RTX 5070", "", 12, true, "5070"),
	gpu("nvidia", "RTX 5060 Ti", "", 16, true, "5060TI"),
	gpu("nvidia", "RTX 4090", "", 24, true, "4090"),
	gpu("nvidia", "RTX 4090", "", 48, false, "4090"), // board-modified 48 GB cards sold on marketplaces
	gpu("nvidia", "RTX 4090D", "", 24, true, "4090D"),
	gpu("nvidia", "RTX 4080 SUPER", "", 16, true, "4080SUPER", "RTX4080S"),
	gpu("nvidia", "RTX 4080", "", 16, true, "4080"),
	gpu("nvidia", "RTX 4070 Ti SUPER", "", 16, true, "4070TISUPER", "RTX4070TIS", "RTX4070STI"),
	gpu("nvidia", "RTX 4070 Ti", "", 12, true, "4070TI"),
	gpu("nvidia", "RTX 4070 SUPER", "", 12, true, "4070SUPER", "RTX4070S"),
	gpu("nvidia", "RTX 4070", "", 12, true, "4070"),
	gpu("nvidia", "RTX 4060 Ti", "", 16, true, "4060TI"),
	gpu("nvidia", "RTX 4060 Ti", "", 8, false, "4060TI"),
	gpu("nvidia", "RTX 4060", "", 8, true, "4060"),
	gpu("nvidia", "RTX 3090 Ti", "", 24, true, "3090TI"),
	gpu("nvidia", "RTX 3090", "", 24, true, "3090"),
	gpu("nvidia", "RTX 3080 Ti", "", 12, true, "3080TI"),
	gpu("nvidia", "RTX 3080", "", 10, true, "3080"),
	gpu("nvidia", "RTX 3080", "", 12, false, "3080"),
	gpu("nvidia", "RTX 3070 Ti", "", 8, true, "3070TI"),
	gpu("nvidia", "RTX 3070", "", 8, true, "3070"),
	gpu("nvidia", "RTX 3060 Ti", "", 8, true, "3060TI"),
	gpu("nvidia", "RTX 3060", "", 12, true, "3060"),
	gpu("nvidia", "RTX 2080 Ti", "", 11, true, "2080TI"),
	gpu("nvidia", "TITAN RTX", "", 24, true),
	gpu("nvidia", "TITAN V", "", 12, true),
	gpu("nvidia", "GTX 1080 Ti", "", 11, true, "1080TI"),
	// AMD Instinct and Radeon
	gpu("amd", "MI355X", "OAM", 288, true),
	gpu("amd", "MI325X", "OAM", 256, true),
	gpu("amd", "MI300X", "OAM", 192, true),
	gpu("amd", "MI300A", "", 128, true),
	gpu("amd", "MI250X", "OAM", 128, true),
	gpu("amd", "MI250", "OAM", 128, true),
	gpu("amd", "MI210", "PCIe", 64, true),
	gpu("amd", "MI100", "PCIe", 32, true),
	gpu("amd", "MI25", "PCIe", 16, true),
	gpu("amd", "Radeon PRO W7900", "", 48, true, "W7900", "PROW7900"),
	gpu("amd", "Radeon PRO W7800", "", 32, true, "W7800", "PROW7800"),
	gpu("amd", "Radeon PRO V620", "", 32, true, "V620", "PROV620"),
	gpu("amd", "Radeon PRO V520", "", 8, true, "V520", "PROV520"),
	gpu("amd", "Radeon RX 7900 XTX", "", 24, true, "RX7900XTX", "7900XTX"),
	// Intel
	gpu("intel", "Gaudi 3", "OAM", 128, true, "GAUDI3", "HL325L", "HL325"),
	gpu("intel", "Gaudi 2", "OAM", 96, true, "GAUDI2", "HL225H"),
	gpu("intel", "Gaudi", "OAM", 32, true, "GAUDI1", "HL205"),
	gpu("intel", "Max 1550", "OAM", 128, true, "MAX1550", "DATACENTERGPUMAX1550"),
	gpu("intel", "Max 1100", "PCIe", 48, true, "MAX1100", "DATACENTERGPUMAX1100"),
}
