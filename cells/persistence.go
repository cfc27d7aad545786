package cells

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/alerts"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/store/embedded"
	"github.com/gpubroker/gpubroker/shared/store/pgstore"
	"github.com/gpubroker/gpubroker/shared/webhook"
	"github.com/gpubroker/gpubroker/webhooks"
	"github.com/gpubroker/gpubroker/workers/client"
	"github.com/gpubroker/gpubroker/workers/datasync"
)

// store opens the store once per process: PostgreSQL when DATABASE_URL is
// set, else the embedded store under DataDir.
func (c *Cell) store(ctx context.Context) (store.Store, error) {
	if c.db != nil {
		return c.db, nil
	}
	var (
		db  store.Store
		err error
	)
	if c.cfg.DatabaseURL != "" {
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		db, err = pgstore.Open(octx, c.cfg.DatabaseURL)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("opening PostgreSQL: %w", err)
		}
	} else {
		if err := os.MkdirAll(c.cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		if db, err = embedded.Open(c.cfg.DataDir); err != nil {
			return nil, fmt.Errorf("opening the embedded store in %s: %w", c.cfg.DataDir, err)
		}
		abs, _ := filepath.Abs(c.cfg.DataDir)
		c.log.Info("embedded store", "dir", abs)
	}
	c.stops = append(c.stops, func(context.Context) error { return db.Close() })
	c.db = db
	return db, nil
}

// issuer signs access and service tokens with the configured key, else one
// kept in DataDir.
func (c *Cell) issuer() (*accounts.Issuer, error) {
	key := c.cfg.JWTPrivateKey
	if key == nil {
		var err error
		if key, err = accounts.LoadOrCreateKey(c.cfg.DataDir); err != nil {
			return nil, err
		}
	}
	return accounts.NewIssuer(key, accounts.IssuerConfig{Issuer: c.cfg.JWTIssuer})
}

// syncFetcher lets the data-sync job ask the workers like the edge does.
type syncFetcher struct{ src client.Source }

func (f syncFetcher) Fetch(ctx context.Context, provider string) ([]shared.Offer, error) {
	po, err := f.src.Fetch(ctx, provider, shared.RequestIDs{RequestID: "sync-" + provider, TraceID: "sync"})
	return po.Offers, err
}

// startAlerts runs the cell's price-alert evaluator (one per cell, with
// the data-sync job: the store's jobs) until the cell stops.
func (c *Cell) startAlerts(ctx context.Context, db store.Store) error {
	bus, err := c.eventBus()
	if err != nil {
		return err
	}
	r := alerts.NewRunner(alerts.RunnerConfig{Cell: c.cfg.Cell, Store: db, JS: bus.JetStream(), Events: bus,
		Logger: c.log, Metrics: c.Metrics})
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(actx); close(done) }()
	c.stops = append(c.stops, func(ctx context.Context) error { cancel(); return awaitStop(ctx, "alerts", done) })
	return nil
}

// startWebhooks runs the webhook dispatcher and delivery worker on the
// cell's stream. Their client has none of the bus's async handlers: they
// wait for each publish themselves.
// webhookSender is the configured sender, or the production one (with
// loopback receivers allowed in development).
func (c *Cell) webhookSender() webhooks.Sender {
	if c.cfg.WebhookSender != nil {
		return c.cfg.WebhookSender
	}
	sc := webhook.SenderConfig{}
	if c.cfg.Development { // a receiver on the developer's machine
		sc.Blocked = func(a netip.Addr) bool { return !a.Unmap().IsLoopback() && webhook.BlockedAddr(a) }
	}
	return webhook.NewSender(sc)
}

func (c *Cell) startWebhooks(ctx context.Context, db store.Store) error {
	if _, err := c.eventBus(); err != nil { // the stream exists before they read it
		return err
	}
	js, err := jetstream.New(c.nc)
	if err != nil {
		return fmt.Errorf("webhooks: %w", err)
	}
	d := webhooks.NewDispatcher(webhooks.DispatcherConfig{Cell: c.cfg.Cell, Store: db, JS: js, Logger: c.log, Metrics: c.Metrics})
	v := webhooks.NewDeliverer(webhooks.DelivererConfig{Cell: c.cfg.Cell, Store: db, JS: js, Sender: c.webhookSender(), Logger: c.log,
		Metrics: c.Metrics})
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		wg.Go(func() { d.Run(wctx) })
		if c.cfg.Orchestrator != OrchestratorAirflow { // else Airflow's webhook_delivery DAG delivers from Kafka
			wg.Go(func() { v.Run(wctx) })
		}
		wg.Wait()
		close(done)
	}()
	c.stops = append(c.stops, func(ctx context.Context) error { cancel(); return awaitStop(ctx, "webhooks", done) })
	return nil
}

// awaitStop waits for a role part's goroutine to end, or for ctx.
func awaitStop(ctx context.Context, what string, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s did not stop in time: %w", what, ctx.Err())
	}
}

// startSync runs the data-sync job on SyncInterval (when positive), first
// shortly after start so a fresh demo has history to show, and answers
// shared.SyncSubject so an external scheduler (Airflow) can run it on
// demand; set GPUBROKER_SYNC_INTERVAL=0 where one does.
func (c *Cell) startSync(ctx context.Context) error {
	src, err := c.offersClient()
	if err != nil {
		return err
	}
	db, err := c.store(ctx)
	if err != nil {
		return err
	}
	offers, ok := db.(store.OfferSync)
	if !ok {
		return fmt.Errorf("data sync: the %T store cannot record complete provider answers", db)
	}
	if err := c.startAlerts(ctx, db); err != nil {
		return err
	}
	if err := c.startWebhooks(ctx, db); err != nil {
		return err
	}
	if err := c.startPresence(); err != nil {
		return err
	}
	if err := c.startAnalytics(ctx); err != nil {
		return err
	}
	job := &datasync.Job{Fetcher: syncFetcher{src}, Store: offers, Providers: c.cfg.Providers, Logger: c.log}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	stopTrigger, err := job.Serve(ctx, c.nc, c.cfg.Cell)
	if err != nil {
		cancel()
		return err
	}
	// Stopped before the store closes (stops run in reverse order): a
	// running job is cut short, then both kinds of run are awaited.
	c.stops = append(c.stops, func(context.Context) error {
		cancel()
		err := stopTrigger()
		<-done
		return err
	})
	go func() {
		defer close(done)
		if c.cfg.SyncInterval <= 0 || c.cfg.Orchestrator == OrchestratorAirflow {
			return // Airflow's data_sync DAG runs it through <cell>.jobs.sync
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second): // let workers announce themselves
		}
		job.Every(ctx, c.cfg.SyncInterval)
	}()
	return nil
}
