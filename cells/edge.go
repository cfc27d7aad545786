package cells

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/edge"
	"github.com/gpubroker/gpubroker/edge/accountapi"
	"github.com/gpubroker/gpubroker/edge/board"
	"github.com/gpubroker/gpubroker/edge/cache"
	decideapi "github.com/gpubroker/gpubroker/edge/decide"
	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/gpubroker/gpubroker/edge/jobs"
	"github.com/gpubroker/gpubroker/edge/ops"
	"github.com/gpubroker/gpubroker/edge/ratelimit"
	"github.com/gpubroker/gpubroker/edge/search"
	"github.com/gpubroker/gpubroker/edge/stream"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/feed"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/webhook"
	"github.com/gpubroker/gpubroker/webhooks"
	"github.com/gpubroker/gpubroker/workers/client"
	"github.com/gpubroker/gpubroker/workers/datasync"
)

// startEdge assembles the HTTP edge from its feature packages over this
// cell's NATS, stores and Redis, and serves it on HTTPAddr.
func (c *Cell) startEdge(ctx context.Context) error {
	src, err := c.offersClient()
	if err != nil {
		return err
	}
	keys, err := c.providerKeys()
	if err != nil {
		return err
	}
	db, err := c.store(ctx)
	if err != nil {
		return err
	}
	issuer, err := c.issuer()
	if err != nil {
		return err
	}
	hub, err := c.startFeed(ctx)
	if err != nil {
		return err
	}
	c.hub.Store(hub)
	// Test deliveries are stored in the stream before the edge answers.
	js, err := jetstream.New(c.nc)
	if err != nil {
		return fmt.Errorf("edge: jetstream: %w", err)
	}
	parts := edgeParts{source: src, checker: src, keys: keys, db: db, issuer: issuer, hub: hub, queue: eventbus.Storer{JS: js},
		limiter: ratelimit.Config{OnRedisError: c.redisErrorLogger("rate limiter")}}
	if c.cfg.RedisURL != "" {
		rdb, err := openRedis(c.cfg.RedisURL)
		if err != nil {
			return err
		}
		c.stops = append(c.stops, func(context.Context) error { return rdb.Close() })
		parts.limiter.Redis = rdb
		parts.limiter.KeyPrefix = "gpubroker:" + c.cfg.Cell + ":ratelimit:"
		parts.l1 = cache.NewRedisL1(rdb, "gpubroker:"+c.cfg.Cell+":cache:")
		parts.loginLimiter = accounts.NewLoginLimiter(rdb, nil)
	}
	srv, closeParts, err := c.assembleEdge(parts)
	c.stops = append(c.stops, func(context.Context) error { closeParts(); return nil })
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", c.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("edge listen %s: %w", c.cfg.HTTPAddr, err)
	}
	c.edge, c.httpAddr = srv, l.Addr().String()
	ectx, ecancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		err := srv.Serve(ectx, l, c.cfg.DrainTimeout)
		if err != nil && ectx.Err() == nil {
			c.done <- err
		}
		served <- err
	}()
	c.stops = append(c.stops, func(context.Context) error { ecancel(); return <-served })
	return nil
}

// edgeParts are what the edge is assembled over.
type edgeParts struct {
	source       client.Source
	checker      accountapi.CredentialChecker // nil: key checks answer "unverified"
	keys         credentials.Store            // users' provider keys
	db           store.Store                  // nil: the account routes answer 503
	issuer       *accounts.Issuer             // signs tokens; required with db
	limiter      ratelimit.Config
	loginLimiter *ratelimit.Limiter // nil: in-process
	l1           cache.L1           // nil: no shared cache tier
	hub          *feed.Hub          // nil: no push routes
	queue        accounts.Queue     // nil: test deliveries answer 503
}

// startFeed makes the edge's live view of the cell's events, following the
// event stream (made here if no other role made it yet) until the cell
// stops.
func (c *Cell) startFeed(ctx context.Context) (*feed.Hub, error) {
	bus, err := c.eventBus()
	if err != nil {
		return nil, err
	}
	hub := feed.NewHub(feed.Config{Metrics: c.Metrics})
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { feed.Follow(fctx, bus.JetStream(), c.cfg.Cell, hub, c.log); close(done) }()
	c.stops = append(c.stops, func(ctx context.Context) error { cancel(); return awaitStop(ctx, "feed", done) })
	return hub, nil
}

// assembleEdge builds the edge core over the feature packages' routes:
// search, the account API and the operational endpoints. A new feature
// package is added here and nowhere else in the cell. closeParts releases
// what it made (the rate limiter, the account service) and is safe to call
// when err is set.
func (c *Cell) assembleEdge(p edgeParts) (srv *edge.Server, closeParts func(), err error) {
	var closers []func()
	closeParts = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	cfg := c.cfg
	health := client.NewHealthBook(cfg.Providers)
	offers, err := search.New(search.Config{Providers: cfg.Providers, Source: p.source, Health: health,
		ProviderTimeout: cfg.ProviderTimeout, MaxWaiting: cfg.MaxWaiting, Logger: c.log, Metrics: c.Metrics,
		Cache: search.CacheConfig{Disabled: cfg.CacheDisabled, PricingTTL: cfg.PricingTTL, StaticTTL: cfg.StaticTTL,
			StaleFor: cfg.StaleFor, L1: p.l1}})
	if err != nil {
		return nil, closeParts, err
	}
	limiter := ratelimit.New(p.limiter)
	closers = append(closers, limiter.Close)
	idc := identity.Config{APIKeys: cfg.ClientKeys, JWTPublicKey: cfg.JWTPublicKey, JWTIssuer: cfg.JWTIssuer,
		TrustedProxies: cfg.TrustedProxies}
	var svc *accounts.Service
	if p.db != nil {
		svc, err = accounts.New(accounts.Config{Store: p.db, Issuer: p.issuer, LoginLimiter: p.loginLimiter,
			AllowHTTPWebhooks: cfg.Development, Resolver: cfg.WebhookResolver, Queue: p.queue, Cell: cfg.Cell, Offers: offers,
			Logger: c.log})
		if err != nil {
			return nil, closeParts, fmt.Errorf("accounts: %w", err)
		}
		closers = append(closers, svc.Close)
		// The gateway issues its own tokens: its key, name and audience
		// replace any external issuer's.
		idc.Stored, idc.JWTPublicKey, idc.JWTIssuer, idc.JWTAudience = svc.KeyAuth(), p.issuer.PublicKey(), p.issuer.Name(), accounts.Audience
	}
	api := accountapi.New(accountapi.Config{Accounts: svc, Keys: p.keys, Checker: p.checker, Providers: cfg.Providers, Logger: c.log})
	opsCfg := ops.Config{Cell: cfg.Cell, Providers: cfg.Providers, Source: p.source, Health: health, Cache: offers,
		Limiter: limiter, Metrics: c.Metrics}
	if c.bus != nil { // this process produces events: /health shows their backbone
		opsCfg.Events = c.eventsView
	}
	var jobsFeature *jobs.Jobs // made below; /health reads it after start
	opsCfg.Jobs = func(ctx context.Context) ops.JobsView {
		v := ops.JobsView{Orchestrator: cfg.Orchestrator, Runs: map[string]ops.JobRunView{}}
		if v.Orchestrator == "" {
			v.Orchestrator = OrchestratorEmbedded
		}
		if jobsFeature != nil {
			for name, r := range jobsFeature.Status() {
				v.Runs[name] = ops.JobRunView{LastSuccess: r.LastSuccess, LastFailure: r.LastFailure, LastError: r.LastError}
			}
		}
		if cfg.AirflowURL != "" {
			actx, cancel := context.WithTimeout(ctx, 2*time.Second)
			v.Airflow = airflowView(actx, http.DefaultClient, cfg.AirflowURL, cfg.AirflowToken.Reveal())
			cancel()
		}
		return v
	}
	status := ops.New(opsCfg)
	features := []interface{ Routes() []httpx.Route }{offers, api, status, board.New(), decideapi.New()}
	if p.hub != nil {
		push := stream.New(stream.Config{Hub: p.hub, Providers: cfg.Providers, Limits: cfg.StreamLimits, Logger: c.log,
			Status: func() []stream.ProviderInfo {
				var out []stream.ProviderInfo
				for _, p := range status.Summaries() {
					out = append(out, stream.ProviderInfo{Name: p.Name, Healthy: p.Healthy, Weight: p.Weight, AvgLatencyMS: p.LatencyMS})
				}
				return out
			},
			Offers: func(ctx context.Context, ids shared.RequestIDs, filters map[string][]string) ([]byte, *httpx.Error) {
				q, err := search.ParseFilters(filters)
				if err != nil {
					return nil, err
				}
				body, err, _ := offers.Offers(ctx, ids, q)
				return body, err
			}})
		closers = append(closers, func() {
			ctx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
			defer cancel()
			_ = push.Close(ctx)
		})
		features = append(features, push)
	}
	js := jobs.New(c.jobsConfig(p, offers))
	jobsFeature = js
	features = append(features, js)
	if cfg.Orchestrator != OrchestratorAirflow && cfg.CacheWarmEvery > 0 {
		closers = append(closers, c.warmEvery(js, cfg.CacheWarmEvery))
	}
	var routes []httpx.Route
	for _, f := range features {
		routes = append(routes, f.Routes()...)
	}
	srv, err = edge.New(edge.Config{Routes: routes, Identity: identity.New(idc), Limiter: limiter, PlanLimits: cfg.PlanLimits,
		RequestTimeout: cfg.RequestTimeout, MaxBodyBytes: cfg.MaxBodyBytes, AccessLog: cfg.AccessLog,
		Logger: c.log, Metrics: c.Metrics})
	return srv, closeParts, err
}

// jobsConfig is what the job routes run in this process.
func (c *Cell) jobsConfig(p edgeParts, offers *search.Service) jobs.Config {
	cfg := jobs.Config{Logger: c.log, Warm: func(ctx context.Context) any { return offers.Warm(ctx) }}
	if n, ok := p.source.(*client.NATS); ok {
		cfg.Probe = func(ctx context.Context) any { return n.Probe(ctx, c.cfg.Providers) }
	}
	if c.nc == nil { // an edge assembled without the cell's NATS (tests)
		return cfg
	}
	cfg.Sync = func(ctx context.Context) (any, error) { return datasync.Trigger(ctx, c.nc, c.cfg.Cell) }
	if p.db != nil {
		if js, err := jetstream.New(c.nc); err == nil {
			d := webhooks.NewDeliverer(webhooks.DelivererConfig{Cell: c.cfg.Cell, Store: p.db, JS: js, Sender: c.webhookSender(),
				Logger: c.log, Metrics: c.Metrics})
			cfg.Deliver = func(ctx context.Context, req events.WebhookRequest, n int) (webhooks.Attempted, error) {
				return d.Attempt(ctx, req, n, webhook.Delay(min(n, webhook.Attempts-1), webhook.Jitter()))
			}
			cfg.DeadLetter = d.DeadLetter
		}
	}
	return cfg
}

// warmEvery runs the cache_warm job on a timer (the embedded schedule);
// the returned func stops it.
func (c *Cell) warmEvery(j *jobs.Jobs, every time.Duration) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := j.Run(jobs.CacheWarm); err != nil {
					c.log.Warn("cache warm failed", "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}
