package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gpubroker/gpubroker/shared"
)

// Scaleway: per zone, GET {base}/instance/v1/zones/{zone}/products/servers
// (Instance types: hourly_price in EUR, ncpus, ram in bytes, gpu count and
// gpu_info {gpu_manufacturer, gpu_name, gpu_memory in bytes}) and
// GET {base}/instance/v1/zones/{zone}/products/servers/availability
// ({"servers": {"<type>": {"availability": "available"|"scarce"|"shortage"}}}),
// both paged with page and per_page (at most 100) up to total_count. The
// secret key is sent as "X-Auth-Token".
// https://www.scaleway.com/en/developers/api/instance/instance-types
var scalewayInfo = Info{
	Name:           "scaleway",
	DisplayName:    "Scaleway",
	DefaultBaseURL: "https://api.scaleway.com",
	DocsURL:        "https://www.scaleway.com/en/developers/api/instance/instance-types",
	NeedsKey:       true,
	KeyEnv:         "SCW_SECRET_KEY",
	sendKey:        keyScheme{header: "X-Auth-Token"},
}

func init() { register(scalewayInfo, newScaleway) }

const (
	scwPageSize      = 100 // the documented maximum
	scwMaxPages      = 100
	scwParallelZones = 3
	// scwCurrency is the currency of every Scaleway price: the API quotes
	// EUR only. Offers carry USD at the operator's configured rate
	// (shared.SetPricesIn) with the euro figure kept as list price.
	scwCurrency = "EUR"
)

// scwDefaultZones are the Instance zones; Config.Regions replaces them.
var scwDefaultZones = []string{
	"fr-par-1", "fr-par-2", "fr-par-3", "nl-ams-1", "nl-ams-2", "nl-ams-3", "pl-waw-1", "pl-waw-2", "pl-waw-3",
}

type scaleway struct {
	provider
	pageSize int
}

func newScaleway(cfg Config) *scaleway {
	return &scaleway{provider: newProvider(scalewayInfo, cfg), pageSize: scwPageSize}
}

// scwServersResponse is one page of products/servers.
type scwServersResponse struct {
	Servers    map[string]scwServerType `json:"servers"`
	TotalCount int                      `json:"total_count"`
}

// scwServerType holds the fields of an Instance type that we read.
type scwServerType struct {
	HourlyPrice float64  `json:"hourly_price"` // EUR
	Ncpus       float64  `json:"ncpus"`
	RAM         float64  `json:"ram"` // bytes
	Arch        string   `json:"arch"`
	GPU         *float64 `json:"gpu"`
	GPUInfo     *struct {
		Manufacturer string  `json:"gpu_manufacturer"`
		Name         string  `json:"gpu_name"`
		Memory       float64 `json:"gpu_memory"` // bytes, one GPU
	} `json:"gpu_info"`
	ScratchStorageMaxSize float64 `json:"scratch_storage_max_size"` // bytes
	EndOfService          bool    `json:"end_of_service"`
	malformed             bool    // fields of unexpected JSON types: skipped
}

func (t *scwServerType) UnmarshalJSON(b []byte) error {
	type plain scwServerType
	t.malformed = !decodeLenient(b, (*plain)(t))
	return nil
}

// scwAvailabilityResponse is one page of products/servers/availability.
type scwAvailabilityResponse struct {
	Servers    map[string]scwAvailability `json:"servers"`
	TotalCount int                        `json:"total_count"`
}

type scwAvailability struct {
	Availability string `json:"availability"`
}

func (a *scwAvailability) UnmarshalJSON(b []byte) error {
	type plain scwAvailability
	var p plain
	if json.Unmarshal(b, &p) != nil {
		*a = scwAvailability{}
		return nil
	}
	*a = scwAvailability(p)
	return nil
}

func (s *scaleway) Fetch(ctx context.Context) ([]shared.Offer, error) {
	zones := s.zones()
	at := s.origin("")
	offers := make([][]shared.Offer, len(zones))
	errs := make([]error, len(zones))
	sem := make(chan struct{}, scwParallelZones)
	var wg sync.WaitGroup
	for i, zone := range zones {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = s.cl.transportError(ctx, s.base, ctx.Err())
				return
			}
			offers[i], errs[i] = s.fetchZone(ctx, zone, at)
		})
	}
	wg.Wait()
	// A failing zone is skipped; the fetch fails only when every zone did.
	var out []shared.Offer
	var firstErr error
	failed := 0
	for i := range zones {
		if errs[i] != nil {
			failed++
			if firstErr == nil {
				firstErr = errs[i]
			}
			continue
		}
		out = append(out, offers[i]...)
	}
	if failed == len(zones) {
		return nil, firstErr
	}
	return out, nil
}

// zones is Config.Regions without duplicates and non-zone strings (a zone
// becomes a URL path segment), or the default set.
func (s *scaleway) zones() []string {
	var out []string
	for _, z := range lowerUnique(s.cfg.Regions) {
		if scwValidZone(z) {
			out = append(out, z)
		}
	}
	if len(out) == 0 {
		return scwDefaultZones
	}
	return out
}

func scwValidZone(z string) bool {
	if len(z) == 0 || len(z) > 20 {
		return false
	}
	for _, r := range z {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// fetchZone reads a zone's Instance types and their availability; both
// must succeed for the zone to count.
func (s *scaleway) fetchZone(ctx context.Context, zone string, at origin) ([]shared.Offer, error) {
	path := "/instance/v1/zones/" + zone + "/products/servers"
	types := scwServersResponse{Servers: map[string]scwServerType{}}
	err := s.pages(ctx, path, func(body []byte) (int, int, error) {
		var page scwServersResponse
		if err := json.Unmarshal(body, &page); err != nil {
			return 0, 0, err
		}
		for k, v := range page.Servers {
			types.Servers[k] = v
		}
		return len(page.Servers), page.TotalCount, nil
	})
	if err != nil {
		return nil, err
	}
	avail := scwAvailabilityResponse{Servers: map[string]scwAvailability{}}
	err = s.pages(ctx, path+"/availability", func(body []byte) (int, int, error) {
		var page scwAvailabilityResponse
		if err := json.Unmarshal(body, &page); err != nil {
			return 0, 0, err
		}
		for k, v := range page.Servers {
			avail.Servers[k] = v
		}
		return len(page.Servers), page.TotalCount, nil
	})
	if err != nil {
		return nil, err
	}
	return parseScaleway(zone, types, avail, at.under(path)), nil
}

// pages requests page 1, 2, … of a listing until the entries seen reach
// total_count or a page comes back empty; add decodes one page and returns
// its entry count and the total.
func (s *scaleway) pages(ctx context.Context, path string, add func([]byte) (int, int, error)) error {
	seen := 0
	for page := 1; page <= scwMaxPages; page++ {
		var raw json.RawMessage
		if err := s.get(ctx, path+"?page="+strconv.Itoa(page)+"&per_page="+strconv.Itoa(s.pageSize), &raw); err != nil {
			return err
		}
		n, total, err := add(raw)
		if err != nil {
			return s.cl.wrap(shared.ErrKindUpstream, 0, s.base+path, err)
		}
		seen += n
		if n == 0 || seen >= total {
			return nil
		}
	}
	return s.cl.wrap(shared.ErrKindUpstream, 0, s.base+path, errors.New("more pages than expected"))
}

// parseScaleway emits one offer per GPU Instance type of a zone.
//
// Availability maps Scaleway's stock signal: "available" → available,
// "scarce" (shown as "low stock" in its console) → limited, "shortage"
// (out of stock) → unavailable. A type the availability listing omits, or
// gives an empty value, counts as available, the API's default for that
// field. A type past end_of_service can no longer be ordered: unavailable.
//
// Compliance: Scaleway is ISO/IEC 27001 certified
// (https://www.scaleway.com/en/security-and-resilience/) and every zone is
// in the EU, so offers carry "iso27001" and "gdpr".
func parseScaleway(zone string, types scwServersResponse, avail scwAvailabilityResponse, at origin) []shared.Offer {
	loc := scwLocation(zone)
	var out []shared.Offer
	for _, name := range slices.Sorted(maps.Keys(types.Servers)) {
		t := types.Servers[name]
		name = strings.TrimSpace(name)
		if t.malformed || name == "" || !sanePrice(t.HourlyPrice) {
			continue
		}
		gpuName, memGB, count := scwGPU(name, &t)
		if gpuName == "" {
			continue // CPU-only type
		}
		o := at.stamp(shared.Offer{
			ID:           at.id(name, zone),
			InstanceType: name,
			VCPUs:        round2Exact(t.Ncpus),
			RAMGB:        round2Exact(t.RAM / (1 << 30)),
			DiskGB:       round2Exact(t.ScratchStorageMaxSize / 1e9),
		})
		o.SetGPU(gpuName, memGB, count)
		if err := o.SetPricesIn(scwCurrency, t.HourlyPrice, 0); err != nil {
			continue
		}
		o.SetLocation(zone, loc)
		o.ComplianceTags = withGDPR(loc, "iso27001")
		o.Availability = scwAvailabilityOf(avail.Servers[name].Availability)
		if t.EndOfService {
			o.Availability = shared.Unavailable
		}
		if o.Validate() == nil {
			out = append(out, o)
		}
	}
	return out
}

func scwAvailabilityOf(s string) shared.Availability {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "scarce":
		return shared.Limited
	case "shortage":
		return shared.Unavailable
	}
	return shared.Available
}

// scwLegacyGPUs names the GPU of older types whose listing has no gpu_info.
var scwLegacyGPUs = map[string]string{"GPU-3070": "NVIDIA RTX 3070", "RENDER": "NVIDIA Tesla P100"}

// scwGPU names a type's GPU and gives its per-GPU memory (GB) and count.
// The name comes from gpu_info, or for older types from the type name
// ("RENDER-S", "GPU-3070-S"). The type name also carries the form factor:
// Scaleway's H100-SXM-* types are HGX boards, while its plain H100-* types
// are H100 PCIe cards, which the catalog must not read as the SXM default.
func scwGPU(typeName string, t *scwServerType) (name string, memGB, count float64) {
	if t.GPU != nil {
		if !(*t.GPU > 0 && *t.GPU <= 1024) {
			return "", 0, 0 // "gpu": 0 is a CPU-only type
		}
		count = *t.GPU
	}
	upper := strings.ToUpper(typeName)
	if t.GPUInfo != nil && strings.TrimSpace(t.GPUInfo.Name) != "" {
		name = strings.TrimSpace(strings.TrimSpace(t.GPUInfo.Manufacturer) + " " + strings.TrimSpace(t.GPUInfo.Name))
		if m := t.GPUInfo.Memory / (1 << 30); m > 0 && m < 1e5 {
			memGB = m
		}
	} else if count > 0 {
		for prefix, legacy := range scwLegacyGPUs {
			if strings.HasPrefix(upper, prefix) {
				name = legacy
			}
		}
		if name == "" {
			name, _, _ = strings.Cut(typeName, "-")
		}
	}
	if name == "" {
		return "", 0, 0
	}
	if count == 0 {
		count = scwCountFromName(upper)
	}
	up := strings.ToUpper(name)
	if strings.Contains(upper, "SXM") && !strings.Contains(up, "SXM") {
		name += " SXM"
	} else if spec, known := shared.LookupGPU(name, memGB); known && spec.Model == "H100" && !strings.Contains(upper, "SXM") &&
		!strings.Contains(up, "PCIE") && !strings.Contains(up, "NVL") {
		name += " PCIe"
	}
	return name, memGB, count
}

// scwCountFromName reads the GPU count of names like "L4-2-24G" and
// "H100-SXM-8-80G": the first all-digit segment after the model; 1 when
// there is none.
func scwCountFromName(upper string) float64 {
	parts := strings.Split(upper, "-")
	for _, p := range parts[1:] {
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n <= 64 {
			return float64(n)
		}
	}
	return 1
}

// scwZoneSites maps a zone's region prefix to its country and city.
var scwZoneSites = map[string][2]string{
	"fr-par": {"FR", "Paris"}, "nl-ams": {"NL", "Amsterdam"}, "pl-waw": {"PL", "Warsaw"}, "it-mil": {"IT", "Milan"},
}

// scwLocation locates a zone ("fr-par-2"); an unknown zone is located by
// its leading country code.
func scwLocation(zone string) shared.Location {
	region := strings.TrimRight(zone, "0123456789")
	region = strings.TrimSuffix(region, "-")
	if s, ok := scwZoneSites[region]; ok {
		return shared.Locate(s[0], s[1])
	}
	cc, _, _ := strings.Cut(zone, "-")
	if len(cc) == 2 {
		return shared.Locate(cc, "")
	}
	return shared.Location{}
}
