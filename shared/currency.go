package shared

import (
	"fmt"
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

// SetUSDRates replaces or adds conversion rates: USD per unit of currency.
func SetUSDRates(rates map[string]float64) error {
	fxMu.Lock()
	defer fxMu.Unlock()
	for c, r := range rates {
		if len(c) != 3 || !(r > 0) {
			return fmt.Errorf("invalid rate %s=%v", c, r)
		}
		usdPer[strings.ToUpper(c)] = r
	}
	return nil
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
