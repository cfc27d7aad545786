package accounts

import (
	"context"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/gpubroker/gpubroker/shared/webhook"
)

// Webhook URLs from clients: checking never panics, and whatever is
// accepted is an https URL without credentials whose host is public.
func FuzzCheckWebhookURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/x", "https://[::ffff:10.0.0.1]/", "https://u@h.io", "http://x.io",
		"https://mixed.example.com:443/a?b#c", "https://%zz", "https://0x7f.1/", "https://[fe80::1%25lo]/", "https://hooks.example.com:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := CheckWebhookURL(context.Background(), testResolver, "url", raw, false)
		if err != nil {
			if fieldOf(err) != "url" {
				t.Fatalf("%q: error %v names no field", raw, err)
			}
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || u.Scheme != "https" || u.User != nil || u.Host == "" {
			t.Fatalf("%q accepted as %q", raw, got)
		}
		if a, err := netip.ParseAddr(u.Hostname()); err == nil && webhook.BlockedAddr(a) {
			t.Fatalf("%q accepted with a blocked address", raw)
		}
		if again, err := CheckWebhookURL(context.Background(), testResolver, "url", got, false); err != nil || again != got {
			t.Fatalf("normalized %q does not check again: %q %v", got, again, err)
		}
	})
}

// Emails from clients: validation never panics, and an accepted address
// is lower-case and accepted again as is.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@example.com", "A.B+c@Sub.Example.ORG", "a@b", "@x.io", "a@@x.io", "a@x..io", "\x00@x.io"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, email string) {
		got, err := normalizeEmail("email", email)
		if err != nil {
			if fieldOf(err) != "email" {
				t.Fatalf("%q: %v", email, err)
			}
			return
		}
		if got != strings.ToLower(got) || strings.Count(got, "@") != 1 || len(got) > 254 {
			t.Fatalf("%q accepted as %q", email, got)
		}
		if again, err := normalizeEmail("email", got); err != nil || again != got {
			t.Fatalf("%q not stable: %q %v", got, again, err)
		}
	})
}
