package shared

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestOfferID(t *testing.T) {
	if got := OfferID("aws", "p5.48xlarge", "us-east-1"); got != "aws:p5.48xlarge:us-east-1" {
		t.Fatal(got)
	}
	if got := OfferID("vastai", "a/b c?d"); got != "vastai:a_b_c_d" {
		t.Fatal(got)
	}
	if p, ok := ProviderOfOfferID("aws:p5.48xlarge:us-east-1"); !ok || p != "aws" {
		t.Fatal(p)
	}
	for _, bad := range []string{"", "aws", ":x", "aws:"} {
		if _, ok := ProviderOfOfferID(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFractionsAndPrices(t *testing.T) {
	var o Offer
	o.SetGPU("A10", 24, 1.0/6)
	o.SetPrices(0.454, 0.1)
	if o.GPUFraction != "1/6" || o.PricePerGPUHour != 2.724 || *o.SpotPricePerGPUHour != 0.6 {
		t.Fatalf("%+v spot %v", o, *o.SpotPricePerGPUHour)
	}
	o.SetGPU("H100 SXM", 80, 8)
	o.SetPrices(0.1+0.2, 0)
	if o.GPUFraction != "" || o.PricePerHour != 0.3 || o.SpotPricePerHour != nil {
		t.Fatalf("%+v", o)
	}
	for count, want := range map[float64]string{0.5: "1/2", 0.25: "1/4", 0.125: "1/8", 1.0 / 3: "1/3", 0.4: "", 2: ""} {
		if got := FractionString(count); got != want {
			t.Errorf("FractionString(%v) = %q, want %q", count, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	good := Offer{ID: "x:1", Provider: "x", InstanceType: "t", Currency: "USD", Region: "r",
		Availability: Available, FetchedAt: time.Now(), Source: "s", ComplianceTags: []string{}}
	good.SetGPU("H100", 80, 1)
	good.SetPrices(2, 0)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	breakers := map[string]func(*Offer){
		"id":           func(o *Offer) { o.ID = "" },
		"provider":     func(o *Offer) { o.Provider = "Bad Name" },
		"price":        func(o *Offer) { o.SetPrices(0, 0) },
		"count":        func(o *Offer) { o.GPUCount = 0 },
		"currency":     func(o *Offer) { o.Currency = "" },
		"region":       func(o *Offer) { o.Region = "" },
		"availability": func(o *Offer) { o.Availability = "maybe" },
		"fetched_at":   func(o *Offer) { o.FetchedAt = time.Time{} },
		"compliance":   func(o *Offer) { o.ComplianceTags = nil },
	}
	for name, br := range breakers {
		o := good
		br(&o)
		if o.Validate() == nil {
			t.Errorf("offer without %s validated", name)
		}
	}
}

// A Secret never prints its value, whichever way it is printed.
func TestSecretNeverPrints(t *testing.T) {
	const key = "sk-live-0123456789abcdef"
	s := NewSecret(key)
	holder := struct {
		Provider string
		Key      Secret
	}{"lambda", s}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("creds", "key", s, "holder", holder)
	js, _ := json.Marshal(holder)
	outputs := []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q", s, holder, holder, s, s), string(js), logs.String()}
	for _, out := range outputs {
		if strings.Contains(out, key) || strings.Contains(out, "0123456789") {
			t.Fatalf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != key || s.Mask() != "****cdef" {
		t.Fatal("reveal/mask")
	}
}

func TestSetPricesIn(t *testing.T) {
	var o Offer
	o.SetGPU("L40S", 48, 2)
	if err := o.SetPricesIn("eur", 2.5, 1); err != nil {
		t.Fatal(err)
	}
	rate, _ := USDRate("EUR")
	if o.Currency != "USD" || o.ListCurrency != "EUR" || o.ListPricePerHour != 2.5 || o.PricePerHour != roundPrice(2.5*rate) ||
		*o.SpotPricePerHour != roundPrice(rate) {
		t.Fatalf("%+v", o)
	}
	if err := o.SetPricesIn("XYZ", 1, 0); err == nil {
		t.Fatal("unknown currency accepted")
	}
	if err := SetUSDRates(map[string]float64{"EUR": -1}); err == nil {
		t.Fatal("negative rate accepted")
	}
}
