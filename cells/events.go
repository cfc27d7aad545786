package cells

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/analytics"
	"github.com/gpubroker/gpubroker/bridge"
	"github.com/gpubroker/gpubroker/edge/ops"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/feed"
	"github.com/gpubroker/gpubroker/workers/presence"
)

// streamConfig is the cell's event stream as configured.
func (c *Cell) streamConfig() eventbus.StreamConfig {
	s := c.cfg.Events
	s.Cell = c.cfg.Cell
	return s
}

// eventBus is the process's publisher into the cell's event stream, made
// once: workers (and later alerts, rentals) write through it.
func (c *Cell) eventBus() (*eventbus.JetStream, error) {
	if c.bus != nil {
		return c.bus, nil
	}
	bus, err := eventbus.New(c.nc, eventbus.Config{Stream: c.streamConfig(), Logger: c.log, Metrics: c.Metrics})
	if err != nil {
		return nil, err
	}
	c.stops = append(c.stops, bus.Close)
	c.bus = bus
	return bus, nil
}

// startBridge runs the bridge to Kafka in this process. A KAFKA_BROKERS
// value that does not parse is a configuration mistake the cell survives:
// it says so and keeps buffering events in JetStream.
func (c *Cell) startBridge() error {
	brokers, err := bridge.ParseBrokers(c.cfg.KafkaBrokers)
	if err != nil {
		c.log.Error("KAFKA_BROKERS is not usable; running without the Kafka bridge, events stay in JetStream", "err", err)
		return nil
	}
	if _, err := c.eventBus(); err != nil { // the stream exists before the bridge reads it
		return err
	}
	b, err := bridge.New(c.nc, bridge.Config{Cell: c.cfg.Cell, Brokers: brokers,
		Partitions: int32(c.cfg.KafkaPartitions), ReplicationFactor: int16(c.cfg.KafkaReplication),
		FlushBytes: c.cfg.KafkaFlushBytes, FlushMessages: c.cfg.KafkaFlushRecords, FlushFrequency: c.cfg.KafkaFlushEvery,
		LeaseTTL: c.cfg.BridgeLeaseTTL,
		Logger:   c.log, Metrics: c.Metrics}, c.streamConfig())
	if err != nil {
		return err
	}
	b.Start()
	c.bridge = b
	c.stops = append(c.stops, b.Stop)
	return nil
}

// eventsView is /health's events section.
func (c *Cell) eventsView(ctx context.Context) ops.EventsView {
	v := ops.EventsView{Stream: ops.StreamView{Name: eventbus.StreamName(c.cfg.Cell)}}
	if c.bus != nil {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := c.bus.Stats(ctx)
		cancel()
		if err != nil {
			v.Stream.Error = err.Error()
		} else {
			v.Stream.OK, v.Stream.Messages, v.Stream.Bytes, v.Stream.MaxBytes = true, st.Messages, st.Bytes, st.MaxBytes
		}
	}
	if c.bridge != nil {
		st := c.bridge.Status(ctx)
		k := &ops.KafkaView{Role: st.Role, Brokers: st.Brokers, Reachable: st.Reachable, LastOK: st.LastOK, LastError: st.LastError}
		for _, m := range st.Mappings {
			k.Lag = append(k.Lag, ops.LagView{Type: m.Type, Topic: m.Topic, Pending: m.Pending, InFlight: m.InFlight})
		}
		v.Kafka = k
	}
	v.Analytics = &ops.AnalyticsView{Mode: c.cfg.Analytics}
	if v.Analytics.Mode == "" {
		v.Analytics.Mode = AnalyticsEmbedded
	}
	if r := c.analytics.Load(); r != nil {
		st := r.Status()
		v.Analytics.Role, v.Analytics.LastResult = st.Role, st.LastResult
	}
	if h := c.hub.Load(); h != nil { // results pushed here, whoever made them (Flink too)
		for _, kind := range []string{feed.KindPriceChange, feed.KindAnomaly} {
			if t := h.LastSeen(kind); t.After(v.Analytics.LastResult) {
				v.Analytics.LastResult = t.UTC()
			}
		}
	}
	if url := c.cfg.FlinkRESTURL; url != "" {
		fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		jobs, err := analytics.FlinkJobs(fctx, http.DefaultClient, url)
		cancel()
		fv := &ops.FlinkView{Reachable: err == nil}
		if err != nil {
			fv.Error = err.Error()
		}
		for _, j := range jobs {
			if j.State == "RUNNING" {
				fv.Running++
			}
			fv.Jobs = append(fv.Jobs, j.Name+": "+j.State)
		}
		v.Analytics.Flink = fv
	}
	return v
}

// startPresence reports worker replicas whose heartbeats stopped (killed
// ones cannot say they left).
func (c *Cell) startPresence() error {
	bus, err := c.eventBus()
	if err != nil {
		return err
	}
	w, err := presence.Start(presence.Config{Cell: c.cfg.Cell, Conn: c.nc, Events: bus, Logger: c.log})
	if err != nil {
		return err
	}
	c.stops = append(c.stops, func(context.Context) error { w.Stop(); return nil })
	return nil
}

// startAnalytics runs the embedded detectors (docs/analytics.md) unless
// the cell's analytics come from Flink through the bridge.
func (c *Cell) startAnalytics(ctx context.Context) error {
	if c.cfg.Analytics == AnalyticsFlink {
		c.log.Info("stream analytics from Flink (gpubroker.price-alerts, -anomalies, -aggregates through the bridge); embedded detectors off")
		return nil
	}
	if _, err := c.eventBus(); err != nil { // the stream exists before the runner reads it
		return err
	}
	js, err := jetstream.New(c.nc)
	if err != nil {
		return fmt.Errorf("analytics: %w", err)
	}
	r, err := analytics.NewRunner(analytics.RunnerConfig{Cell: c.cfg.Cell, JS: js, Logger: c.log, Metrics: c.Metrics})
	if err != nil {
		return err
	}
	c.analytics.Store(r)
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(actx); close(done) }()
	c.stops = append(c.stops, func(ctx context.Context) error { cancel(); return awaitStop(ctx, "analytics", done) })
	return nil
}
