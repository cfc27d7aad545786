package shared

import (
	"maps"
	"math"
	"strings"
	"sync"
	"testing"
)

// keepRates restores the process-wide rates when the test ends.
func keepRates(t *testing.T) {
	fxMu.RLock()
	saved := maps.Clone(usdPer)
	fxMu.RUnlock()
	t.Cleanup(func() {
		fxMu.Lock()
		defer fxMu.Unlock()
		usdPer = saved
	})
}

func ratesNow() map[string]float64 {
	fxMu.RLock()
	defer fxMu.RUnlock()
	return maps.Clone(usdPer)
}

func TestParseUSDRates(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]float64
		errs []string // parts of the error, in this order
	}{
		{"EUR=1.08,GBP=1.27", map[string]float64{"EUR": 1.08, "GBP": 1.27}, nil},
		{" eur = 1.08 , Gbp=1.27, ", map[string]float64{"EUR": 1.08, "GBP": 1.27}, nil},
		{"SEK=0.095", map[string]float64{"SEK": 0.095}, nil},
		{"", map[string]float64{}, nil},
		{" , ", map[string]float64{}, nil},
		{"EUR", nil, []string{`"EUR" is not CUR=rate`}},
		{"EUR=abc", nil, []string{`"EUR=abc": rate is not a number`}},
		{"EUR=", nil, []string{`"EUR=": rate is not a number`}},
		{"EURO=1", nil, []string{`"EURO=1": currency must be a 3-letter code`}},
		{"E1R=1", nil, []string{`"E1R=1": currency must be a 3-letter code`}},
		{"ſab=1", nil, []string{"currency must be a 3-letter code"}},
		{"=1", nil, []string{"currency must be a 3-letter code"}},
		{"EUR=0", nil, []string{`"EUR=0": rate must be a finite number above 0`}},
		{"EUR=-1", nil, []string{"rate must be a finite number above 0"}},
		{"EUR=NaN", nil, []string{"rate must be a finite number above 0"}},
		{"EUR=inf", nil, []string{"rate must be a finite number above 0"}},
		{"EUR=1e400", nil, []string{"rate must be a finite number above 0"}},
		{"EUR=1.08,eur=1.1", nil, []string{`"eur=1.1": EUR is given twice`}},
		// every bad entry, in input order, and no map
		{"ZZZ=x,EUR=1.08,GB=1,CHF=-2", nil, []string{`"ZZZ=x"`, `"GB=1"`, `"CHF=-2"`}},
	}
	for _, tc := range tests {
		got, err := ParseUSDRates(tc.in)
		if tc.errs == nil {
			if err != nil || !maps.Equal(got, tc.want) {
				t.Errorf("ParseUSDRates(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || got != nil {
			t.Errorf("ParseUSDRates(%q) = %v, %v; want an error", tc.in, got, err)
			continue
		}
		rest := err.Error()
		for _, part := range tc.errs {
			i := strings.Index(rest, part)
			if i < 0 {
				t.Errorf("ParseUSDRates(%q) error %q lacks %q (or has it out of order)", tc.in, err, part)
				break
			}
			rest = rest[i+len(part):]
		}
	}
}

func TestParseUSDRatesTouchesNothing(t *testing.T) {
	before := ratesNow()
	if _, err := ParseUSDRates("EUR=2,SEK=0.1"); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(ratesNow(), before) {
		t.Fatal("ParseUSDRates changed the rates")
	}
}

func TestSetUSDRates(t *testing.T) {
	keepRates(t)
	if err := SetUSDRates(map[string]float64{"eur": 1.1, "SEK": 0.095}); err != nil {
		t.Fatal(err)
	}
	if r, _ := USDRate("EUR"); r != 1.1 {
		t.Errorf("EUR = %v, want 1.1", r)
	}
	if r, ok := USDRate("sek"); !ok || r != 0.095 {
		t.Errorf("SEK = %v, %v; want 0.095", r, ok)
	}
	if r, _ := USDRate("GBP"); r != 1.27 {
		t.Errorf("GBP = %v, an untouched rate changed", r)
	}
	if err := SetUSDRates(nil); err != nil {
		t.Errorf("SetUSDRates(nil) = %v", err)
	}
}

// A failing call changes nothing, even when its other entries are valid,
// and names every bad entry.
func TestSetUSDRatesAllOrNone(t *testing.T) {
	keepRates(t)
	bad := []map[string]float64{
		{"EUR": 2, "GBP": 2, "CHF": -1},
		{"AAA": 2, "ZZ": 1},
		{"EUR": 2, "NOK": math.Inf(1)},
		{"EUR": 2, "SEK": math.NaN()},
		{"EUR": 2, "eur": 2},
	}
	for _, rates := range bad {
		before := ratesNow()
		if err := SetUSDRates(rates); err == nil {
			t.Errorf("SetUSDRates(%v) accepted", rates)
		}
		if after := ratesNow(); !maps.Equal(after, before) {
			t.Errorf("failing SetUSDRates(%v) changed the rates to %v", rates, after)
		}
	}
	err := SetUSDRates(map[string]float64{"ZZ": 1, "CHF": -1, "EUR": 2})
	if err == nil || !strings.Contains(err.Error(), `"CHF=-1"`) || !strings.Contains(err.Error(), `"ZZ=1"`) ||
		strings.Index(err.Error(), "CHF") > strings.Index(err.Error(), "ZZ") {
		t.Errorf("error %v does not name CHF then ZZ", err)
	}
}

// Readers running while rates are set see each call's rates all together
// or not at all. Run with -race.
func TestSetUSDRatesConcurrentReaders(t *testing.T) {
	keepRates(t)
	sets := []map[string]float64{{"EUR": 1.1, "GBP": 1.3}, {"EUR": 1.2, "GBP": 1.4}}
	if err := SetUSDRates(sets[0]); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if r, ok := USDRate("EUR"); !ok || (r != 1.1 && r != 1.2) {
					t.Errorf("EUR = %v, %v mid-update", r, ok)
					return
				}
				fxMu.RLock()
				eur, gbp := usdPer["EUR"], usdPer["GBP"]
				fxMu.RUnlock()
				if gbp-eur < 0.19 || gbp-eur > 0.21 {
					t.Errorf("EUR %v with GBP %v: half of a call applied", eur, gbp)
					return
				}
			}
		})
	}
	for i := range 2000 {
		if err := SetUSDRates(sets[i%2]); err != nil {
			t.Error(err)
		}
		if SetUSDRates(map[string]float64{"EUR": 9, "GBP": 9, "XX": 1}) == nil {
			t.Error("bad rates accepted")
		}
	}
	close(stop)
	wg.Wait()
}
