package adapters

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// DigitalOcean: GET {base}/v2/sizes?page=N&per_page=200 with the API token
// as a Bearer token (scope sizes:read). Every Droplet size is listed with
// its hourly and monthly USD price, the regions where it can be created now
// and, for GPU Droplets, gpu_info {count, vram {amount, unit}, model}.
// Pages are linked through links.pages.next.
// https://docs.digitalocean.com/reference/api/reference/sizes/
var digitaloceanInfo = Info{
	Name:           "digitalocean",
	DisplayName:    "DigitalOcean",
	DefaultBaseURL: "https://api.digitalocean.com",
	DocsURL:        "https://docs.digitalocean.com/reference/api/reference/sizes/",
	NeedsKey:       true,
	KeyEnv:         "DIGITALOCEAN_TOKEN",
	sendKey:        bearer,
}

func init() { register(digitaloceanInfo, newDigitalOcean) }

const (
	doSizesPath = "/v2/sizes"
	doPageSize  = 200 // the documented maximum
	doMaxPages  = 1000
)

type digitalOcean struct {
	provider
	pageSize int
}

func newDigitalOcean(cfg Config) *digitalOcean {
	return &digitalOcean{provider: newProvider(digitaloceanInfo, cfg), pageSize: doPageSize}
}

// doSizesResponse is one page of GET /v2/sizes.
type doSizesResponse struct {
	Sizes []doSize `json:"sizes"`
	Links struct {
		Pages struct {
			Next string `json:"next"`
		} `json:"pages"`
	} `json:"links"`
}

// doSize holds the fields of a Droplet size that we read.
type doSize struct {
	Slug         string   `json:"slug"`
	Memory       float64  `json:"memory"` // MB
	VCPUs        float64  `json:"vcpus"`
	Disk         float64  `json:"disk"` // GB, boot disk
	PriceMonthly float64  `json:"price_monthly"`
	PriceHourly  float64  `json:"price_hourly"`
	Regions      []string `json:"regions"`
	Available    bool     `json:"available"`
	Description  string   `json:"description"`
	DiskInfo     []struct {
		Type string       `json:"type"`
		Size doSizeAmount `json:"size"`
	} `json:"disk_info"`
	GPUInfo *struct {
		Count float64      `json:"count"`
		VRAM  doSizeAmount `json:"vram"`
		Model string       `json:"model"` // "nvidia_h100", "amd_mi300x", "nvidia_rtx4000_ada"
	} `json:"gpu_info"`
	malformed bool // fields of unexpected JSON types: skipped
}

type doSizeAmount struct {
	Amount float64 `json:"amount"`
	Unit   string  `json:"unit"` // "gib"
}

func (s *doSize) UnmarshalJSON(b []byte) error {
	type plain doSize
	s.malformed = !decodeLenient(b, (*plain)(s))
	return nil
}

func (d *digitalOcean) Fetch(ctx context.Context) ([]shared.Offer, error) {
	var all doSizesResponse
	page := 1
	seen := map[int]bool{}
	for range doMaxPages {
		seen[page] = true
		var resp doSizesResponse
		if err := d.get(ctx, doSizesPath+"?page="+strconv.Itoa(page)+"&per_page="+strconv.Itoa(d.pageSize), &resp); err != nil {
			return nil, err
		}
		all.Sizes = append(all.Sizes, resp.Sizes...)
		next, ok := doNextPage(resp.Links.Pages.Next)
		if !ok || len(resp.Sizes) == 0 {
			return d.parse(all)
		}
		if seen[next] {
			return nil, d.errorf(shared.ErrKindUpstream, "links.pages.next points back to page %d", next)
		}
		page = next
	}
	return nil, d.errorf(shared.ErrKindUpstream, "more than %d pages of sizes", doMaxPages)
}

func (d *digitalOcean) parse(all doSizesResponse) ([]shared.Offer, error) {
	return parseDigitalOcean(all, d.origin(doSizesPath))
}

// doNextPage reads the page number from a links.pages.next URL. Only the
// number is taken: the request goes to our configured base URL, never to
// the host the link names, so the token is not sent anywhere else.
func doNextPage(link string) (int, bool) {
	if link == "" {
		return 0, false
	}
	u, err := url.Parse(link)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(u.Query().Get("page"))
	if err != nil || n < 1 || n > doMaxPages {
		return 0, false
	}
	return n, true
}

// parseDigitalOcean emits one offer per GPU size and region.
//
// Availability: regions lists where the size can be created right now and
// available says whether it can be created at all, so a listed region of an
// available size is "available"; a size with no region, or not available,
// is kept as one "unavailable" offer in region "any" so its price stays
// visible. DigitalOcean publishes no stock level beyond that.
//
// Compliance: DigitalOcean publishes SOC 2 Type II (and SOC 3) reports for
// its platform (https://www.digitalocean.com/trust); EU regions add "gdpr".
func parseDigitalOcean(resp doSizesResponse, at origin) ([]shared.Offer, error) {
	var set offerSet
	gpuSizes := 0
	for i := range resp.Sizes {
		s := &resp.Sizes[i]
		if !s.malformed && s.GPUInfo != nil && s.GPUInfo.Count > 0 {
			gpuSizes++
		}
		for _, o := range doOffers(s, at) {
			set.add(o)
		}
	}
	return set.result(at, gpuSizes, "GPU sizes but none with a price")
}

// doOffers converts one size; CPU-only, unpriced, nameless and malformed
// sizes give nothing. The caller validates each offer (offerSet.add).
func doOffers(s *doSize, at origin) []shared.Offer {
	slug := strings.TrimSpace(s.Slug)
	g := s.GPUInfo
	// A monthly price is not converted: DigitalOcean caps GPU and CPU
	// Droplets at different hours per month, so only price_hourly is exact.
	if s.malformed || slug == "" || g == nil || !(g.Count > 0 && g.Count <= 1024) || !sanePrice(s.PriceHourly) {
		return nil
	}
	name := doGPUName(g.Model, s.Description)
	if name == "" {
		return nil
	}
	base := at.stamp(shared.Offer{
		InstanceType: slug,
		VCPUs:        positive(s.VCPUs),
		RAMGB:        round2Exact(s.Memory / 1024),
		DiskGB:       doDiskGB(s),
		Currency:     "USD",
	})
	base.SetGPU(name, doPerGPUMemory(name, doGB(g.VRAM), g.Count), g.Count)
	base.SetPrices(s.PriceHourly, 0)
	regions := sortedCodes(s.Regions)
	if !s.Available || len(regions) == 0 {
		o := base
		o.ID = at.id(slug, "any")
		o.SetLocation("any", shared.Location{})
		o.ComplianceTags = []string{"soc2"}
		o.Availability = shared.Unavailable
		return []shared.Offer{o}
	}
	var out []shared.Offer
	for _, r := range regions {
		o := base
		o.ID = at.id(slug, r)
		loc := doLocation(r)
		o.SetLocation(r, loc)
		o.ComplianceTags = withGDPR(loc, "soc2")
		o.Availability = shared.Available
		out = append(out, o)
	}
	return out
}

// doGPUName turns gpu_info.model ("nvidia_rtx6000_ada") into words the
// catalog reads ("nvidia rtx6000 ada"); without a model the size
// description ("H100 GPU - 8X") is used minus its count.
func doGPUName(model, desc string) string {
	if m := strings.TrimSpace(strings.ReplaceAll(model, "_", " ")); m != "" {
		return m
	}
	d, _, _ := strings.Cut(desc, " - ")
	return strings.TrimSpace(d)
}

// doPerGPUMemory derives per-GPU memory from gpu_info.vram. The API reports
// the size's total VRAM (640 GiB for gpu-h100x8-640gb); should an amount
// be one card's memory instead, dividing it would give a fraction of a
// card, so when the quotient is far below the catalog's card size but the
// amount itself is not, the amount is taken as per-GPU.
func doPerGPUMemory(name string, total, count float64) float64 {
	if !(total > 0 && total < 1e6) {
		return 0
	}
	per := total / count
	if spec, known := shared.LookupGPU(name, 0); known {
		card := float64(spec.MemoryGB)
		if per < card*0.6 && total >= card*0.6 {
			return total
		}
	}
	return per
}

// doGB converts an amount with a unit ("gib", "tib", "mib", "gb") to GB.
// GiB and GB are not told apart: providers size GPU memory in GiB and the
// catalog names the same cards "80GB".
func doGB(a doSizeAmount) float64 {
	if !(a.Amount > 0 && a.Amount < 1e9) {
		return 0
	}
	switch strings.ToLower(strings.TrimSpace(a.Unit)) {
	case "tib", "tb":
		return a.Amount * 1024
	case "mib", "mb":
		return a.Amount / 1024
	default:
		return a.Amount
	}
}

// doDiskGB is the size's local storage: boot plus scratch disks from
// disk_info, or the boot disk alone when disk_info is missing.
func doDiskGB(s *doSize) float64 {
	total := 0.0
	for _, d := range s.DiskInfo {
		total += doGB(d.Size)
	}
	if total <= 0 {
		total = s.Disk
	}
	return round2Exact(total)
}

// doRegionSites maps DigitalOcean's datacenter prefixes (the slug without
// its number: nyc1, nyc2 and nyc3 are all New York) to a country and state.
var doRegionSites = map[string][2]string{
	"nyc": {"US", "NY"}, "sfo": {"US", "CA"}, "atl": {"US", "GA"}, "ric": {"US", "VA"},
	"tor": {"CA", "ON"}, "ams": {"NL", ""}, "lon": {"GB", ""}, "fra": {"DE", ""},
	"sgp": {"SG", ""}, "blr": {"IN", ""}, "syd": {"AU", ""},
}

func doLocation(region string) shared.Location {
	site := strings.TrimRight(region, "0123456789")
	if r, ok := doRegionSites[site]; ok {
		return shared.Locate(r[0], r[1])
	}
	return shared.Location{}
}
