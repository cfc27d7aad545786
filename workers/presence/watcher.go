package presence

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// Config configures a Watcher.
type Config struct {
	Cell   string
	Conn   *nats.Conn
	Events eventbus.Bus
	// Missed is how many heartbeat intervals a replica may be silent
	// before it counts as gone (default 3).
	Missed int
	// CheckEvery is how often silences are looked for (default 1 s).
	CheckEvery time.Duration
	Logger     *slog.Logger
}

// Watcher reports replicas whose heartbeats stopped; see the package doc.
type Watcher struct {
	cfg  Config
	log  *slog.Logger
	subs []*nats.Subscription
	stop chan struct{}
	done sync.WaitGroup

	mu       sync.Mutex
	replicas map[replica]heard
	// left holds replicas that said they left, for forgetTime: their last
	// heartbeat may be handled after their replica_left (another
	// subscription) and must not bring them back.
	left map[replica]time.Time
}

// forgetTime is how long a replica that left is remembered.
const forgetTime = 10 * time.Minute

type replica struct{ provider, name string }

// heard is a replica's last heartbeat: when it came and the interval it
// promised.
type heard struct {
	at       time.Time
	interval time.Duration
}

// Start subscribes to the cell's heartbeats and provider events.
func Start(cfg Config) (*Watcher, error) {
	if cfg.Conn == nil || cfg.Events == nil || !shared.ValidName(cfg.Cell) {
		return nil, errors.New("presence: a cell, a NATS connection and an event bus are required")
	}
	if cfg.Missed <= 0 {
		cfg.Missed = 3
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Watcher{cfg: cfg, log: cfg.Logger.With("component", "presence"), stop: make(chan struct{}), replicas: map[replica]heard{},
		left: map[replica]time.Time{}}
	for subj, h := range map[string]nats.MsgHandler{
		shared.HealthSubject(cfg.Cell, "*"):                     w.onHeartbeat,
		events.KindSubjects(cfg.Cell, events.TypeProviderEvent): w.onProviderEvent,
	} {
		sub, err := cfg.Conn.Subscribe(subj, h)
		if err != nil {
			w.unsubscribe()
			return nil, fmt.Errorf("presence: subscribing %s: %w", subj, err)
		}
		w.subs = append(w.subs, sub)
	}
	w.done.Add(1)
	go w.loop()
	return w, nil
}

// Stop ends the watch.
func (w *Watcher) Stop() {
	w.unsubscribe()
	close(w.stop)
	w.done.Wait()
}

func (w *Watcher) unsubscribe() {
	for _, s := range w.subs {
		_ = s.Unsubscribe()
	}
}

func (w *Watcher) onHeartbeat(m *nats.Msg) {
	var st shared.WorkerStatus
	if err := json.Unmarshal(m.Data, &st); err != nil || st.Provider == "" || st.Replica == "" {
		return // not a heartbeat this watcher can follow
	}
	interval := time.Duration(st.Interval) * time.Millisecond
	if interval <= 0 {
		interval = 5 * time.Second
	}
	r := replica{st.Provider, st.Replica}
	w.mu.Lock()
	if _, gone := w.left[r]; !gone {
		w.replicas[r] = heard{at: time.Now(), interval: interval}
	}
	w.mu.Unlock()
}

func (w *Watcher) onProviderEvent(m *nats.Msg) {
	var ev events.ProviderEvent
	if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Event != events.ReplicaLeft {
		return
	}
	r := replica{ev.Provider, ev.Replica}
	w.mu.Lock()
	delete(w.replicas, r)
	w.left[r] = time.Now()
	w.mu.Unlock()
}

func (w *Watcher) loop() {
	defer w.done.Done()
	t := time.NewTicker(w.cfg.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			w.check(now)
		}
	}
}

// check reports every replica silent for Missed intervals.
func (w *Watcher) check(now time.Time) {
	var gone []events.ProviderEvent
	w.mu.Lock()
	for r, at := range w.left {
		if now.Sub(at) > forgetTime {
			delete(w.left, r)
		}
	}
	for r, h := range w.replicas {
		silent := now.Sub(h.at)
		if silent < time.Duration(w.cfg.Missed)*h.interval {
			continue
		}
		delete(w.replicas, r)
		w.left[r] = now
		head := events.NewHeader(events.TypeProviderEvent, w.cfg.Cell, now)
		head.EventID = events.ReplicaLeftID(w.cfg.Cell, r.provider, r.name)
		gone = append(gone, events.ProviderEvent{Header: head, Provider: r.provider, Event: events.ReplicaLeft, Replica: r.name,
			Reason: fmt.Sprintf("heartbeat lost: none for %s", silent.Round(time.Second))})
	}
	w.mu.Unlock()
	for _, ev := range gone {
		w.log.Warn("worker replica stopped sending heartbeats; reported as left", "provider", ev.Provider, "replica", ev.Replica, "reason", ev.Reason)
		if err := w.cfg.Events.Publish(ev); err != nil {
			w.log.Warn("emitting replica_left", "provider", ev.Provider, "replica", ev.Replica, "err", err)
		}
	}
}
