package cells

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/internal/testlog"
	"github.com/gpubroker/gpubroker/shared/events"
)

type healthEvents struct {
	Status string `json:"status"`
	Events *struct {
		Stream struct {
			Name     string `json:"name"`
			OK       bool   `json:"ok"`
			Messages uint64 `json:"messages"`
			MaxBytes uint64 `json:"max_bytes"`
		} `json:"stream"`
		Kafka *struct {
			Brokers   []string `json:"brokers"`
			Reachable bool     `json:"reachable"`
			LastError string   `json:"last_error"`
			Lag       []struct {
				Type    string `json:"type"`
				Topic   string `json:"topic"`
				Pending uint64 `json:"pending"`
			} `json:"lag"`
		} `json:"kafka"`
	} `json:"events"`
}

// startBridgedCell runs a whole cell with the bridge, logging into logs.
func startBridgedCell(t *testing.T, logs *testlog.Buffer, mutate func(*Config)) *Cell {
	t.Helper()
	cfg := Defaults()
	cfg.HTTPAddr, cfg.SimStepEvery, cfg.AccessLog, cfg.SyncInterval = "127.0.0.1:0", 0, false, 0
	cfg.DataDir = t.TempDir()
	cfg.Events.MaxBytes = 64 << 20
	mutate(&cfg)
	roles := AllRoles
	roles.Bridge = true
	c, err := Start(cfg, roles, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = c.Stop(ctx)
	})
	return c
}

// A KAFKA_BROKERS value that does not parse is one clear log line; the
// cell serves and keeps its events in JetStream.
func TestBadKafkaBrokersKeepServing(t *testing.T) {
	logs := &testlog.Buffer{}
	c := startBridgedCell(t, logs, func(c *Config) { c.KafkaBrokers = "http://kafka" })
	if !strings.Contains(logs.String(), "KAFKA_BROKERS is not usable") {
		t.Fatalf("no log line about the bad value:\n%s", logs.String())
	}
	var h healthEvents
	if r := call(t, "GET", "http://"+c.HTTPAddr()+"/health", nil, &h); r.StatusCode != 200 {
		t.Fatalf("/health = %d", r.StatusCode)
	}
	if h.Events == nil || !h.Events.Stream.OK || h.Events.Stream.Name != "GPUBROKER_EVENTS_local" || h.Events.Kafka != nil {
		t.Fatalf("/health events = %+v", h.Events)
	}
	if r := call(t, "GET", "http://"+c.HTTPAddr()+"/api/v2/providers?gpu=H100", nil, nil); r.StatusCode != 200 {
		t.Fatalf("search = %d", r.StatusCode)
	}
}

// Unreachable brokers at start: the cell serves, /health says Kafka is
// unreachable (degraded), the stream buffers.
func TestUnreachableKafkaKeepServing(t *testing.T) {
	logs := &testlog.Buffer{}
	c := startBridgedCell(t, logs, func(c *Config) { c.KafkaBrokers = "127.0.0.1:1" })
	if r := call(t, "GET", "http://"+c.HTTPAddr()+"/api/v2/providers?gpu=H100", nil, nil); r.StatusCode != 200 {
		t.Fatalf("search = %d", r.StatusCode)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "kafka unreachable") {
		if time.Now().After(deadline) {
			t.Fatalf("no log line about kafka being unreachable:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var h healthEvents
	call(t, "GET", "http://"+c.HTTPAddr()+"/health", nil, &h)
	if h.Status != "degraded" || h.Events == nil || h.Events.Kafka == nil || h.Events.Kafka.Reachable ||
		h.Events.Kafka.LastError == "" || !h.Events.Stream.OK || h.Events.Stream.Messages == 0 {
		t.Fatalf("/health = %+v", h)
	}
}

// A whole cell with KAFKA_BROKERS set: the simulator's price moves reach
// gpubroker.price-updates as price_update events, and the workers'
// provider events reach gpubroker.provider-events.
func TestCellEventsReachKafka(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	cell := "k" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	client, err := sarama.NewClient(strings.Split(brokers, ","), func() *sarama.Config {
		sc := sarama.NewConfig()
		sc.Version = sarama.V4_0_0_0
		return sc
	}())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	logs := &testlog.Buffer{}
	c := startBridgedCell(t, logs, func(c *Config) {
		c.Cell, c.KafkaBrokers = cell, brokers
		c.Providers = []string{"runpod", "lambda"}
		c.SimStepEvery, c.ProbeInterval = 100*time.Millisecond, 200*time.Millisecond
	})
	seen := map[string]int{}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	deadline := time.Now().Add(90 * time.Second)
	for seen[events.TypePriceUpdate] == 0 || seen[events.TypeProviderEvent] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("events of cell %s in kafka: %v\nlogs:\n%s", cell, seen, logs.String())
		}
		seen = map[string]int{}
		for _, topic := range []string{events.TopicPriceUpdates, events.TopicProviderEvents} {
			countCell(t, client, consumer, topic, cell, seen)
		}
		time.Sleep(500 * time.Millisecond)
	}
	var h healthEvents
	call(t, "GET", "http://"+c.HTTPAddr()+"/health", nil, &h)
	if h.Events == nil || h.Events.Kafka == nil || !h.Events.Kafka.Reachable || len(h.Events.Kafka.Lag) != outboundKinds() {
		t.Fatalf("/health events = %+v", h.Events)
	}
}

// countCell counts, by type, the records of cell in topic (reading every
// partition from its start up to now).
func countCell(t *testing.T, client sarama.Client, consumer sarama.Consumer, topic, cell string, seen map[string]int) {
	t.Helper()
	parts, err := client.Partitions(topic)
	if err != nil {
		return // not created yet
	}
	for _, p := range parts {
		end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil || end == 0 {
			continue
		}
		start, _ := client.GetOffset(topic, p, sarama.OffsetOldest)
		if start >= end {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, p, max(start, end-2000))
		if err != nil {
			t.Fatal(err)
		}
		for m := range pc.Messages() {
			var h events.Header
			if json.Unmarshal(m.Value, &h) == nil && h.Cell == cell {
				seen[h.Type]++
			}
			if m.Offset >= end-1 {
				break
			}
		}
		_ = pc.Close()
	}
}

// outboundKinds is how many kinds the bridge carries out (one lag each).
func outboundKinds() int {
	n := 0
	for _, r := range events.Routes() {
		if r.Outbound {
			n++
		}
	}
	return n
}
