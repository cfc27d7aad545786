package breaker

import (
	"math"
	"testing"
	"time"
)

func TestWithDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{"zero", Config{}, Config{Window: 10, FailureRatio: 0.5, OpenFor: 30 * time.Second, HalfOpenTrials: 3}},
		{"negative", Config{Window: -1, FailureRatio: -0.5, OpenFor: -time.Second, HalfOpenTrials: -3},
			Config{Window: 10, FailureRatio: 0.5, OpenFor: 30 * time.Second, HalfOpenTrials: 3}},
		{"ratio above 1", Config{FailureRatio: 1.5}, Config{Window: 10, FailureRatio: 0.5, OpenFor: 30 * time.Second, HalfOpenTrials: 3}},
		{"ratio NaN", Config{FailureRatio: math.NaN()}, Config{Window: 10, FailureRatio: 0.5, OpenFor: 30 * time.Second, HalfOpenTrials: 3}},
		{"huge window", Config{Window: math.MaxInt}, Config{Window: maxWindow, FailureRatio: 0.5, OpenFor: 30 * time.Second, HalfOpenTrials: 3}},
		{"set", Config{Window: 20, FailureRatio: 1, OpenFor: time.Minute, HalfOpenTrials: 1},
			Config{Window: 20, FailureRatio: 1, OpenFor: time.Minute, HalfOpenTrials: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.withDefaults()
			if got.Now == nil {
				t.Fatal("Now left nil")
			}
			got.Now = nil
			if got.Window != tt.want.Window || got.FailureRatio != tt.want.FailureRatio ||
				got.OpenFor != tt.want.OpenFor || got.HalfOpenTrials != tt.want.HalfOpenTrials {
				t.Errorf("withDefaults(%+v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestTripFailures(t *testing.T) {
	tests := []struct {
		window int
		ratio  float64
		want   int
	}{
		{10, 0.5, 5},
		{10, 0.3, 3}, // 0.3*10 rounds above 3
		{10, 0.7, 7},
		{10, 0.51, 6},
		{10, 1, 10},
		{10, 1e-300, 1},
		{7, 0.5, 4},
		{3, 1.0 / 3, 1},
		{1, 0.5, 1},
		{maxWindow, 0.5, maxWindow / 2},
	}
	for _, tt := range tests {
		if got := tripFailures(tt.window, tt.ratio); got != tt.want {
			t.Errorf("tripFailures(%d, %v) = %d, want %d", tt.window, tt.ratio, got, tt.want)
		}
	}
}
