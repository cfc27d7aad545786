package simulator

import (
	"math"
	"math/rand/v2"
	"net/http"
)

// Oracle Cloud: the public Cost Estimator data files, no authentication.
// GET /a/ocom/docs/cloudestimator2/data/products.json is the price list
// ({"items": [{"partNumber", "displayName", "metricName", "serviceCategory",
// "billingModel", "pricetype", "currencyCodeLocalizations": [...]}]}) and
// GET /a/ocom/docs/cloudestimator2/data/shapes.json the compute shapes that
// reference its part numbers.
//
// OCI prices part numbers, not instances, and the price is the same in every
// region, so inventory items are price-list parts (Region empty; GPU parts
// are priced per GPU-hour). The shapes are a fixed table. OCI publishes no
// stock, so Stock is not rendered; what the estimator does have is hidden
// shapes, and the table holds a retired one.
func init() {
	registerProvider(providerSim{name: "oci", inventory: ociInventory, handler: ociHandler})
}

type ociPart struct {
	part, display, metric, category, priceType string
	usd                                        float64
	gpu                                        string // model the part prices, "" for other services
	gpuMem                                     float64
	freeUpTo                                   float64 // tiered parts: the first range is free
}

// ociParts follows the real price list: GPU parts billed "GPU Per Hour"
// (including a software licence that shares the metric but is no shape's
// part), compute parts for CPU shapes, and unrelated services.
var ociParts = []ociPart{
	{"B88514", "Compute - GPU Standard - V2", "GPU Per Hour", "Compute - GPU", "HOUR", 1.275, "P100", 16, 0},
	{"B89734", "Compute - Virtual Machine GPU Standard - X7", "GPU Per Hour", "Compute - GPU", "HOUR", 2.95, "V100", 16, 0},
	{"B92740", "Compute - GPU - E3", "GPU Per Hour", "Compute - GPU", "HOUR", 3.05, "A100", 40, 0},
	{"B95907", "Compute - GPU - A100 - v2", "GPU Per Hour", "Compute - GPU", "HOUR", 4.00, "A100", 80, 0},
	{"B95909", "Compute  - GPU - A10", "GPU Per Hour", "Compute - GPU", "HOUR", 2.00, "A10", 24, 0},
	{"B109479", "Compute - GPU - L40S", "GPU Per Hour", "Compute - GPU", "HOUR", 3.50, "L40S", 48, 0},
	{"B98415", "Oracle Cloud Infrastructure - Compute - GPU - H100", "GPU Per Hour", "Compute - GPU", "HOUR", 10.00, "H100", 80, 0},
	{"B110519", "OCI - Compute - GPU - H200", "GPU Per Hour", "Compute - GPU", "HOUR", 10.00, "H200", 141, 0},
	{"B110978", "OCI - Compute - GPU - B200", "GPU Per Hour", "Compute - GPU", "HOUR", 14.00, "B200", 180, 0},
	{"B110979", "OCI - Compute - GPU - GB200", "GPU Per Hour", "Compute - GPU", "HOUR", 16.00, "GB200", 186, 0},
	{"B109485", "OCI - Compute - GPU - MI300X", "GPU Per Hour", "Compute - GPU", "HOUR", 6.00, "MI300X", 192, 0},
	{"B111758", "OCI- Compute - GPU - MI355X", "GPU Per Hour", "Compute - GPU", "HOUR", 8.60, "MI355X", 288, 0},
	{"B112237", "Oracle Cloud Infrastructure - Compute - GPU - B300", "GPU Per Hour", "Compute - GPU", "HOUR", 15.00, "B300", 288, 0},
	{"B112140", "OCI - Compute - GPU - GB300", "GPU Per Hour", "Compute - GPU", "HOUR", 18.00, "GB300", 288, 0},
	{"B112613", "OCI - Compute - GPU - RTX PRO 6000", "GPU Per Hour", "Compute - GPU", "HOUR", 4.50, "RTX PRO 6000", 96, 0},
	{"B111824", "OCI - NVIDIA AI Enterprise - H100", "GPU Per Hour", "Compute - GPU", "HOUR", 2.50, "", 0, 0},
	{"B93113", "Compute - Standard - E4 - OCPU", "OCPU Per Hour", "Compute - Virtual Machine", "HOUR", 0.025, "", 0, 0},
	{"B93114", "Compute - Standard - E4 - Memory", "Gigabyte Per Hour", "Compute - Virtual Machine", "HOUR", 0.0015, "", 0, 0},
	{"B97384", "Compute - Standard - E5 - OCPU", "OCPU Per Hour", "Compute - Virtual Machine", "HOUR", 0.03, "", 0, 0},
	{"B97385", "Compute - Standard - E5 - Memory", "Gigabyte Per Hour", "Compute - Virtual Machine", "HOUR", 0.002, "", 0, 0},
	{"B94176", "Compute - Standard - X9 - OCPU", "OCPU Per Hour", "Compute - Virtual Machine", "HOUR", 0.04, "", 0, 0},
	{"B94177", "Compute - Standard - X9 - Memory", "Gigabyte Per Hour", "Compute - Virtual Machine", "HOUR", 0.0015, "", 0, 0},
	{"B93297", "Compute - Ampere A1 - OCPU", "OCPU Per Hour", "Compute - Virtual Machine", "HOUR", 0.01, "", 0, 0},
	{"B93298", "Compute - Ampere A1 - Memory", "Gigabyte Per Hour", "Compute - Virtual Machine", "HOUR", 0.0015, "", 0, 0},
	{"B98202", "Compute - Dense I/O - E5 - OCPU", "OCPU Per Hour", "Compute - Bare Metal", "HOUR", 0.03, "", 0, 0},
	{"B98203", "Compute - Dense I/O - E5 - Memory", "Gigabyte Per Hour", "Compute - Bare Metal", "HOUR", 0.002, "", 0, 0},
	{"B98204", "Compute - Dense I/O - E5 - NVMe", "NVMe Terabyte Per Hour", "Compute - Bare Metal", "HOUR", 0.0612, "", 0, 0},
	{"B88317", "Compute - Standard - X7", "OCPU Per Hour", "Compute - Virtual Machine", "HOUR", 0.0638, "", 0, 0},
	{"B91961", "Storage - Block Volume - Storage", "Gigabyte Storage Capacity Per Month", "Storage - Block Volumes", "MONTH", 0.0255, "", 0, 0},
	{"B91962", "Storage - Block Volume - Performance Units", "Performance Units Per Gigabyte Per Month", "Storage - Block Volumes", "MONTH", 0.0017, "", 0, 0},
	{"B91628", "Object Storage - Storage", "Gigabyte Storage Capacity Per Month", "Storage - Object Storage", "MONTH", 0.0255, "", 0, 10},
	{"B91633", "Archive Storage", "Gigabyte Storage Capacity Per Month", "Storage - Object Storage", "MONTH", 0.0026, "", 0, 10},
	{"B93000", "Infrequent Access Storage", "Gigabyte Storage Capacity Per Month", "Storage - Object Storage", "MONTH", 0.01, "", 0, 0},
	{"B88327", "Networking - Outbound Data Transfer", "Gigabyte Outbound Data Transfer Per Month", "Networking - Data Transfer", "MONTH", 0.0085, "", 0, 10240},
	{"B88326", "OCI - FastConnect 10 Gbps", "Port Hour", "Networking - FastConnect", "HOUR", 1.275, "", 0, 0},
	{"B93030", "OCI - Load Balancer Base", "Load Balancer Hour", "Networking - Load Balancer", "HOUR", 0.0113, "", 0, 0},
	{"B88525", "Oracle Cloud Infrastructure DNS", "1,000,000 Queries", "Networking - DNS", "MONTH", 0.85, "", 0, 0},
	{"B90617", "Oracle Functions - Execution Time", "10,000 GB Memory Seconds", "Application Development - Serverless", "MONTH", 0.1417, "", 0, 0},
	{"B90618", "Oracle Functions - Invocations", "1,000,000 Invocations", "Application Development - Serverless", "MONTH", 0.2, "", 0, 0},
	{"B95702", "Oracle Autonomous Database - ECPU", "ECPU Per Hour", "Database - Autonomous", "HOUR", 0.336, "", 0, 0},
	{"B90570", "Oracle Base Database Service - Enterprise", "OCPU Per Hour", "Database - Base Database Service - Virtual Machine", "HOUR", 0.4301, "", 0, 0},
	{"B90925", "Monitoring - Ingestion", "Million Datapoints", "Observability - Monitoring", "MONTH", 0.0025, "", 0, 0},
	{"B92072", "Oracle Cloud Infrastructure API Gateway - 1,000,000 API Calls", "1,000,000 API Calls Per Month", "Application Development - API Management", "MONTH", 3.00, "", 0, 0},
}

// ociShape is one shapes.json entry; ocpuPart carries the GPU rate on GPU
// shapes, as in the real file.
type ociShape struct {
	name, shapeType, subType, processor string
	gpus, gpuMemTotal, memGB, ocpus     float64
	ocpuPart, memPart, diskPart         string
	diskQty                             float64
	preemptible, hidden                 bool
}

var ociShapes = []ociShape{
	// GPU shapes. gpuMemoryQty is the shape total except for MI355X, which
	// reports one GPU's memory, as the real file does.
	{name: "VM.GPU2.1", shapeType: "vm", subType: "gpu", processor: "intel", gpus: 1, gpuMemTotal: 16, memGB: 72, ocpus: 12, ocpuPart: "B88514", hidden: true},
	{name: "VM.GPU3.1", shapeType: "vm", subType: "gpu", processor: "volta", gpus: 1, gpuMemTotal: 16, memGB: 90, ocpus: 6, ocpuPart: "B89734", preemptible: true},
	{name: "BM.GPU4.8", shapeType: "bm", subType: "gpu", processor: "arm", gpus: 8, gpuMemTotal: 320, memGB: 2048, ocpus: 64, ocpuPart: "B92740"},
	{name: "BM.GPU.A100-v2.8", shapeType: "bm", subType: "gpu", processor: "arm", gpus: 8, gpuMemTotal: 640, memGB: 2048, ocpus: 128, ocpuPart: "B95907"},
	{name: "VM.GPU.A10.1", shapeType: "vm", subType: "gpu", processor: "arm", gpus: 1, gpuMemTotal: 24, memGB: 240, ocpus: 15, ocpuPart: "B95909", preemptible: true},
	{name: "BM.GPU.A10.4", shapeType: "bm", subType: "gpu", processor: "arm", gpus: 4, gpuMemTotal: 96, memGB: 1024, ocpus: 64, ocpuPart: "B95909"},
	{name: "BM.GPU.L40S.4", shapeType: "bm", subType: "gpu", processor: "intel", gpus: 4, gpuMemTotal: 192, memGB: 1024, ocpus: 112, ocpuPart: "B109479"},
	{name: "BM.GPU.H100.8", shapeType: "bm", subType: "gpu", processor: "hopper", gpus: 8, gpuMemTotal: 640, memGB: 2048, ocpus: 112, ocpuPart: "B98415"},
	{name: "BM.GPU.H200.8", shapeType: "bm", subType: "gpu", processor: "hopper", gpus: 8, gpuMemTotal: 1128, memGB: 3072, ocpus: 112, ocpuPart: "B110519"},
	{name: "BM.GPU.B200.8", shapeType: "bm", subType: "gpu", processor: "blackwell", gpus: 8, gpuMemTotal: 1440, memGB: 4096, ocpus: 128, ocpuPart: "B110978"},
	{name: "BM.GPU.GB200.4 (NVL72)", shapeType: "bm", subType: "gpu", processor: "blackwell", gpus: 4, gpuMemTotal: 756, memGB: 960, ocpus: 128, ocpuPart: "B110979"},
	{name: "BM.GPU.MI300X.8", shapeType: "bm", subType: "gpu", processor: "amd", gpus: 8, gpuMemTotal: 1536, memGB: 2048, ocpus: 112, ocpuPart: "B109485"},
	{name: "BM.GPU.MI355X.8", shapeType: "bm", subType: "gpu", processor: "amd", gpus: 8, gpuMemTotal: 288, memGB: 3072, ocpus: 128, ocpuPart: "B111758"},
	// CPU shapes; flexible ones carry qty 0 and the allowed range.
	{name: "VM.Standard.E4.Flex", shapeType: "vm", subType: "flexible", processor: "amd", ocpuPart: "B93113", memPart: "B93114", preemptible: true},
	{name: "VM.Standard.E5.Flex", shapeType: "vm", subType: "flexible", processor: "amd", ocpuPart: "B97384", memPart: "B97385", preemptible: true},
	{name: "VM.Standard3.Flex", shapeType: "vm", subType: "flexible", processor: "intel", ocpuPart: "B94176", memPart: "B94177", preemptible: true},
	{name: "VM.Standard.A1.Flex", shapeType: "vm", subType: "flexible", processor: "arm", ocpuPart: "B93297", memPart: "B93298"},
	{name: "BM.Standard.E4.128", shapeType: "bm", subType: "standard", processor: "amd", memGB: 2048, ocpus: 128, ocpuPart: "B93113", memPart: "B93114"},
	{name: "BM.DenseIO.E5.128", shapeType: "bm", subType: "dense", processor: "amd", memGB: 1536, ocpus: 128, ocpuPart: "B98202", memPart: "B98203", diskPart: "B98204", diskQty: 81.6},
	{name: "VM.Standard2.8", shapeType: "vm", subType: "standard", processor: "intel", memGB: 120, ocpus: 8, ocpuPart: "B88317"},
}

// ociCurrencies are the localizations rendered besides USD, at fixed rates.
var ociCurrencies = []struct {
	code string
	rate float64
}{{"EUR", 0.92}, {"GBP", 0.79}, {"JPY", 150}}

// ociInventory holds one item per price-list part at its list price; the
// price list is Oracle's, so nothing is drawn from r.
func ociInventory(_ *rand.Rand) []Item {
	items := make([]Item, 0, len(ociParts))
	for _, p := range ociParts {
		it := Item{ID: p.part, GPU: p.gpu, GPUMemGB: p.gpuMem, Price: p.usd, Stock: 1}
		if p.gpu != "" {
			it.GPUCount = 1 // GPU parts price one GPU-hour
		}
		items = append(items, it)
	}
	return items
}

func ociHandler(p *Provider) http.Handler {
	parts := map[string]ociPart{}
	for _, op := range ociParts {
		parts[op.part] = op
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a/ocom/docs/cloudestimator2/data/products.json", func(w http.ResponseWriter, _ *http.Request) {
		snap := p.Snapshot()
		items := make([]map[string]any, 0, len(snap))
		for _, it := range snap {
			op := parts[it.ID]
			locs := []map[string]any{{"currencyCode": "USD", "prices": ociPrices(it.Price, op.freeUpTo)}}
			for _, c := range ociCurrencies {
				locs = append(locs, map[string]any{"currencyCode": c.code, "prices": ociPrices(it.Price*c.rate, op.freeUpTo)})
			}
			items = append(items, map[string]any{
				"partNumber":                it.ID,
				"displayName":               op.display,
				"metricName":                op.metric,
				"serviceCategory":           op.category,
				"billingModel":              "UCM",
				"pricetype":                 op.priceType,
				"currencyCodeLocalizations": locs,
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{"lastUpdated": "2026-11-20T09:14:02.117Z", "items": items})
	})
	mux.HandleFunc("GET /a/ocom/docs/cloudestimator2/data/shapes.json", func(w http.ResponseWriter, _ *http.Request) {
		items := make([]map[string]any, 0, len(ociShapes))
		for _, s := range ociShapes {
			items = append(items, ociShapeJSON(s))
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "count": len(items)})
	})
	return mux
}

// ociPrices renders one PAY_AS_YOU_GO price, or two ranges for a part whose
// first freeUpTo units are free.
func ociPrices(v, freeUpTo float64) []map[string]any {
	v = math.Round(v*1e4) / 1e4
	if freeUpTo > 0 {
		return []map[string]any{
			{"model": "PAY_AS_YOU_GO", "value": 0, "rangeMin": 0, "rangeMax": freeUpTo, "rangeUnit": "GB"},
			{"model": "PAY_AS_YOU_GO", "value": v, "rangeMin": freeUpTo, "rangeMax": 999999999999, "rangeUnit": "GB"},
		}
	}
	return []map[string]any{{"model": "PAY_AS_YOU_GO", "value": v}}
}

func ociShapeJSON(s ociShape) map[string]any {
	flexible := s.subType == "flexible"
	product := func(part, kind string, qty float64) map[string]any {
		m := map[string]any{"partNumber": part, "qty": qty, "type": map[string]string{"value": kind}}
		if flexible {
			m["qty"] = 0
			if kind == "ocpu" {
				m["min"], m["max"] = 1, 64
			} else {
				m["min"], m["max"] = 1, 1024
			}
		}
		return m
	}
	products := []map[string]any{product(s.ocpuPart, "ocpu", s.ocpus)}
	if s.memPart != "" {
		products = append(products, product(s.memPart, "memory", s.memGB))
	}
	if s.diskPart != "" {
		products = append(products, product(s.diskPart, "disk", s.diskQty))
	}
	var gpuQty, gpuMem any // null on CPU shapes, as in the real file
	if s.gpus > 0 {
		gpuQty, gpuMem = s.gpus, s.gpuMemTotal
	}
	return map[string]any{
		"name":             s.name,
		"hidden":           s.hidden,
		"status":           "ACTIVE",
		"allowPreemptible": s.preemptible,
		"bundleMemoryQty":  s.memGB,
		"gpuQty":           gpuQty,
		"gpuMemoryQty":     gpuMem,
		"processorType":    map[string]string{"value": s.processor},
		"shapeType":        map[string]string{"value": s.shapeType},
		"subType":          map[string]string{"value": s.subType},
		"products":         products,
	}
}
