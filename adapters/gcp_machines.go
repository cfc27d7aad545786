package adapters

// The Cloud Billing Catalog prices Compute Engine by component (per GPU, per
// vCPU, per GiB of RAM, per GiB of local SSD), never by machine type, so the
// machine shapes come from these tables, built from the machine type pages:
// https://cloud.google.com/compute/docs/accelerator-optimized-machines
// https://cloud.google.com/compute/docs/gpus
// A machine's hourly price is the sum of its components' rates in a region.

// gcpAccel is one GPU model: the accelerator type name Compute Engine uses
// (what the driver-facing APIs call it), its memory, and the SKU
// descriptions that price it (the text before " running in ", with any
// spot wording removed). Google spells some SKUs several ways across
// regions, hence the lists.
type gcpAccel struct {
	name  string
	memGB float64
	skus  []string
}

var gcpAccels = map[string]gcpAccel{
	"a100-40":  {"nvidia-tesla-a100", 40, []string{"Nvidia Tesla A100 GPU"}},
	"a100-80":  {"nvidia-a100-80gb", 80, []string{"Nvidia Tesla A100 80GB GPU"}},
	"h100":     {"nvidia-h100-80gb", 80, []string{"Nvidia H100 80GB GPU"}},
	"h100mega": {"nvidia-h100-mega-80gb", 80, []string{"Nvidia H100 80GB Mega GPU", "Nvidia H100 Mega 80GB GPU", "Nvidia H100 80GB Plus GPU"}},
	"h200":     {"nvidia-h200-141gb", 141, []string{"H200 141GB GPU", "Nvidia H200 141GB GPU"}},
	"b200":     {"nvidia-b200", 180, []string{"A4 Nvidia B200 (1 gpu slice)"}},
	"l4":       {"nvidia-l4", 24, []string{"Nvidia L4 GPU"}},
	"t4":       {"nvidia-tesla-t4", 16, []string{"Nvidia Tesla T4 GPU"}},
	"v100":     {"nvidia-tesla-v100", 16, []string{"Nvidia Tesla V100 GPU"}},
	"p100":     {"nvidia-tesla-p100", 16, []string{"Nvidia Tesla P100 GPU"}},
	"p4":       {"nvidia-tesla-p4", 8, []string{"Nvidia Tesla P4 GPU"}},
}

// gcpHostFamilies maps the vCPU/RAM SKU descriptions ("<prefix> Core",
// "<prefix> Ram") to the billing family the machine table refers to. A2
// Ultra shares the A2 rates; A3 Mega is billed as "A3Plus".
var gcpHostFamilies = map[string]string{
	"A2 Instance":            "a2",
	"A3 Instance":            "a3",
	"A3Plus Instance":        "a3plus",
	"A3Ultra Instance":       "a3ultra",
	"G2 Instance":            "g2",
	"N1 Predefined Instance": "n1",
}

// gcpLocalSSD is the SKU description of local SSD capacity, billed per
// GiB-month; A2 Ultra and A3 machines come with a fixed amount of it.
const gcpLocalSSD = "SSD backed Local Storage"

// gcpMachine is one GPU machine shape. family names the vCPU/RAM rates;
// it is empty for A4, whose "1 gpu slice" SKU already covers the whole
// machine (Google publishes no A4 vCPU/RAM SKUs). lssdGiB is the bundled
// local SSD, billed on top for the families that carry it.
type gcpMachine struct {
	name          string
	family        string
	accel         string
	gpus          float64
	vcpus, ramGiB float64
	lssdGiB       float64
}

// gcpMachines lists the accelerator-optimized machine types and a few
// common N1 shapes with attached GPUs (N1 takes any vCPU count the GPU
// allows; these are the usual pairings).
var gcpMachines = []gcpMachine{
	{"a2-highgpu-1g", "a2", "a100-40", 1, 12, 85, 0},
	{"a2-highgpu-2g", "a2", "a100-40", 2, 24, 170, 0},
	{"a2-highgpu-4g", "a2", "a100-40", 4, 48, 340, 0},
	{"a2-highgpu-8g", "a2", "a100-40", 8, 96, 680, 0},
	{"a2-megagpu-16g", "a2", "a100-40", 16, 96, 1360, 0},
	{"a2-ultragpu-1g", "a2", "a100-80", 1, 12, 170, 375},
	{"a2-ultragpu-2g", "a2", "a100-80", 2, 24, 340, 750},
	{"a2-ultragpu-4g", "a2", "a100-80", 4, 48, 680, 1500},
	{"a2-ultragpu-8g", "a2", "a100-80", 8, 96, 1360, 3000},
	{"a3-highgpu-1g", "a3", "h100", 1, 26, 234, 750},
	{"a3-highgpu-2g", "a3", "h100", 2, 52, 468, 1500},
	{"a3-highgpu-4g", "a3", "h100", 4, 104, 936, 3000},
	{"a3-highgpu-8g", "a3", "h100", 8, 208, 1872, 6000},
	{"a3-edgegpu-8g", "a3", "h100", 8, 208, 1872, 6000},
	{"a3-megagpu-8g", "a3plus", "h100mega", 8, 208, 1872, 6000},
	{"a3-ultragpu-8g", "a3ultra", "h200", 8, 224, 2952, 12000},
	{"a4-highgpu-8g", "", "b200", 8, 224, 3968, 12000},
	{"g2-standard-4", "g2", "l4", 1, 4, 16, 0},
	{"g2-standard-8", "g2", "l4", 1, 8, 32, 0},
	{"g2-standard-12", "g2", "l4", 1, 12, 48, 0},
	{"g2-standard-16", "g2", "l4", 1, 16, 64, 0},
	{"g2-standard-24", "g2", "l4", 2, 24, 96, 0},
	{"g2-standard-32", "g2", "l4", 1, 32, 128, 0},
	{"g2-standard-48", "g2", "l4", 4, 48, 192, 0},
	{"g2-standard-96", "g2", "l4", 8, 96, 384, 0},
	{"n1-standard-4+1xt4", "n1", "t4", 1, 4, 15, 0},
	{"n1-standard-8+1xt4", "n1", "t4", 1, 8, 30, 0},
	{"n1-standard-16+2xt4", "n1", "t4", 2, 16, 60, 0},
	{"n1-standard-32+4xt4", "n1", "t4", 4, 32, 120, 0},
	{"n1-standard-8+1xv100", "n1", "v100", 1, 8, 30, 0},
	{"n1-standard-16+2xv100", "n1", "v100", 2, 16, 60, 0},
	{"n1-standard-32+4xv100", "n1", "v100", 4, 32, 120, 0},
	{"n1-standard-64+8xv100", "n1", "v100", 8, 64, 240, 0},
	{"n1-standard-8+1xp100", "n1", "p100", 1, 8, 30, 0},
	{"n1-standard-16+2xp100", "n1", "p100", 2, 16, 60, 0},
	{"n1-standard-32+4xp100", "n1", "p100", 4, 32, 120, 0},
	{"n1-standard-8+1xp4", "n1", "p4", 1, 8, 30, 0},
	{"n1-standard-16+2xp4", "n1", "p4", 2, 16, 60, 0},
	{"n1-standard-32+4xp4", "n1", "p4", 4, 32, 120, 0},
}

// gcpRegions maps Compute Engine regions to a country and a state or city.
var gcpRegions = map[string][2]string{
	"us-central1":             {"US", "IA"},
	"us-east1":                {"US", "SC"},
	"us-east4":                {"US", "VA"},
	"us-east5":                {"US", "OH"},
	"us-south1":               {"US", "TX"},
	"us-west1":                {"US", "OR"},
	"us-west2":                {"US", "CA"},
	"us-west3":                {"US", "UT"},
	"us-west4":                {"US", "NV"},
	"northamerica-northeast1": {"CA", "QC"},
	"northamerica-northeast2": {"CA", "ON"},
	"northamerica-south1":     {"MX", ""},
	"southamerica-east1":      {"BR", ""},
	"southamerica-west1":      {"CL", ""},
	"europe-west1":            {"BE", ""},
	"europe-west2":            {"GB", ""},
	"europe-west3":            {"DE", ""},
	"europe-west4":            {"NL", ""},
	"europe-west6":            {"CH", ""},
	"europe-west8":            {"IT", ""},
	"europe-west9":            {"FR", ""},
	"europe-west10":           {"DE", ""},
	"europe-west12":           {"IT", ""},
	"europe-north1":           {"FI", ""},
	"europe-north2":           {"SE", ""},
	"europe-central2":         {"PL", ""},
	"europe-southwest1":       {"ES", ""},
	"asia-east1":              {"TW", ""},
	"asia-east2":              {"HK", ""},
	"asia-northeast1":         {"JP", ""},
	"asia-northeast2":         {"JP", ""},
	"asia-northeast3":         {"KR", ""},
	"asia-south1":             {"IN", ""},
	"asia-south2":             {"IN", ""},
	"asia-southeast1":         {"SG", ""},
	"asia-southeast2":         {"ID", ""},
	"australia-southeast1":    {"AU", ""},
	"australia-southeast2":    {"AU", ""},
	"me-west1":                {"IL", ""},
	"me-central1":             {"QA", ""},
	"me-central2":             {"SA", ""},
	"africa-south1":           {"ZA", ""},
}
