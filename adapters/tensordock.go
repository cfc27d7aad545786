package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// TensorDock: GET {base}/api/v2/hostnodes with the API token as a Bearer
// (TENSORDOCK_API_KEY, created under Developer Settings). The answer is
// {"data": {"hostnodes": [...]}}: every marketplace host with the GPUs it
// has free (v0Name, availableCount, price_per_hr per GPU), the vCPUs, RAM
// and storage it has left, its per-resource prices and its location. There
// is no paging. Anonymous calls are refused (the public /api/v2/locations
// summary answers anonymously but with an empty list), so a key is needed.
// https://dashboard.tensordock.com/api/docs/fetch-hostnodes
var tensordockInfo = Info{
	Name:           "tensordock",
	DisplayName:    "TensorDock",
	DefaultBaseURL: "https://dashboard.tensordock.com",
	DocsURL:        "https://dashboard.tensordock.com/api/docs/fetch-hostnodes",
	NeedsKey:       true,
	KeyEnv:         "TENSORDOCK_API_KEY",
	sendKey:        bearer,
}

func init() { register(tensordockInfo, newTensorDock) }

const (
	tensordockPath = "/api/v2/hostnodes"

	// A TensorDock VM is priced by its parts: GPUs plus the vCPUs, RAM and
	// disk the renter picks. Offers are quoted for a modest, usable VM:
	// 8 vCPUs and 32 GB of RAM per GPU and the 100 GB disk TensorDock
	// requires at least.
	tensordockVCPUsPerGPU = 8
	tensordockRAMPerGPU   = 32
	tensordockStorageGB   = 100
	// tensordockMaxCount bounds the VM sizes quoted per host.
	tensordockMaxCount = 64
)

type tensordock struct{ provider }

func newTensorDock(cfg Config) *tensordock { return &tensordock{newProvider(tensordockInfo, cfg)} }

type tensordockResponse struct {
	Data struct {
		Hostnodes tensordockHostnodes `json:"hostnodes"`
	} `json:"data"`
}

// tensordockHostnodes accepts the documented list and also a map keyed by
// hostnode id, the form the older v0 marketplace used.
type tensordockHostnodes []tensordockHostnode

func (hs *tensordockHostnodes) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var m map[string]tensordockHostnode
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		out := make(tensordockHostnodes, 0, len(m))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			h := m[k]
			if h.ID == "" {
				h.ID = k
			}
			out = append(out, h)
		}
		*hs = out
		return nil
	}
	var list []tensordockHostnode
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*hs = list
	return nil
}

type tensordockHostnode struct {
	ID                 string `json:"id"`
	LocationID         string `json:"location_id"`
	AvailableResources struct {
		GPUs      []tensordockGPU `json:"gpus"`
		VCPUCount *float64        `json:"vcpu_count"`
		RAMGB     *float64        `json:"ram_gb"`
		StorageGB *float64        `json:"storage_gb"`
	} `json:"available_resources"`
	Pricing struct {
		PerVCPUHr      float64 `json:"per_vcpu_hr"`
		PerGBRAMHr     float64 `json:"per_gb_ram_hr"`
		PerGBStorageHr float64 `json:"per_gb_storage_hr"`
	} `json:"pricing"`
	Location struct {
		City          string `json:"city"`
		StateProvince string `json:"stateprovince"`
		Country       string `json:"country"`
	} `json:"location"`

	// malformed marks a hostnode whose fields had unexpected JSON types; it
	// is skipped rather than failing the whole list.
	malformed bool
}

func (h *tensordockHostnode) UnmarshalJSON(b []byte) error {
	type plain tensordockHostnode
	h.malformed = !decodeLenient(b, (*plain)(h))
	return nil
}

type tensordockGPU struct {
	V0Name         string  `json:"v0Name"`      // e.g. "geforcertx4090-pcie-24gb"
	DisplayName    string  `json:"displayName"` // e.g. "NVIDIA GeForce RTX 4090 PCIe 24GB", when sent
	AvailableCount float64 `json:"availableCount"`
	PricePerHr     float64 `json:"price_per_hr"` // per GPU, GPU only
}

func (t *tensordock) Fetch(ctx context.Context) ([]shared.Offer, error) {
	return fetchOne(ctx, &t.provider, tensordockPath, nil, parseTensorDock)
}

// parseTensorDock quotes, for every host and GPU model on it, VMs of 1, 2,
// 4, ... GPUs up to the number free (one 1-GPU quote when none is free).
//
// Price: count x price_per_hr plus the default vCPUs, RAM and disk (see
// tensordockVCPUsPerGPU) at the host's per-resource prices. TensorDock has
// no spot market in this API, so there is no spot price.
//
// Availability: a size within availableCount is "available", or "limited"
// when the host has fewer vCPUs, RAM or disk left than the default VM needs
// (the VM must then be smaller than quoted); a size beyond it is
// "unavailable".
//
// Compliance: marketplace hosts publish no certifications; hosts in Europe
// carry "gdpr".
func parseTensorDock(resp tensordockResponse, at origin) ([]shared.Offer, error) {
	hosts := resp.Data.Hostnodes
	var set offerSet
	gpuEntries := 0
	for i := range hosts {
		h := &hosts[i]
		if h.malformed || strings.TrimSpace(h.ID) == "" {
			continue
		}
		region, loc := tensordockLocation(h)
		for _, g := range h.AvailableResources.GPUs {
			gpuEntries++
			for _, o := range tensordockQuotes(h, g, region, loc, at) {
				set.add(o)
			}
		}
	}
	return set.result(at, gpuEntries, "GPU listings but none with a name and a price")
}

// tensordockQuotes builds the offers of one GPU model on one host; the
// caller validates each offer (offerSet.add).
func tensordockQuotes(h *tensordockHostnode, g tensordockGPU, region string, loc shared.Location, at origin) []shared.Offer {
	v0 := strings.TrimSpace(g.V0Name)
	name := strings.TrimSpace(g.DisplayName)
	if name == "" {
		name = tensordockGPUName(v0)
	}
	if v0 == "" {
		v0 = name
	}
	if name == "" || !sanePrice(g.PricePerHr) {
		return nil
	}
	free := 0
	if g.AvailableCount > 0 {
		free = int(min(g.AvailableCount, tensordockMaxCount))
	}
	var out []shared.Offer
	for n := 1; n <= max(free, 1); n *= 2 {
		vcpus, ram, disk := float64(tensordockVCPUsPerGPU*n), float64(tensordockRAMPerGPU*n), float64(tensordockStorageGB)
		short := false
		if n <= free {
			// What is left on the host caps a VM that can be had now; a
			// sold-out size is quoted at the default VM.
			vcpus, short = tensordockClamp(vcpus, h.AvailableResources.VCPUCount, short)
			ram, short = tensordockClamp(ram, h.AvailableResources.RAMGB, short)
			disk, short = tensordockClamp(disk, h.AvailableResources.StorageGB, short)
		}
		p := h.Pricing
		price := float64(n)*g.PricePerHr + vcpus*max(p.PerVCPUHr, 0) + ram*max(p.PerGBRAMHr, 0) + disk*max(p.PerGBStorageHr, 0)
		if !sanePrice(price) {
			continue
		}
		o := at.stamp(shared.Offer{
			ID:           at.id(h.ID, v0, strconv.Itoa(n)+"x"),
			InstanceType: fmt.Sprintf("%dx %s (hostnode %s)", n, v0, h.ID),
			VCPUs:        round2(vcpus),
			RAMGB:        round2(ram),
			DiskGB:       round2(disk),
			Currency:     "USD",
		})
		o.SetGPU(name, 0, float64(n))
		o.ProviderGPUName = v0
		o.SetPrices(price, 0)
		o.SetLocation(region, loc)
		o.ComplianceTags = withGDPR(loc)
		switch {
		case n > free:
			o.Availability = shared.Unavailable
		case short:
			o.Availability = shared.Limited
		default:
			o.Availability = shared.Available
		}
		out = append(out, o)
	}
	return out
}

// tensordockClamp limits a wanted amount to what the host has left, when it
// says; short records that the default VM did not fit.
func tensordockClamp(want float64, have *float64, short bool) (float64, bool) {
	if have == nil || !(*have >= 0) || *have >= want {
		return want, short
	}
	return *have, true
}

// tensordockGPUName turns a v0Name ("geforcertx4090-pcie-24gb",
// "h100-sxm5-80gb") into words the catalog reads ("rtx4090 pcie 24gb"):
// the dashes become spaces and the "geforce" brand glued to the model goes.
func tensordockGPUName(v0 string) string {
	parts := strings.FieldsFunc(strings.ToLower(v0), func(r rune) bool { return r == '-' || r == '_' || r == ' ' })
	if len(parts) == 0 {
		return ""
	}
	for _, brand := range []string{"nvidia", "geforce"} {
		if rest, ok := strings.CutPrefix(parts[0], brand); ok && rest != "" {
			parts[0] = rest
		}
	}
	return strings.Join(parts, " ")
}

// tensordockLocation names a host's place "City, State, Country" and
// normalizes it: by state or province first, then by city (many hosts
// give a city the region tables know but an unusual state name).
func tensordockLocation(h *tensordockHostnode) (string, shared.Location) {
	l := h.Location
	var parts []string
	for _, p := range []string{l.City, l.StateProvince, l.Country} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	region := strings.Join(parts, ", ")
	if region == "" {
		region = strings.TrimSpace(h.LocationID)
	}
	if region == "" {
		region = "unknown"
	}
	loc := shared.Locate(l.Country, l.StateProvince)
	if loc.Country != "" && loc.Region == strings.ToLower(loc.Country) {
		if byCity := shared.Locate(l.Country, l.City); byCity.Region != loc.Region {
			loc = byCity
		}
	}
	return region, loc
}
