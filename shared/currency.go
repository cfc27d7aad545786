package shared

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Every offer is priced in USD so that price filters and sorting compare
// like with like. A provider that publishes another currency is converted
// at a configured rate, and its own figure is kept in ListPricePerHour /
// ListCurrency. The defaults are reference rates, to be overridden by the
// operator (GPUBROKER_FX_RATES) to current ones.
var (
	fxMu   sync.RWMutex
	usdPer = map[string]float64{"USD": 1, "EUR": 1.08, "GBP": 1.27, "CHF": 1.13, "JPY": 0.0067, "CAD": 0.73, "AUD": 0.66, "INR": 0.012}
)

// ParseUSDRates parses a rate list such as GPUBROKER_FX_RATES,
// "EUR=1.08, GBP=1.27": USD per unit of each currency, codes in any case.
// It touches no rate, so configuration is checked when it is read and applied
// (SetUSDRates) when the process starts. Every bad entry is named, in input
// order, in one error.
func ParseUSDRates(s string) (map[string]float64, error) {
	rates := map[string]float64{}
	var bad []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		cur, num, ok := strings.Cut(part, "=")
		if !ok {
			bad = append(bad, fmt.Sprintf("%q is not CUR=rate", part))
			continue
		}
		r, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			bad = append(bad, fmt.Sprintf("%q: rate is not a number", part))
			continue
		}
		code, problem := checkRate(strings.TrimSpace(cur), r)
		if problem == "" {
			if _, dup := rates[code]; dup {
				problem = code + " is given twice"
			}
		}
		if problem != "" {
			bad = append(bad, fmt.Sprintf("%q: %s", part, problem))
			continue
		}
		rates[code] = r
	}
	if len(bad) > 0 {
		return nil, errors.New("invalid USD rates: " + strings.Join(bad, "; "))
	}
	return rates, nil
}

// SetUSDRates replaces or adds conversion rates: USD per unit of currency.
// All entries are checked first and applied together, so a failing call
// changes nothing and no reader sees half of a call's rates.
func SetUSDRates(rates map[string]float64) error {
	valid := make(map[string]float64, len(rates))
	var bad []string
	// Sorted, so that the error names entries in a stable order.
	for _, c := range slices.Sorted(maps.Keys(rates)) {
		r := rates[c]
		code, problem := checkRate(c, r)
		if problem == "" {
			if _, dup := valid[code]; dup {
				problem = code + " is given twice"
			}
		}
		if problem != "" {
			bad = append(bad, fmt.Sprintf("%q: %s", c+"="+strconv.FormatFloat(r, 'g', -1, 64), problem))
			continue
		}
		valid[code] = r
	}
	if len(bad) > 0 {
		return errors.New("invalid USD rates: " + strings.Join(bad, "; "))
	}
	fxMu.Lock()
	defer fxMu.Unlock()
	maps.Copy(usdPer, valid)
	return nil
}

// checkRate validates one entry and returns its upper-case currency code,
// or what is wrong with it.
func checkRate(currency string, rate float64) (code, problem string) {
	if len(currency) != 3 || strings.IndexFunc(currency, func(r rune) bool {
		return (r < 'A' || r > 'Z') && (r < 'a' || r > 'z')
	}) >= 0 {
		return "", "currency must be a 3-letter code"
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		return "", "rate must be a finite number above 0"
	}
	return strings.ToUpper(currency), ""
}

// USDRate returns USD per unit of currency.
func USDRate(currency string) (float64, bool) {
	fxMu.RLock()
	defer fxMu.RUnlock()
	r, ok := usdPer[strings.ToUpper(currency)]
	return r, ok
}

// SetPricesIn is SetPrices for a provider quoting another currency: prices
// are converted to USD and the provider's own on-demand figure is kept.
func (o *Offer) SetPricesIn(currency string, onDemand, spot float64) error {
	rate, ok := USDRate(currency)
	if !ok {
		return fmt.Errorf("no USD rate for currency %q", currency)
	}
	o.SetPrices(onDemand*rate, spot*rate)
	o.Currency = "USD"
	if strings.ToUpper(currency) != "USD" {
		o.ListCurrency, o.ListPricePerHour = strings.ToUpper(currency), roundPrice(onDemand)
	}
	return nil
}
