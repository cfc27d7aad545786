package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

const userAgent = "gpubroker-gateway/1.0"

// defaultMaxBody bounds a buffered upstream response. Streaming parsers
// (AWS bulk offers) read the body themselves and are not limited by it.
const defaultMaxBody = 64 << 20

// maxAttempts is how often a rate-limited call is tried before giving up.
const maxAttempts = 4

var defaultHTTP = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ForceAttemptHTTP2:     true,
	},
}

// client performs one provider's upstream calls.
type client struct {
	provider string
	http     *http.Client
}

func newClient(provider string, cfg Config) *client {
	h := cfg.HTTP
	if h == nil {
		h = defaultHTTP
	}
	return &client{provider: provider, http: h}
}

// call describes one upstream request; it is rebuilt per attempt so the body
// can be re-sent after a 429.
type call struct {
	method string
	url    string
	body   []byte
	header http.Header
}

// doJSON performs c and decodes a JSON response into out.
func (cl *client) doJSON(ctx context.Context, c call, out any) error {
	return cl.do(ctx, c, func(r io.Reader) error {
		body, err := io.ReadAll(io.LimitReader(r, defaultMaxBody+1))
		if err != nil {
			return cl.wrap(shared.ErrKindUpstream, 0, c.url, fmt.Errorf("reading body: %w", err))
		}
		if len(body) > defaultMaxBody {
			return cl.wrap(shared.ErrKindUpstream, 0, c.url, fmt.Errorf("response larger than %d bytes", defaultMaxBody))
		}
		if err := json.Unmarshal(body, out); err != nil {
			return cl.wrap(shared.ErrKindUpstream, 0, c.url, fmt.Errorf("decoding JSON: %w", err))
		}
		return nil
	})
}

// do performs c, retrying 429s with backoff while ctx allows, and hands a
// 2xx body to read.
func (cl *client) do(ctx context.Context, c call, read func(io.Reader) error) error {
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, c.method, c.url, bytes.NewReader(c.body))
		if err != nil {
			return cl.wrap(shared.ErrKindInternal, 0, c.url, fmt.Errorf("building request: %w", err))
		}
		for k, vs := range c.header {
			req.Header[k] = vs
		}
		req.Header.Set("User-Agent", userAgent)
		if req.Header.Get("Accept") == "" {
			req.Header.Set("Accept", "application/json")
		}
		if c.body != nil && req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := cl.http.Do(req)
		if err != nil {
			return cl.transportError(ctx, c.url, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			wait := retryAfter(resp.Header.Get("Retry-After"), attempt)
			drain(resp)
			if attempt >= maxAttempts || !fitsDeadline(ctx, wait) {
				e := cl.wrap(shared.ErrKindRateLimited, http.StatusTooManyRequests, c.url, errors.New("rate limited by provider"))
				e.RetryAfter = wait
				return e
			}
			select {
			case <-time.After(wait):
				continue
			case <-ctx.Done():
				return cl.transportError(ctx, c.url, ctx.Err())
			}
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			drain(resp)
			kind := shared.ErrKindUpstream
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
				kind = shared.ErrKindAuth
			}
			return cl.wrap(kind, resp.StatusCode, c.url, fmt.Errorf("unexpected status: %q", bytes.TrimSpace(snippet)))
		}
		err = read(resp.Body)
		drain(resp)
		if err != nil && ctx.Err() != nil {
			return cl.transportError(ctx, c.url, ctx.Err())
		}
		return err
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// transportError classifies a failed round trip without echoing the full
// URL (url.Error would include query strings, which may carry a key).
func (cl *client) transportError(ctx context.Context, rawURL string, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return cl.wrap(shared.ErrKindTimeout, 0, rawURL, err)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return cl.wrap(shared.ErrKindTimeout, 0, rawURL, err)
	}
	// No answer at all, which the kind alone (upstream) would not tell
	// apart from an answer we could not read.
	e := cl.wrap(shared.ErrKindUpstream, 0, rawURL, err)
	e.reason = reasonUnreachable
	return e
}

func (cl *client) wrap(kind string, status int, rawURL string, err error) *Error {
	return &Error{Provider: cl.provider, Kind: kind, Status: status, Err: fmt.Errorf("%s: %w", redactURL(rawURL), err)}
}

// redactURL keeps scheme, host and path: query strings may carry API keys.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid url>"
	}
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return u.String()
}

// retryAfter honours a Retry-After in seconds (capped at 30 s) and otherwise
// backs off exponentially from 250 ms with jitter.
func retryAfter(h string, attempt int) time.Duration {
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, 30*time.Second)
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(time.Until(t), 0), 30*time.Second)
	}
	base := 250 * time.Millisecond << (attempt - 1)
	return base/2 + time.Duration(rand.Int64N(int64(base/2)+1))
}

// fitsDeadline reports whether waiting d still leaves time for a request.
func fitsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	if !ok {
		return true
	}
	return time.Until(dl) > d+50*time.Millisecond
}
