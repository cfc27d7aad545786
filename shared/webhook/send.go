package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// Headers of every delivery besides the signature.
const (
	HeaderDelivery = "X-GPUBroker-Delivery" // the delivery id: the same on every attempt, for receivers to dedup
	HeaderEvent    = "X-GPUBroker-Event"    // price_alert, price_change, provider_health, test
)

// Resolver resolves a host name; *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// SenderConfig configures a Sender.
type SenderConfig struct {
	Timeout      time.Duration // a whole attempt, connection to last byte (default 10 s)
	MaxBodyBytes int64         // of the receiver's answer read before closing (default 64 KiB)
	Resolver     Resolver      // default net.DefaultResolver
	// Blocked says where a delivery must not connect (default
	// BlockedAddr); tests open the loopback address of their receiver.
	Blocked   func(netip.Addr) bool
	RootCAs   *x509.CertPool // nil: the system's
	UserAgent string
	Now       func() time.Time
}

// Sender makes delivery attempts: the destination is resolved and every
// address checked at connection time (DNS may have changed since the
// webhook was registered), the connection goes to the checked address with
// no second lookup, redirects are not followed, proxies are not used, and
// the answer is read only up to a cap.
type Sender struct {
	cfg    SenderConfig
	client *http.Client
}

// ErrBlocked is a destination that resolves to an address deliveries may
// not reach.
var ErrBlocked = errors.New("webhook: destination resolves to a private, loopback, link-local or reserved address")

// NewSender makes a sender.
func NewSender(cfg SenderConfig) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Blocked == nil {
		cfg.Blocked = BlockedAddr
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "gpubroker-webhooks/1"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sender{cfg: cfg}
	tr := &http.Transport{
		Proxy:                 nil, // never through an environment proxy: it would do its own lookup
		DialContext:           s.dial,
		TLSClientConfig:       &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	s.client = &http.Client{Transport: tr, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return s
}

// dial resolves the host, refuses the connection if any address is
// blocked, and connects to the first address that answers.
func (s *Sender) dial(ctx context.Context, network, hostport string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = s.cfg.Resolver.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, fmt.Errorf("webhook: resolving %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("webhook: %s has no address", host)
	}
	for _, a := range addrs {
		if s.cfg.Blocked(a) {
			return nil, ErrBlocked
		}
	}
	var d net.Dialer
	var last error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

// Delivery is one request to make.
type Delivery struct {
	URL, Secret string
	ID, Event   string
	Body        []byte
}

// Result is how an attempt went.
type Result struct {
	Status int           // the receiver's status; 0 when no answer came
	Took   time.Duration // the attempt's duration
	Err    error         // transport failure, blocked destination, or a non-2xx status
}

// Delivered: the receiver answered 2xx.
func (r Result) Delivered() bool { return r.Err == nil }

// Gone: the receiver answered 410 and wants no more deliveries.
func (r Result) Gone() bool { return r.Status == http.StatusGone }

// Send makes one attempt, signed at the moment it is made.
func (s *Sender) Send(ctx context.Context, d Delivery) Result {
	start := s.cfg.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return Result{Err: fmt.Errorf("webhook: request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	req.Header.Set(Header, Sign(d.Secret, start, d.Body))
	req.Header.Set(HeaderDelivery, d.ID)
	req.Header.Set(HeaderEvent, d.Event)
	resp, err := s.client.Do(req)
	took := s.cfg.Now().Sub(start)
	if err != nil {
		if errors.Is(err, ErrBlocked) {
			err = ErrBlocked
		}
		return Result{Took: took, Err: err}
	}
	_, _ = io.CopyN(io.Discard, resp.Body, s.cfg.MaxBodyBytes)
	resp.Body.Close()
	r := Result{Status: resp.StatusCode, Took: took}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.Err = errors.New("webhook: receiver answered " + strconv.Itoa(resp.StatusCode))
	}
	return r
}

// Retry schedule: 8 attempts over about an hour. Delay(n) is the wait
// after attempt n failed (n from 1), with ±20 % jitter so receivers that
// fail together are not retried together.
var retryDelays = []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute,
	8 * time.Minute, 15 * time.Minute, 30 * time.Minute}

// Attempts is how many attempts a delivery gets before it goes to the
// dead-letter queue.
const Attempts = 8

// Delay is the wait after failed attempt n (1 ≤ n < Attempts); jitter
// in [0,1) picks where in ±20 % it falls (rand.Float64 in production).
func Delay(n int, jitter float64) time.Duration {
	if n < 1 {
		n = 1
	}
	base := retryDelays[min(n, len(retryDelays))-1]
	return time.Duration(float64(base) * (0.8 + 0.4*jitter))
}

// Jitter is a random jitter for Delay.
func Jitter() float64 { return rand.Float64() }
