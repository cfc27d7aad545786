package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// AWS: the public Price List Bulk API, no auth. GET
// /offers/v1.0/aws/AmazonEC2/current/region_index.json lists the regions and
// their currentVersionUrl; GET /offers/v1.0/aws/AmazonEC2/{version}/{region}/index.json
// is one region's offer file: {formatVersion, disclaimer, offerCode, version,
// publicationDate, products: {sku: ...}, terms: {OnDemand, Reserved}}.
// Besides the GPU rows the adapter wants, each file carries Windows, RHEL,
// Dedicated-tenancy, capacity-reservation and SQL Server rows, CPU-only
// instances, an EBS product and Reserved terms, and eu-central-1 puts terms
// before products, so the adapter's filters and stream order are exercised.
// The price list has no stock signal, so Item.Stock is never rendered.
func init() {
	registerProvider(providerSim{name: "aws", inventory: awsInventory, handler: awsHandler})
}

const (
	awsSimVersion     = "20261101000000"
	awsSimPublication = "2026-11-01T00:00:00Z"
	awsOnDemandCode   = "JRTCKXETXF"
	awsReservedCode   = "4NA7Y494T4" // 1yr standard No Upfront
	awsRateCode       = "6YS6EN2CT7"
	awsTermsFirst     = "eu-central-1"
)

// awsSimRegions: code, price-list location name, usage-type prefix, and the
// price multiplier over US East.
var awsSimRegions = []struct {
	code, location, usage string
	mult                  float64
}{
	{"us-east-1", "US East (N. Virginia)", "", 1},
	{"us-east-2", "US East (Ohio)", "USE2-", 1},
	{"us-west-2", "US West (Oregon)", "USW2-", 1},
	{"eu-west-1", "EU (Ireland)", "EU-", 1.12},
	{"eu-central-1", "EU (Frankfurt)", "EUC1-", 1.2},
	{"ap-northeast-1", "Asia Pacific (Tokyo)", "APN1-", 1.28},
}

func awsSimRegion(code string) (location, usage string, mult float64, ok bool) {
	for _, r := range awsSimRegions {
		if r.code == code {
			return r.location, r.usage, r.mult, true
		}
	}
	return "", "", 0, false
}

func awsInventory(r *rand.Rand) []Item {
	type shape struct {
		name, gpu   string
		mem, gpus   float64
		vcpu, ram   float64
		storage     string
		diskGB      float64
		proc        string
		usEastPrice float64
		regions     []string
	}
	all := []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1"}
	shapes := []shape{
		{"p6-b200.48xlarge", "NVIDIA B200", 180, 8, 192, 2048, "8 x 3840 NVMe SSD", 30720, "Intel Xeon Platinum 8570", 113.9328, []string{"us-east-1", "us-east-2", "us-west-2"}},
		{"p5.48xlarge", "NVIDIA H100", 80, 8, 192, 2048, "8 x 3840 NVMe SSD", 30720, "AMD EPYC 7R13", 55.04, []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-northeast-1"}},
		{"p5.4xlarge", "NVIDIA H100", 80, 1, 16, 256, "1 x 3840 NVMe SSD", 3840, "AMD EPYC 7R13", 6.88, []string{"us-east-1", "us-east-2", "us-west-2", "ap-northeast-1"}},
		{"p5en.48xlarge", "NVIDIA H200", 141, 8, 192, 2048, "8 x 3840 NVMe SSD", 30720, "Intel Xeon Platinum 8488C", 63.296, []string{"us-east-2", "us-west-2", "ap-northeast-1"}},
		{"p5e.48xlarge", "NVIDIA H200", 141, 8, 192, 2048, "8 x 3840 NVMe SSD", 30720, "AMD EPYC 7R13", 60.12, []string{"us-east-2", "us-west-2"}},
		{"p4d.24xlarge", "NVIDIA A100", 40, 8, 96, 1152, "8 x 1000 SSD", 8000, "Intel Xeon Platinum 8275L", 21.9576, all},
		{"p4de.24xlarge", "NVIDIA A100", 80, 8, 96, 1152, "8 x 1000 SSD", 8000, "Intel Xeon Platinum 8275L", 27.4471, []string{"us-east-1", "us-west-2"}},
		{"p3.2xlarge", "NVIDIA V100", 16, 1, 8, 61, "EBS only", 0, "Intel Xeon E5-2686 v4 (Broadwell)", 3.06, all},
		{"p3dn.24xlarge", "NVIDIA V100", 32, 8, 96, 768, "2 x 900 NVMe SSD", 1800, "Intel Xeon Platinum 8175", 31.212, []string{"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"}},
		{"g6e.xlarge", "NVIDIA L40S", 48, 1, 4, 32, "1 x 250 NVMe SSD", 250, "AMD EPYC 7R13", 1.861, all},
		{"g6e.12xlarge", "NVIDIA L40S", 48, 4, 48, 384, "2 x 1900 NVMe SSD", 3800, "AMD EPYC 7R13", 10.4926, []string{"us-east-1", "us-east-2", "us-west-2", "eu-central-1", "ap-northeast-1"}},
		{"g6.xlarge", "NVIDIA L4", 24, 1, 4, 16, "1 x 250 NVMe SSD", 250, "AMD EPYC 7R13", 0.8048, all},
		{"g6.48xlarge", "NVIDIA L4", 24, 8, 192, 768, "2 x 3760 NVMe SSD", 7520, "AMD EPYC 7R13", 13.3504, all},
		{"g6f.large", "NVIDIA L4", 24, 0.125, 2, 8, "EBS only", 0, "AMD EPYC 7R13", 0.2018, []string{"us-east-1", "us-east-2", "us-west-2", "eu-central-1", "ap-northeast-1"}},
		{"gr6.4xlarge", "NVIDIA L4", 24, 1, 16, 128, "1 x 600 NVMe SSD", 600, "AMD EPYC 7R13", 1.5392, []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1"}},
		{"g5.xlarge", "NVIDIA A10G", 24, 1, 4, 16, "1 x 250 NVMe SSD", 250, "AMD EPYC 7R32", 1.006, all},
		{"g5.12xlarge", "NVIDIA A10G", 24, 4, 48, 192, "1 x 3800 NVMe SSD", 3800, "AMD EPYC 7R32", 5.672, all},
		{"g5g.xlarge", "NVIDIA T4G", 16, 1, 4, 8, "EBS only", 0, "AWS Graviton2 Processor", 0.42, []string{"us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1"}},
		{"g4dn.xlarge", "NVIDIA T4", 16, 1, 4, 16, "1 x 125 NVMe SSD", 125, "Intel Xeon Family", 0.526, all},
		{"g4dn.12xlarge", "NVIDIA T4", 16, 4, 48, 192, "1 x 900 NVMe SSD", 900, "Intel Xeon Family", 3.912, all},
		{"g4ad.xlarge", "AMD Radeon Pro V520", 8, 1, 4, 16, "1 x 150 NVMe SSD", 150, "AMD EPYC 7R32", 0.37853, []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1"}},
		{"g7e.2xlarge", "NVIDIA RTX PRO 6000 Blackwell Server Edition", 96, 1, 8, 64, "1 x 1900 NVMe SSD", 1900, "Intel Xeon Platinum 8559C", 3.36, []string{"us-east-1", "us-east-2", "us-west-2"}},
	}
	var items []Item
	for _, s := range shapes {
		for _, reg := range s.regions {
			_, _, mult, _ := awsSimRegion(reg)
			// Now and then a type is not (yet) launched in one of its regions.
			if len(s.regions) > 2 && r.Float64() < 0.1 {
				continue
			}
			items = append(items, Item{
				ID: s.name, GPU: s.gpu, GPUMemGB: s.mem, GPUCount: s.gpus, VCPUs: s.vcpu, RAMGB: s.ram,
				DiskGB: s.diskGB, Region: reg, Price: round4(s.usEastPrice * mult), Stock: 1,
				Attrs: map[string]string{"storage": s.storage, "processor": s.proc},
			})
		}
	}
	return items
}

func awsHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /offers/v1.0/aws/AmazonEC2/current/region_index.json", func(w http.ResponseWriter, _ *http.Request) {
		regions := map[string]any{}
		for _, r := range awsSimRegions {
			regions[r.code] = map[string]string{
				"regionCode":        r.code,
				"currentVersionUrl": "/offers/v1.0/aws/AmazonEC2/" + awsSimVersion + "/" + r.code + "/index.json",
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"formatVersion":   "v1.0",
			"disclaimer":      awsDisclaimer,
			"publicationDate": awsSimPublication,
			"regions":         regions,
		})
	})
	mux.HandleFunc("GET /offers/v1.0/aws/AmazonEC2/{version}/{region}/index.json", func(w http.ResponseWriter, r *http.Request) {
		region := r.PathValue("region")
		if _, _, _, ok := awsSimRegion(region); !ok {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(awsOfferFile(region, p.Snapshot()))
	})
	return mux
}

const awsDisclaimer = "Simulated AWS price list. Prices are illustrative and not an offer."

// awsRow is one product row of an offer file with its hourly on-demand price.
type awsRow struct {
	instanceType, os, tenancy, capacity, license, preSw, operation string
	vcpu, ram                                                      float64
	storage, proc, gpus                                            string
	price                                                          float64
	reserved                                                       bool
}

// awsOfferFile renders one region's offer file from the snapshot.
func awsOfferFile(region string, items []Item) []byte {
	location, usage, mult, _ := awsSimRegion(region)
	var rows []awsRow
	for _, it := range items {
		if it.Region != region {
			continue
		}
		gpus := strconv.FormatFloat(it.GPUCount, 'f', -1, 64)
		if it.GPUCount < 1 {
			gpus = "1" // a vGPU slice is one device to the OS
		}
		base := awsRow{
			instanceType: it.ID, os: "Linux", tenancy: "Shared", capacity: "Used", license: "No License required",
			preSw: "NA", operation: "RunInstances", vcpu: it.VCPUs, ram: it.RAMGB, storage: it.Attrs["storage"],
			proc: it.Attrs["processor"], gpus: gpus, price: it.Price, reserved: true,
		}
		rows = append(rows, base)
		win := base
		win.os, win.operation, win.price, win.reserved = "Windows", "RunInstances:0002", round4(it.Price+0.046*it.VCPUs), false
		rhel := base
		rhel.os, rhel.operation, rhel.price, rhel.reserved = "RHEL", "RunInstances:0010", round4(it.Price+0.13), false
		ded := base
		ded.tenancy, ded.price, ded.reserved = "Dedicated", round4(it.Price*1.1), false
		unused := base
		unused.capacity, unused.reserved = "UnusedCapacityReservation", false
		rows = append(rows, win, rhel, ded, unused)
		if it.GPUCount >= 4 {
			sql := base
			sql.os, sql.preSw, sql.operation, sql.price, sql.reserved = "Windows", "SQL Web", "RunInstances:0202", round4(it.Price+0.046*it.VCPUs+0.067*it.VCPUs), false
			rows = append(rows, sql)
		}
	}
	for _, c := range []struct {
		name       string
		vcpu, ram  float64
		price      float64
		proc, stor string
	}{
		{"m7i.xlarge", 4, 16, 0.2016, "Intel Xeon Scalable (Sapphire Rapids)", "EBS only"},
		{"c7i.2xlarge", 8, 16, 0.357, "Intel Xeon Scalable (Sapphire Rapids)", "EBS only"},
		{"r7i.large", 2, 16, 0.1323, "Intel Xeon Scalable (Sapphire Rapids)", "EBS only"},
		{"inf2.xlarge", 4, 16, 0.7582, "AMD EPYC 7R13", "EBS only"},
	} {
		rows = append(rows, awsRow{
			instanceType: c.name, os: "Linux", tenancy: "Shared", capacity: "Used", license: "No License required",
			preSw: "NA", operation: "RunInstances", vcpu: c.vcpu, ram: c.ram, storage: c.stor, proc: c.proc,
			gpus: "NA", price: round4(c.price * mult), reserved: true,
		})
	}

	products := map[string]any{}
	onDemand := map[string]any{}
	reserved := map[string]any{}
	for _, row := range rows {
		sku := awsSKU(region, row.instanceType, row.os, row.tenancy, row.capacity, row.preSw)
		products[sku] = map[string]any{
			"sku":           sku,
			"productFamily": "Compute Instance",
			"attributes":    awsAttributes(row, region, location, usage),
		}
		desc := fmt.Sprintf("$%s per On Demand %s %s Instance Hour", strconv.FormatFloat(row.price, 'f', -1, 64), row.os, row.instanceType)
		onDemand[sku] = awsTermJSON(sku, awsOnDemandCode, "Hrs", row.price, desc, map[string]string{})
		if row.reserved {
			rp := round4(row.price * 0.62)
			reserved[sku] = awsTermJSON(sku, awsReservedCode, "Hrs", rp, "Linux/UNIX (Amazon VPC), "+row.instanceType+" reserved instance applied",
				map[string]string{"LeaseContractLength": "1yr", "OfferingClass": "standard", "PurchaseOption": "No Upfront"})
		}
	}
	// An EBS volume type: a product outside the "Compute Instance" family.
	ebs := awsSKU(region, "gp3")
	products[ebs] = map[string]any{
		"sku": ebs, "productFamily": "Storage",
		"attributes": map[string]string{
			"servicecode": "AmazonEC2", "location": location, "locationType": "AWS Region", "regionCode": region,
			"storageMedia": "SSD-backed", "volumeType": "General Purpose", "volumeApiName": "gp3",
			"usagetype": usage + "EBS:VolumeUsage.gp3", "operation": "",
		},
	}
	onDemand[ebs] = awsTermJSON(ebs, awsOnDemandCode, "GB-Mo", round4(0.08*mult), "$0.08 per GB-month of General Purpose (gp3) provisioned storage", map[string]string{})

	terms := map[string]any{"OnDemand": onDemand, "Reserved": reserved}
	head := [][2]any{
		{"formatVersion", "v1.0"}, {"disclaimer", awsDisclaimer}, {"offerCode", "AmazonEC2"},
		{"version", awsSimVersion}, {"publicationDate", awsSimPublication},
	}
	if region == awsTermsFirst {
		return awsOrderedJSON(append(head, [2]any{"terms", terms}, [2]any{"products", products}))
	}
	return awsOrderedJSON(append(head, [2]any{"products", products}, [2]any{"terms", terms}))
}

func awsAttributes(row awsRow, region, location, usage string) map[string]string {
	prefix := usage + "BoxUsage:"
	switch {
	case row.tenancy == "Dedicated":
		prefix = usage + "DedicatedUsage:"
	case row.capacity == "UnusedCapacityReservation":
		prefix = usage + "UnusedBox:"
	}
	family := "GPU instance"
	if row.gpus == "NA" {
		family = "General purpose"
	}
	return map[string]string{
		"servicecode": "AmazonEC2", "servicename": "Amazon Elastic Compute Cloud",
		"location": location, "locationType": "AWS Region", "regionCode": region,
		"instanceType": row.instanceType, "instanceFamily": family, "currentGeneration": "Yes",
		"vcpu":              strconv.FormatFloat(row.vcpu, 'f', -1, 64),
		"memory":            strconv.FormatFloat(row.ram, 'f', -1, 64) + " GiB",
		"storage":           row.storage,
		"physicalProcessor": row.proc, "processorArchitecture": "64-bit", "gpu": row.gpus,
		"networkPerformance": "Up to 100 Gigabit", "tenancy": row.tenancy, "operatingSystem": row.os,
		"licenseModel": row.license, "preInstalledSw": row.preSw, "capacitystatus": row.capacity,
		"usagetype": prefix + row.instanceType, "operation": row.operation, "marketoption": "OnDemand",
		"availabilityzone": "NA",
	}
}

// awsTermJSON renders {"<sku>.<code>": {offerTermCode, sku, effectiveDate,
// priceDimensions: {"<sku>.<code>.<rate>": {...}}, termAttributes}}.
func awsTermJSON(sku, code, unit string, price float64, desc string, attrs map[string]string) map[string]any {
	rate := sku + "." + code + "." + awsRateCode
	return map[string]any{
		sku + "." + code: map[string]any{
			"offerTermCode": code,
			"sku":           sku,
			"effectiveDate": awsSimPublication,
			"priceDimensions": map[string]any{
				rate: map[string]any{
					"rateCode":     rate,
					"description":  desc,
					"beginRange":   "0",
					"endRange":     "Inf",
					"unit":         unit,
					"pricePerUnit": map[string]string{"USD": strconv.FormatFloat(price, 'f', 10, 64)},
					"appliesTo":    []string{},
				},
			},
			"termAttributes": attrs,
		},
	}
}

// awsOrderedJSON writes an object with keys in the given order (maps would
// sort them, and the stream order is part of what the simulator tests).
func awsOrderedJSON(pairs [][2]any) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range pairs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[0])
		v, err := json.Marshal(kv[1])
		if err != nil {
			v = []byte("null")
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// awsSKU derives a stable 16-character SKU like AWS's from the row identity.
func awsSKU(parts ...string) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	h := fnv.New64a()
	_, _ = h.Write([]byte(strings.Join(parts, "|")))
	x := h.Sum64()
	_, _ = h.Write([]byte("#"))
	y := h.Sum64()
	var sb strings.Builder
	for i := 0; i < 16; i++ {
		v := x
		if i >= 12 {
			v = y
		}
		sb.WriteByte(alphabet[v%32])
		if i >= 12 {
			y >>= 5
		} else {
			x >>= 5
		}
	}
	return sb.String()
}
