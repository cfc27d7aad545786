package webhook

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// resolver answers every name with the addresses it holds now (a DNS
// record that can change between registration and delivery).
type resolver struct{ addrs atomic.Value }

func (r *resolver) set(a ...string) {
	var out []netip.Addr
	for _, s := range a {
		out = append(out, netip.MustParseAddr(s))
	}
	r.addrs.Store(out)
}

func (r *resolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r.addrs.Load().([]netip.Addr), nil
}

// receiver is a real HTTPS server; its certificate names example.com,
// which the test resolver points at it.
func receiver(t *testing.T, h http.HandlerFunc) (*Sender, *resolver, string) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	u, _ := url.Parse(srv.URL)
	r := &resolver{}
	r.set("127.0.0.1")
	loop := netip.MustParseAddr("127.0.0.1")
	s := NewSender(SenderConfig{Resolver: r, RootCAs: pool, Timeout: 2 * time.Second,
		// Only the test's own receiver is let through the policy.
		Blocked: func(a netip.Addr) bool { return a != loop && BlockedAddr(a) }})
	return s, r, "https://example.com:" + u.Port() + "/hook"
}

// A receiver verifies the signature over the exact body and timestamp,
// and sees the delivery id and event.
func TestSendSigned(t *testing.T) {
	const secret = "whsec-0123456789abcdef"
	got := make(chan error, 1)
	s, _, u := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := Verify(secret, r.Header.Get(Header), body, time.Now(), 0)
		if err == nil && (r.Header.Get(HeaderDelivery) != "d-1" || r.Header.Get(HeaderEvent) != "price_alert" ||
			r.Header.Get("Content-Type") != "application/json" || string(body) != `{"x":1}`) {
			err = errors.New("headers or body: " + r.Header.Get(HeaderDelivery) + " " + string(body))
		}
		got <- err
	})
	res := s.Send(context.Background(), Delivery{URL: u, Secret: secret, ID: "d-1", Event: "price_alert", Body: []byte(`{"x":1}`)})
	if !res.Delivered() || res.Status != 200 {
		t.Fatalf("result %+v", res)
	}
	if err := <-got; err != nil {
		t.Fatalf("receiver: %v", err)
	}
}

// 500 is a failure to retry, 2xx a delivery, 410 a receiver that wants no
// more.
func TestSendStatuses(t *testing.T) {
	var n atomic.Int32
	codes := []int{500, 204, 410}
	s, _, u := receiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(codes[n.Add(1)-1]) })
	d := Delivery{URL: u, Secret: "s3cret-s3cret", ID: "d", Event: "test", Body: []byte("{}")}
	if r := s.Send(context.Background(), d); r.Delivered() || r.Gone() || r.Status != 500 {
		t.Fatalf("500: %+v", r)
	}
	if r := s.Send(context.Background(), d); !r.Delivered() {
		t.Fatalf("retry after 500: %+v", r)
	}
	if r := s.Send(context.Background(), d); r.Delivered() || !r.Gone() {
		t.Fatalf("410: %+v", r)
	}
}

// A redirect is an answer, not a route: it is not followed.
func TestSendFollowsNoRedirect(t *testing.T) {
	var followed atomic.Bool
	target := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Store(true) }))
	defer target.Close()
	s, _, u := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
	})
	r := s.Send(context.Background(), Delivery{URL: u, Secret: "s3cret-s3cret", ID: "d", Event: "test", Body: []byte("{}")})
	if r.Delivered() || r.Status != http.StatusFound || followed.Load() {
		t.Fatalf("redirect: %+v, followed %v", r, followed.Load())
	}
}

// The address is checked when connecting: a name that pointed at a public
// address at registration and now points at a private one (or the
// metadata service) is refused, and nothing is sent.
func TestSendRefusesPrivateAtDelivery(t *testing.T) {
	var hits atomic.Int32
	s, res, u := receiver(t, func(http.ResponseWriter, *http.Request) { hits.Add(1) })
	for _, addrs := range [][]string{{"10.0.0.7"}, {"169.254.169.254"}, {"127.0.0.1", "192.168.1.1"}, {"::ffff:10.1.2.3"}, {"fec0::1"}} {
		res.set(addrs...)
		r := s.Send(context.Background(), Delivery{URL: u, Secret: "s3cret-s3cret", ID: "d", Event: "test", Body: []byte("{}")})
		if !errors.Is(r.Err, ErrBlocked) || r.Status != 0 {
			t.Errorf("%v: %+v", addrs, r)
		}
	}
	// The production policy refuses the loopback receiver itself too.
	strict := NewSender(SenderConfig{Resolver: res})
	res.set("127.0.0.1")
	if r := strict.Send(context.Background(), Delivery{URL: u, Secret: "s3cret-s3cret", ID: "d", Body: []byte("{}")}); !errors.Is(r.Err, ErrBlocked) {
		t.Errorf("loopback with the default policy: %+v", r)
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests reached the receiver", hits.Load())
	}
}

// A receiver that does not answer in time fails the attempt; one that
// answers with an endless body does not hold it (the body is read up to
// the cap).
func TestSendBounded(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	slow, _, su := receiver(t, func(http.ResponseWriter, *http.Request) { <-release })
	slow.cfg.Timeout, slow.client.Timeout = 300*time.Millisecond, 300*time.Millisecond
	start := time.Now()
	if r := slow.Send(context.Background(), Delivery{URL: su, Secret: "s3cret-s3cret", ID: "d", Body: []byte("{}")}); r.Err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("slow receiver: %+v after %s", r, time.Since(start))
	}
	big, _, bu := receiver(t, func(w http.ResponseWriter, _ *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range 1000 { // 64 MB, never read in full
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	if r := big.Send(context.Background(), Delivery{URL: bu, Secret: "s3cret-s3cret", ID: "d", Body: []byte("{}")}); !r.Delivered() {
		t.Fatalf("big answer: %+v", r)
	}
}

// The retry schedule: 8 attempts over about an hour, each wait within
// ±20 % of its nominal value.
func TestDelay(t *testing.T) {
	var total time.Duration
	for n := 1; n < Attempts; n++ {
		nominal := Delay(n, 0.5)
		if lo, hi := Delay(n, 0), Delay(n, 0.9999); lo < nominal*8/10-time.Millisecond || hi > nominal*12/10 || lo >= hi {
			t.Errorf("attempt %d: %s..%s around %s", n, lo, hi, nominal)
		}
		total += nominal
	}
	if total < 55*time.Minute || total > 65*time.Minute {
		t.Fatalf("schedule spans %s, want about an hour", total)
	}
}
