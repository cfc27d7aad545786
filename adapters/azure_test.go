package adapters

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// azureDocPayload follows the Retail Prices API response documented at
// https://learn.microsoft.com/en-us/rest/api/cost-management/retail-prices/azure-retail-prices:
// one meter per OS, price type and Spot/Low Priority variant.
const azureDocPayload = `{
  "BillingCurrency": "USD",
  "CustomerEntityId": "Default",
  "CustomerEntityType": "Retail",
  "Items": [
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 3.673, "unitPrice": 3.673,
     "armRegionName": "eastus", "location": "US East", "effectiveStartDate": "2022-06-01T00:00:00Z",
     "meterId": "0a3f6f5e-2b1c-5d7e-9f10-4a2b3c4d5e6f", "meterName": "NC24ads A100 v4",
     "productId": "DZH318Z08M9V", "skuId": "DZH318Z08M9V/00BN", "productName": "Virtual Machines NCadsA100v4 Series",
     "skuName": "NC24ads A100 v4", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NC24ads_A100_v4"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 3.9, "unitPrice": 3.9,
     "armRegionName": "eastus", "location": "US East", "effectiveStartDate": "2023-01-01T00:00:00Z",
     "meterId": "1b4a7a6f-3c2d-5e8f-8a21-5b3c4d5e6f70", "meterName": "NC24ads A100 v4",
     "productId": "DZH318Z08M9V", "skuId": "DZH318Z08M9V/00BN", "productName": "Virtual Machines NCadsA100v4 Series",
     "skuName": "NC24ads A100 v4", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": false, "armSkuName": "Standard_NC24ads_A100_v4"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 0.8036, "unitPrice": 0.8036,
     "armRegionName": "eastus", "location": "US East", "effectiveStartDate": "2024-02-01T00:00:00Z",
     "meterId": "2c5b8b70-4d3e-5f90-9b32-6c4d5e6f7081", "meterName": "NC24ads A100 v4 Spot",
     "productId": "DZH318Z08M9V", "skuId": "DZH318Z08M9V/00BR", "productName": "Virtual Machines NCadsA100v4 Series",
     "skuName": "NC24ads A100 v4 Spot", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NC24ads_A100_v4"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 4.777, "unitPrice": 4.777,
     "armRegionName": "eastus", "location": "US East", "effectiveStartDate": "2022-06-01T00:00:00Z",
     "meterId": "3d6c9c81-5e4f-5a01-8c43-7d5e6f708192", "meterName": "NC24ads A100 v4",
     "productId": "DZH318Z08M9W", "skuId": "DZH318Z08M9W/00BM", "productName": "Virtual Machines NCadsA100v4 Series Windows",
     "skuName": "NC24ads A100 v4", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NC24ads_A100_v4"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 1.9076, "unitPrice": 1.9076,
     "armRegionName": "eastus", "location": "US East", "effectiveStartDate": "2024-02-01T00:00:00Z",
     "meterId": "4e7dad92-6f50-5b12-9d54-8e6f708192a3", "meterName": "NC24ads A100 v4 Spot",
     "productId": "DZH318Z08M9W", "skuId": "DZH318Z08M9W/00BQ", "productName": "Virtual Machines NCadsA100v4 Series Windows",
     "skuName": "NC24ads A100 v4 Spot", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NC24ads_A100_v4"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 3.673, "unitPrice": 3.673,
     "armRegionName": "eastus", "location": "US East", "effectiveStartDate": "2022-06-01T00:00:00Z",
     "meterId": "5f8ebea3-7061-5c23-8e65-9f708192a3b4", "meterName": "NC24ads A100 v4",
     "productId": "DZH318Z08M9W", "skuId": "DZH318Z08M9W/00BM", "productName": "Virtual Machines NCadsA100v4 Series Windows",
     "skuName": "NC24ads A100 v4", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "DevTestConsumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NC24ads_A100_v4"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 0.5, "unitPrice": 0.5,
     "armRegionName": "westeurope", "location": "EU West", "effectiveStartDate": "2022-09-01T00:00:00Z",
     "meterId": "6a9fcfb4-8172-5d34-9f76-a08192a3b4c5", "meterName": "NV6ads A10 v5",
     "productId": "DZH318Z0D1L7", "skuId": "DZH318Z0D1L7/0011", "productName": "Virtual Machines NVadsA10v5 Series",
     "skuName": "NV6ads A10 v5", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NV6ads_A10_v5"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 39.328, "unitPrice": 39.328,
     "armRegionName": "swedencentral", "location": "SE Central", "effectiveStartDate": "2024-05-01T00:00:00Z",
     "meterId": "7ba0d0c5-9283-5e45-8a87-b192a3b4c5d6", "meterName": "ND96isr H100 v5 Spot",
     "productId": "DZH318Z0HGTN", "skuId": "DZH318Z0HGTN/0006", "productName": "Virtual Machines NDSH100v5 Series",
     "skuName": "ND96isr H100 v5 Spot", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_ND96isr_H100_v5"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 3.06, "unitPrice": 3.06,
     "armRegionName": "southcentralus", "location": "US South Central", "effectiveStartDate": "2018-01-01T00:00:00Z",
     "meterId": "8cb1e1d6-a394-5f56-9b98-c2a3b4c5d6e7", "meterName": "NC6s v3",
     "productId": "DZH318Z0BPH0", "skuId": "DZH318Z0BPH0/00CV", "productName": "Virtual Machines NCSv3 Series",
     "skuName": "NC6s v3", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NC6s_v3"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 0.612, "unitPrice": 0.612,
     "armRegionName": "southcentralus", "location": "US South Central", "effectiveStartDate": "2018-01-01T00:00:00Z",
     "meterId": "9dc2f2e7-b4a5-5067-8ca9-d3b4c5d6e7f8", "meterName": "NC6s v3 Low Priority",
     "productId": "DZH318Z0BPH0", "skuId": "DZH318Z0BPH0/00CW", "productName": "Virtual Machines NCSv3 Series",
     "skuName": "NC6s v3 Low Priority", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NC6s_v3"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 0.0, "unitPrice": 0.0,
     "armRegionName": "eastus2", "location": "US East 2", "effectiveStartDate": "2020-09-01T00:00:00Z",
     "meterId": "aed30308-c5b6-5178-9dba-e4c5d6e7f809", "meterName": "NC4as T4 v3",
     "productId": "DZH318Z0CSHK", "skuId": "DZH318Z0CSHK/0010", "productName": "Virtual Machines NCasT4_v3 Series",
     "skuName": "NC4as T4 v3", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NC4as_T4_v3"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 1.65, "unitPrice": 1.65,
     "armRegionName": "eastus", "location": "US East", "effectiveStartDate": "2020-10-01T00:00:00Z",
     "meterId": "bfe41419-d6c7-5289-8ecb-f5d6e7f8091a", "meterName": "NP10s",
     "productId": "DZH318Z0CQ3B", "skuId": "DZH318Z0CQ3B/0004", "productName": "Virtual Machines NPs Series",
     "skuName": "NP10s", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NP10s"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 0.192, "unitPrice": 0.192,
     "armRegionName": "eastus", "location": "US East", "effectiveStartDate": "2021-11-01T00:00:00Z",
     "meterId": "c0f5252a-e7d8-539a-9fdc-06e7f8091a2b", "meterName": "D4s v5",
     "productId": "DZH318Z0C2VK", "skuId": "DZH318Z0C2VK/0039", "productName": "Virtual Machines Dsv5 Series",
     "skuName": "D4s v5", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_D4s_v5"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 0.38, "unitPrice": 0.38,
     "armRegionName": "eastus", "location": "US East", "effectiveStartDate": "2020-06-01T00:00:00Z",
     "meterId": "d1063630-f8e9-54ab-8aed-17f8091a2b3c", "meterName": "NV8as v4",
     "productId": "DZH318Z0BZ5B", "skuId": "DZH318Z0BZ5B/0016", "productName": "Virtual Machines NVasv4 Series",
     "skuName": "NV8as v4", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NV8as_v4"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 8.1, "unitPrice": 8.1,
     "armRegionName": "malaysiasouth", "location": "MY South", "effectiveStartDate": "2025-06-01T00:00:00Z",
     "meterId": "e2174741-09fa-55bc-9bfe-28091a2b3c4d", "meterName": "NC40ads H100 v5",
     "productId": "DZH318Z0MX4S", "skuId": "DZH318Z0MX4S/0002", "productName": "Virtual Machines NCadsH100v5 Series",
     "skuName": "NC40ads H100 v5", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NC40ADS_H100_V5"},
    {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 30690.0, "unitPrice": 30690.0,
     "armRegionName": "eastus", "location": "US East", "effectiveStartDate": "2025-06-01T00:00:00Z",
     "meterId": "f3285852-1a0b-56cd-8c0f-391a2b3c4d5e", "meterName": "NC40ads H100 v5",
     "productId": "DZH318Z0MX4S", "skuId": "DZH318Z0MX4S/0003", "productName": "Virtual Machines NCadsH100v5 Series",
     "skuName": "NC40ads H100 v5", "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
     "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Reservation", "reservationTerm": "1 Year",
     "isPrimaryMeterRegion": true, "armSkuName": "Standard_NC40ads_H100_v5"}
  ],
  "NextPageLink": null,
  "Count": 16
}`

func TestParseAzure(t *testing.T) {
	var resp azurePricesResponse
	if err := json.Unmarshal([]byte(azureDocPayload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseAzure(resp, testOrigin(azureInfo, "https://prices.azure.com/api/retail/prices"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	tests := []struct {
		name                        string
		id                          string
		gpuID                       string
		known                       bool
		count, price, perGPU, spot  float64 // spot 0 = no spot price
		interruptible               bool
		region, normRegion, country string
		gdpr                        bool
	}{
		{"on-demand merged with spot; windows, dev/test and non-primary ignored",
			"azure:Standard_NC24ads_A100_v4:eastus", "nvidia-a100-pcie-80gb", true, 1, 3.673, 3.673, 0.8036, false, "eastus", "us-east", "US", false},
		{"fractional A10 in the EU",
			"azure:Standard_NV6ads_A10_v5:westeurope", "nvidia-a10-24gb", true, 1.0 / 6, 0.5, 3, 0, false, "westeurope", "eu-west", "NL", true},
		{"spot-only becomes interruptible",
			"azure:Standard_ND96isr_H100_v5:swedencentral", "nvidia-h100-sxm-80gb", true, 8, 39.328, 4.916, 0, true, "swedencentral", "eu-north", "SE", true},
		{"low priority meter ignored",
			"azure:Standard_NC6s_v3:southcentralus", "nvidia-v100-pcie-16gb", true, 1, 3.06, 3.06, 0, false, "southcentralus", "us-central", "US", false},
		{"fractional MI25 (NVv4)",
			"azure:Standard_NV8as_v4:eastus", "amd-mi25-pcie-16gb", true, 0.25, 0.38, 1.52, 0, false, "eastus", "us-east", "US", false},
		{"odd casing and a region missing from the table",
			"azure:Standard_NC40ads_H100_v5:malaysiasouth", "nvidia-h100-nvl-94gb", true, 1, 8.1, 8.1, 0, false, "malaysiasouth", "ap-southeast", "MY", false},
	}
	if len(offers) != len(tests) {
		t.Fatalf("got %d offers, want %d (zero-priced, FPGA, CPU-only and reservation rows must be skipped): %v", len(offers), len(tests), azureOfferIDs(offers))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, ok := byID[tc.id]
			if !ok {
				t.Fatalf("missing offer %s; have %v", tc.id, azureOfferIDs(offers))
			}
			if o.GPUID != tc.gpuID || o.GPUKnown != tc.known || o.GPUCount != tc.count || o.PricePerHour != tc.price ||
				o.PricePerGPUHour != tc.perGPU || o.Interruptible != tc.interruptible || o.Region != tc.region ||
				o.NormalizedRegion != tc.normRegion || o.Country != tc.country || o.Availability != shared.Available {
				t.Errorf("got %+v", o)
			}
			switch {
			case tc.spot == 0 && o.SpotPricePerHour != nil:
				t.Errorf("spot = %v, want none", *o.SpotPricePerHour)
			case tc.spot != 0 && (o.SpotPricePerHour == nil || *o.SpotPricePerHour != tc.spot):
				t.Errorf("spot = %v, want %v", o.SpotPricePerHour, tc.spot)
			}
			hasGDPR := false
			for _, tag := range o.ComplianceTags {
				hasGDPR = hasGDPR || tag == "gdpr"
			}
			if hasGDPR != tc.gdpr || len(o.ComplianceTags) < 4 {
				t.Errorf("compliance tags %v, gdpr want %v", o.ComplianceTags, tc.gdpr)
			}
			if o.Source != "https://prices.azure.com/api/retail/prices" || !o.FetchedAt.Equal(fixedNow) || o.Currency != "USD" {
				t.Errorf("provenance: %+v", o)
			}
		})
	}
	if o := byID["azure:Standard_NV6ads_A10_v5:westeurope"]; o.GPUFraction != "1/6" || o.VCPUs != 6 || o.RAMGB != 55 {
		t.Errorf("NV6ads_A10_v5 shape: fraction %q vcpus %v ram %v", o.GPUFraction, o.VCPUs, o.RAMGB)
	}
	if o := byID["azure:Standard_NC40ads_H100_v5:malaysiasouth"]; o.InstanceType != "Standard_NC40ads_H100_v5" {
		t.Errorf("instance type %q, want the canonical spelling", o.InstanceType)
	}
}

func TestParseAzureRejectsUnrecognisableRows(t *testing.T) {
	resp := azurePricesResponse{Items: []azureItem{{MeterName: "x"}, {ArmRegionName: "eastus"}}}
	if _, err := parseAzure(resp, testOrigin(azureInfo, "x")); err == nil {
		t.Fatal("want an error when no row has a size and a price")
	}
	if offers, err := parseAzure(azurePricesResponse{}, testOrigin(azureInfo, "x")); err != nil || len(offers) != 0 {
		t.Fatalf("empty page: %v %v", offers, err)
	}
}

// TestAzureSizesKnown keeps the size table in step with the GPU catalog:
// every GPU it names except the MI25 (not in the catalog) must resolve.
func TestAzureSizesKnown(t *testing.T) {
	for name, s := range azureSizes {
		if !strings.HasPrefix(name, "Standard_N") || !(s.gpus > 0) || s.vcpus <= 0 || s.ramGB <= 0 || s.gpuMemGB <= 0 {
			t.Errorf("%s: implausible entry %+v", name, s)
		}
		spec, known := shared.LookupGPU(s.gpu, s.gpuMemGB)
		if !known {
			t.Errorf("%s: GPU %q unknown to the catalog", name, s.gpu)
		}
		if known && float64(spec.MemoryGB) != s.gpuMemGB {
			t.Errorf("%s: catalog says %d GB, table %v", name, spec.MemoryGB, s.gpuMemGB)
		}
	}
}

func TestAzureFilters(t *testing.T) {
	if f := azureFilters(nil); len(f) != 1 || strings.Contains(f[0], "armRegionName") {
		t.Fatalf("no regions: %q", f)
	}
	if f := azureFilters([]string{"east us", "x'y"}); len(f) != 0 {
		t.Fatalf("only invalid regions must yield no query, got %q", f)
	}
	regions := []string{"eastus", "EastUS", "westeurope", "east'us or 1 eq 1", "", "japaneast", "uksouth",
		"swedencentral", "westus3", "southcentralus", "eastus2", "northeurope", "koreacentral"}
	f := azureFilters(regions)
	if len(f) != 2 {
		t.Fatalf("want 2 batches for 11 distinct regions, got %d: %q", len(f), f)
	}
	joined := strings.Join(f, "\n")
	if strings.Contains(joined, "1 eq 1") || strings.Count(joined, "'eastus'") != 1 {
		t.Errorf("regions not sanitised: %q", f)
	}
	for _, x := range f {
		if n := strings.Count(x, " eq ") + strings.Count(x, "contains("); n > 20 {
			t.Errorf("%d comparisons in %q", n, x)
		}
	}
}

func TestAzureAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "azure")
	spot, fractional := 0, 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Azure GPU %q not in catalog", o.ProviderGPUName)
		}
		if !strings.HasPrefix(o.InstanceType, "Standard_N") || strings.HasPrefix(o.InstanceType, "Standard_NP") {
			t.Errorf("non-GPU size %s became an offer", o.InstanceType)
		}
		if o.SpotPricePerHour != nil {
			spot++
			if *o.SpotPricePerHour >= o.PricePerHour {
				t.Errorf("%s: spot %v not below on-demand %v (Windows or Low Priority meter picked?)", o.ID, *o.SpotPricePerHour, o.PricePerHour)
			}
		}
		if o.GPUFraction != "" {
			fractional++
		}
	}
	if spot == 0 || fractional == 0 {
		t.Errorf("want spot and fractional offers, got %d spot, %d fractional of %d", spot, fractional, len(offers))
	}

	// Paging: the simulator serves 100 meters a page and links the next
	// page on the production host, which the adapter must move onto the
	// simulator.
	sim, base := startSim(t, "azure", nil)
	ad, err := New("azure", Config{BaseURL: base, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	again, err := ad.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := sim.Requests("azure"); n < 2 {
		t.Errorf("want several pages, simulator saw %d requests", n)
	}
	if len(again) != len(offers) {
		t.Errorf("second fetch: %d offers, first %d", len(again), len(offers))
	}
}

func TestAzureRegionsAgainstSimulator(t *testing.T) {
	_, base := startSim(t, "azure", nil)
	want := []string{"eastus", "eastus2", "westus2", "westus3", "southcentralus", "westeurope",
		"swedencentral", "uksouth", "japaneast", "australiaeast"}
	ad, err := New("azure", Config{BaseURL: base, Regions: want, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	offers, err := ad.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(offers) == 0 {
		t.Fatal("no offers in the requested regions")
	}
	requireValid(t, offers)
	allowed := map[string]bool{}
	for _, r := range want {
		allowed[r] = true
	}
	for _, o := range offers {
		if !allowed[o.Region] {
			t.Errorf("offer %s outside the requested regions", o.ID)
		}
	}
}

func TestAzureSimulatorRejectsUnsupportedFilter(t *testing.T) {
	_, base := startSim(t, "azure", nil)
	for _, f := range []string{"not(contains(productName, 'Windows'))", "armSkuName in ('a','b')", "serviceName eq"} {
		resp, err := http.Get(base + "/api/retail/prices?$filter=" + url.QueryEscape(f))
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || body.Error.Code != "BadRequest" {
			t.Errorf("%q: status %d, body %+v", f, resp.StatusCode, body)
		}
	}
}

func TestAzureRefusesForeignNextPageLink(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"BillingCurrency":"USD","Items":[{"retailPrice":0.5,"armRegionName":"eastus",
			"armSkuName":"Standard_NV6ads_A10_v5","skuName":"NV6ads A10 v5","productName":"Virtual Machines NVadsA10v5 Series",
			"serviceName":"Virtual Machines","unitOfMeasure":"1 Hour","type":"Consumption","currencyCode":"USD"}],
			"NextPageLink":"https://prices.example.net/api/retail/prices?$skip=100","Count":1}`))
	}))
	defer srv.Close()
	ad := newAzure(Config{BaseURL: srv.URL})
	_, err := ad.Fetch(context.Background())
	if KindOf(err) != shared.ErrKindUpstream || !strings.Contains(err.Error(), "unexpected host") {
		t.Fatalf("want an upstream error for a foreign link, got %v", err)
	}
}

func TestAzureFollowLink(t *testing.T) {
	ad := newAzure(Config{BaseURL: "http://127.0.0.1:8090/azure/"})
	got, err := ad.followLink("https://prices.azure.com:443/api/retail/prices?api-version=2023-01-01-preview&$filter=a%20eq%20'b'&$skip=1000")
	if err != nil || got != "http://127.0.0.1:8090/azure/api/retail/prices?api-version=2023-01-01-preview&$filter=a%20eq%20'b'&$skip=1000" {
		t.Fatalf("rewrite: %q %v", got, err)
	}
	if got, err := ad.followLink("http://127.0.0.1:8090/azure/api/retail/prices?$skip=100"); err != nil || got != "http://127.0.0.1:8090/azure/api/retail/prices?$skip=100" {
		t.Fatalf("own host: %q %v", got, err)
	}
	prod := newAzure(Config{})
	if got, err := prod.followLink("https://prices.azure.com:443/api/retail/prices?$skip=100"); err != nil || got != "https://prices.azure.com/api/retail/prices?$skip=100" {
		t.Fatalf("production: %q %v", got, err)
	}
}

func azureOfferIDs(offers []shared.Offer) []string {
	out := make([]string, len(offers))
	for i := range offers {
		out[i] = offers[i].ID
	}
	return out
}

func FuzzParseAzure(f *testing.F) {
	f.Add([]byte(azureDocPayload))
	f.Add([]byte(`{"Items":[{"retailPrice":1e300,"armRegionName":"x","armSkuName":"Standard_NV4as_v4"}]}`))
	f.Add([]byte(`{"Items":[{"retailPrice":0.1,"armRegionName":"eastus","armSkuName":"standard_nv6ads_a10_v5","skuName":"Spot"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp azurePricesResponse
		if json.Unmarshal(b, &resp) != nil {
			return
		}
		offers, err := parseAzure(resp, testOrigin(azureInfo, "x"))
		if err != nil {
			return
		}
		for i := range offers {
			if err := offers[i].Validate(); err != nil {
				t.Fatalf("invalid offer from parser: %v", err)
			}
		}
	})
}
