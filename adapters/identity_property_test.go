package adapters

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/shared"
)

// crossGPU is one physical GPU model and how each provider that sells it
// names it in its own API. For the hyperscalers the name is the machine
// type or billing SKU: their GPU identity comes from that, not a GPU field.
type crossGPU struct {
	id     string // the canonical gpu_id every provider must produce
	vastai []vastName
	runpod *runpodName
	lambda []lambdaName
	azure  []string // armSkuName
	aws    []string // instance type
	gcp    *gcpName
}

// sellers counts the providers the table lists for g.
func (g crossGPU) sellers() int {
	n := 0
	for _, sells := range []bool{len(g.vastai) > 0, g.runpod != nil, len(g.lambda) > 0, len(g.azure) > 0, len(g.aws) > 0, g.gcp != nil} {
		if sells {
			n++
		}
	}
	return n
}

type vastName struct {
	gpuName string
	ramMiB  int
}

type runpodName struct {
	id, display string
	memGB       int
}

type lambdaName struct {
	slug, gpuDescription string // e.g. "h100_sxm5", "H100 (80 GB SXM5)"
}

type gcpName struct {
	gpuSKU, family string   // "Nvidia H100 80GB GPU", "A3"
	regions        []string // where the family's GPUs are sold
}

// crossGPUs are the models sold by several providers, spelled as each
// provider's API spells them (see the per-adapter fixtures and simulator).
var crossGPUs = []crossGPU{
	{id: "nvidia-h100-sxm-80gb",
		vastai: []vastName{{"H100 SXM", 81559}},
		runpod: &runpodName{"NVIDIA H100 80GB HBM3", "H100 SXM", 80},
		lambda: []lambdaName{{"h100_sxm5", "H100 (80 GB SXM5)"}},
		azure:  []string{"Standard_ND96isr_H100_v5"},
		aws:    []string{"p5.48xlarge", "p5.4xlarge"},
		gcp:    &gcpName{"Nvidia H100 80GB GPU", "A3", []string{"us-central1", "us-east4", "europe-west4", "asia-northeast1"}}},
	{id: "nvidia-h100-pcie-80gb",
		vastai: []vastName{{"H100 PCIE", 81559}},
		runpod: &runpodName{"NVIDIA H100 PCIe", "H100 PCIe", 80},
		lambda: []lambdaName{{"h100_pcie", "H100 (80 GB PCIe)"}}},
	{id: "nvidia-h100-nvl-94gb",
		vastai: []vastName{{"H100 NVL", 95830}},
		runpod: &runpodName{"NVIDIA H100 NVL", "H100 NVL", 94},
		azure:  []string{"Standard_NC40ads_H100_v5", "Standard_NC80adis_H100_v5"}},
	{id: "nvidia-a100-sxm-80gb",
		vastai: []vastName{{"A100 SXM4", 81920}},
		runpod: &runpodName{"NVIDIA A100-SXM4-80GB", "A100 SXM", 80},
		lambda: []lambdaName{{"a100_80gb_sxm4", "A100 (80 GB SXM4)"}},
		azure:  []string{"Standard_ND96amsr_A100_v4"},
		aws:    []string{"p4de.24xlarge"},
		gcp:    &gcpName{"Nvidia Tesla A100 80GB GPU", "A2", []string{"us-central1", "europe-west4", "asia-southeast1"}}},
	{id: "nvidia-a100-sxm-40gb",
		vastai: []vastName{{"A100 SXM4", 40960}},
		lambda: []lambdaName{{"a100_sxm4", "A100 (40 GB SXM4)"}},
		azure:  []string{"Standard_ND96asr_v4"},
		aws:    []string{"p4d.24xlarge"},
		gcp:    &gcpName{"Nvidia Tesla A100 GPU", "A2", []string{"us-central1", "europe-west4", "asia-northeast1"}}},
	{id: "nvidia-a100-pcie-80gb",
		vastai: []vastName{{"A100 PCIE", 81920}},
		runpod: &runpodName{"NVIDIA A100 80GB PCIe", "A100 PCIe", 80},
		azure:  []string{"Standard_NC24ads_A100_v4", "Standard_NC96ads_A100_v4"}},
	{id: "nvidia-a100-pcie-40gb",
		vastai: []vastName{{"A100 PCIE", 40960}},
		lambda: []lambdaName{{"a100", "A100 (40 GB PCIe)"}}},
	{id: "nvidia-l40s-48gb",
		vastai: []vastName{{"L40S", 46068}},
		runpod: &runpodName{"NVIDIA L40S", "L40S", 48},
		aws:    []string{"g6e.xlarge", "g6e.12xlarge"}},
	{id: "nvidia-rtx-4090-24gb",
		vastai: []vastName{{"RTX 4090", 24564}},
		runpod: &runpodName{"NVIDIA GeForce RTX 4090", "RTX 4090", 24}},
	{id: "amd-mi300x-oam-192gb",
		runpod: &runpodName{"AMD Instinct MI300X OAM", "MI300X", 192},
		azure:  []string{"Standard_ND96isr_MI300X_v5"}},
}

// draws are the random parts of one listing, shared by every builder.
type draws struct {
	t      *rapid.T
	price  float64 // per GPU-hour, USD
	count  int
	region int // index into the provider's region list
}

func (d draws) pick(n int, label string) int {
	return rapid.IntRange(0, n-1).Draw(d.t, label)
}

// crossParsers build a provider's real payload for one GPU, decode it into
// the adapter's response type as Fetch does, and run its parser. A nil
// result means the provider does not sell the GPU.
var crossParsers = map[string]func(g crossGPU, d draws) ([]shared.Offer, error){
	"vastai": func(g crossGPU, d draws) ([]shared.Offer, error) {
		if len(g.vastai) == 0 {
			return nil, nil
		}
		n := g.vastai[d.pick(len(g.vastai), "vast_name")]
		geo := []string{"Texas, US", "Bavaria, DE", "Quebec, CA", "Sweden, SE", "Taiwan, TW"}[d.region%5]
		body := mustJSON(map[string]any{"offers": []map[string]any{{
			"id": 20000000 + d.count, "ask_contract_id": 20000000 + d.count, "machine_id": 31207,
			"gpu_name": n.gpuName, "num_gpus": d.count, "gpu_ram": n.ramMiB, "gpu_total_ram": n.ramMiB * d.count,
			"cpu_cores": 64, "cpu_cores_effective": 8 * d.count, "cpu_ram": 257948, "disk_space": 500,
			"dph_base": d.price * float64(d.count), "dph_total": d.price*float64(d.count) + 0.01, "min_bid": d.price / 2,
			"geolocation": geo, "verification": "verified", "rentable": true, "rented": false, "hosting_type": 1,
		}}})
		var resp vastResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			return nil, err
		}
		return parseVastAI(resp, testOrigin(vastaiInfo, "https://console.vast.ai"))
	},
	"runpod": func(g crossGPU, d draws) ([]shared.Offer, error) {
		if g.runpod == nil {
			return nil, nil
		}
		dc := []string{"US-TX-3", "EU-RO-1", "CA-MTL-1", "EU-SE-1"}[d.region%4]
		count := []int{1, 2, 4, 8}[d.count%4]
		cat := mustJSON(map[string]any{
			"countryCodes": []string{"US"},
			"dataCenters":  []map[string]any{{"id": dc, "listed": true}},
			"gpuTypes": []map[string]any{{
				"id": g.runpod.id, "displayName": g.runpod.display, "memoryInGb": g.runpod.memGB, "maxGpuCount": 8,
				"maxGpuCountSecureCloud": 8, "maxGpuCountCommunityCloud": 8, "secureCloud": true, "communityCloud": true,
				"securePrice": d.price, "communityPrice": d.price * 0.9, "secureSpotPrice": d.price / 2, "communitySpotPrice": d.price / 3,
			}},
		})
		alias := runpodSlot{Secure: true, Location: dc, Count: count}.alias()
		prices := mustJSON(map[string]any{"gpuTypes": []map[string]any{{
			"id": g.runpod.id, "__typename": "GpuType",
			alias: map[string]any{"minimumBidPrice": d.price / 2, "uninterruptablePrice": d.price,
				"minVcpu": 8 * count, "minMemory": 60 * count, "stockStatus": "High", "compliance": []string{"SOC_2_TYPE_2"}},
		}}})
		var c runpodCatalog
		var p struct {
			GPUTypes []runpodPricedType `json:"gpuTypes"`
		}
		if err := json.Unmarshal(cat, &c); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(prices, &p); err != nil {
			return nil, err
		}
		return parseRunPod(c, p.GPUTypes, testOrigin(runpodInfo, "https://api.runpod.io/graphql"))
	},
	"lambda": func(g crossGPU, d draws) ([]shared.Offer, error) {
		if len(g.lambda) == 0 {
			return nil, nil
		}
		n := g.lambda[d.pick(len(g.lambda), "lambda_name")]
		count := []int{1, 2, 4, 8}[d.count%4]
		name := fmt.Sprintf("gpu_%dx_%s", count, n.slug)
		region := []string{"us-east-1", "us-west-1", "europe-central-1", "asia-northeast-1"}[d.region%4]
		body := mustJSON(map[string]any{"data": map[string]any{name: map[string]any{
			"instance_type": map[string]any{
				"name": name, "description": fmt.Sprintf("%dx %s", count, n.gpuDescription), "gpu_description": n.gpuDescription,
				"price_cents_per_hour": int(math.Round(d.price * float64(count) * 100)),
				"specs":                map[string]any{"vcpus": 26 * count, "memory_gib": 200 * count, "storage_gib": 1000 * count, "gpus": count},
			},
			"regions_with_capacity_available": []map[string]any{{"name": region, "description": region}},
		}}})
		var resp lambdaResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			return nil, err
		}
		return parseLambda(resp, testOrigin(lambdaInfo, "https://cloud.lambda.ai"))
	},
	"azure": func(g crossGPU, d draws) ([]shared.Offer, error) {
		if len(g.azure) == 0 {
			return nil, nil
		}
		arm := g.azure[d.pick(len(g.azure), "azure_size")]
		region := []string{"eastus", "westeurope", "southcentralus", "japaneast"}[d.region%4]
		sku := strings.ReplaceAll(strings.TrimPrefix(arm, "Standard_"), "_", " ")
		row := func(price float64, skuName, product string) map[string]any {
			return map[string]any{"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": price, "unitPrice": price,
				"armRegionName": region, "location": region, "effectiveStartDate": "2025-06-01T00:00:00Z",
				"meterName": skuName, "productName": product, "skuName": skuName, "serviceName": "Virtual Machines",
				"serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
				"isPrimaryMeterRegion": true, "armSkuName": arm}
		}
		series := "Virtual Machines " + strings.Fields(sku)[0] + " Series"
		total := d.price * 8
		body := mustJSON(map[string]any{"BillingCurrency": "USD", "Items": []map[string]any{
			row(total, sku, series), row(total/3, sku+" Spot", series), row(total*1.3, sku, series+" Windows"),
		}})
		var resp azurePricesResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			return nil, err
		}
		return parseAzure(resp, testOrigin(azureInfo, "https://prices.azure.com/api/retail/prices"))
	},
	"aws": func(g crossGPU, d draws) ([]shared.Offer, error) {
		if len(g.aws) == 0 {
			return nil, nil
		}
		it := g.aws[d.pick(len(g.aws), "aws_type")]
		region := []string{"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"}[d.region%4]
		gpus := map[string]string{"p5.48xlarge": "8", "p5.4xlarge": "1", "p4de.24xlarge": "8", "p4d.24xlarge": "8",
			"g6e.xlarge": "1", "g6e.12xlarge": "4"}[it]
		n, _ := strconv.Atoi(gpus)
		sku := "CROSS" + strings.ToUpper(strings.NewReplacer(".", "", "x", "X").Replace(it))
		body := "{" + awsTestHead + `,"products":{` +
			awsTestProduct(sku, "Compute Instance", it, map[string]string{"regionCode": region, "gpu": gpus, "vcpu": "96", "memory": "1,152 GiB"}) +
			`},"terms":{"OnDemand":{` + awsTestTerm(sku, "JRTCKXETXF", "Hrs", strconv.FormatFloat(d.price*float64(n), 'f', 4, 64)) + `}}}`
		return parseAWSOffers(strings.NewReader(body), region, testOrigin(awsInfo, "https://pricing.us-east-1.amazonaws.com"))
	},
	"gcp": func(g crossGPU, d draws) ([]shared.Offer, error) {
		if g.gcp == nil {
			return nil, nil
		}
		region := g.gcp.regions[d.pick(len(g.gcp.regions), "gcp_region")]
		price := func(usd float64) map[string]any {
			units := math.Floor(usd)
			return map[string]any{"currencyCode": "USD", "units": strconv.Itoa(int(units)), "nanos": int((usd - units) * 1e9)}
		}
		sku := func(id, desc, family, group, unit string, usd float64) map[string]any {
			return map[string]any{"skuId": id, "description": desc + " running in " + region,
				"category":       map[string]any{"serviceDisplayName": "Compute Engine", "resourceFamily": family, "resourceGroup": group, "usageType": "OnDemand"},
				"serviceRegions": []string{region},
				"pricingInfo":    []map[string]any{{"pricingExpression": map[string]any{"usageUnit": unit, "tieredRates": []map[string]any{{"startUsageAmount": 0, "unitPrice": price(usd)}}}}}}
		}
		body := mustJSON(map[string]any{"skus": []map[string]any{
			sku("C-0001", g.gcp.gpuSKU, "Compute", "GPU", "h", d.price),
			sku("C-0002", g.gcp.family+" Instance Core", "Compute", "CPU", "h", 0.03),
			sku("C-0003", g.gcp.family+" Instance Ram", "Compute", "RAM", "GiBy.h", 0.004),
			sku("C-0004", "SSD backed Local Storage", "Storage", "LocalSSD", "GiBy.mo", 0.08),
		}})
		var page gcpSKUPage
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, err
		}
		return parseGCP(page.SKUs, testOrigin(gcpInfo, "https://cloudbilling.googleapis.com"))
	},
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// For any GPU sold by several providers and any price, count and region,
// every provider's parser turns its own spelling of that GPU into the same
// canonical gpu_id, so a search for one model finds it everywhere.
func TestPropertySameGPUSameIDAcrossProviderPayloads(t *testing.T) {
	for _, g := range crossGPUs {
		if g.sellers() < 2 {
			t.Fatalf("%s: sold by %d providers in the table, want >= 2", g.id, g.sellers())
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		g := crossGPUs[rapid.IntRange(0, len(crossGPUs)-1).Draw(rt, "gpu")]
		d := draws{t: rt,
			price:  math.Round(rapid.Float64Range(0.2, 12).Draw(rt, "price_per_gpu")*1000) / 1000,
			count:  rapid.IntRange(1, 8).Draw(rt, "count"),
			region: rapid.IntRange(0, 99).Draw(rt, "region")}
		got := map[string]string{} // provider -> gpu_id
		names := make([]string, 0, len(crossParsers))
		for name := range crossParsers {
			names = append(names, name)
		}
		sort.Strings(names) // draws happen in a fixed order, so failures replay
		for _, name := range names {
			offers, err := crossParsers[name](g, d)
			if err != nil {
				rt.Fatalf("%s: parsing its %s payload: %v", name, g.id, err)
			}
			if offers == nil {
				continue
			}
			if len(offers) == 0 {
				rt.Fatalf("%s: no offer parsed from its %s payload", name, g.id)
			}
			for _, o := range offers {
				if err := o.Validate(); err != nil {
					rt.Fatalf("%s: invalid offer %s: %v", name, o.ID, err)
				}
				if o.GPUID != g.id || !o.GPUKnown {
					rt.Fatalf("%s names %s %q: gpu_id %q (known %v), want %q; others gave %v",
						name, g.id, o.ProviderGPUName, o.GPUID, o.GPUKnown, g.id, got)
				}
			}
			got[name] = offers[0].GPUID
		}
		if len(got) != g.sellers() {
			rt.Fatalf("%s: %d providers produced offers (%v), want %d", g.id, len(got), got, g.sellers())
		}
	})
}
