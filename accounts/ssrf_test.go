package accounts

import (
	"context"
	"testing"
)

func TestCheckWebhookURLRejects(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		allowHTTP bool
	}{
		{"10/8", "https://10.0.0.1/hook", false},
		{"172.16/12", "https://172.16.5.4/hook", false},
		{"172.31 upper end", "https://172.31.255.255/hook", false},
		{"192.168/16", "https://192.168.0.10/hook", false},
		{"loopback", "https://127.0.0.1/hook", false},
		{"loopback other", "https://127.8.9.10:8443/hook", false},
		{"unspecified v4", "https://0.0.0.0/hook", false},
		{"metadata", "https://169.254.169.254/latest/meta-data/", false},
		{"link-local v4", "https://169.254.1.1/hook", false},
		{"CGNAT", "https://100.64.0.1/hook", false},
		{"CGNAT upper", "https://100.127.255.254/hook", false},
		{"loopback v6", "https://[::1]/hook", false},
		{"unspecified v6", "https://[::]/hook", false},
		{"link-local v6", "https://[fe80::1]/hook", false},
		{"link-local v6 with zone", "https://[fe80::1%25eth0]/hook", false},
		{"ULA", "https://[fd12:3456::1]/hook", false},
		{"metadata v6", "https://[fd00:ec2::254]/hook", false},
		{"mapped loopback", "https://[::ffff:127.0.0.1]/hook", false},
		{"mapped private", "https://[::ffff:10.0.0.1]/hook", false},
		{"mapped metadata hex", "https://[::ffff:a9fe:a9fe]/hook", false},
		{"NAT64 of private", "https://[64:ff9b::a00:1]/hook", false},
		{"6to4", "https://[2002:a00:1::1]/hook", false},
		{"multicast", "https://224.0.0.1/hook", false},
		{"broadcast", "https://255.255.255.255/hook", false},
		{"name resolving private", "https://internal.example/hook", false},
		{"name resolving public and private", "https://mixed.example.com/hook", false},
		{"localhost", "https://localhost/hook", false},
		{"decimal IP spelling", "https://2130706433/hook", false},
		{"hex IP spelling", "https://0x7f.1/hook", false},
		{"unresolvable", "https://nowhere.example.com/hook", false},
		{"http in production", "http://hooks.example.com/hook", false},
		{"http private in development", "http://10.0.0.1/hook", true},
		{"loopback in production", "http://127.0.0.1:8080/hook", false},
		{"userinfo", "https://user:pass@hooks.example.com/hook", false},
		{"user only", "https://user@hooks.example.com/hook", false},
		{"ftp", "ftp://hooks.example.com/hook", false},
		{"no scheme", "hooks.example.com/hook", false},
		{"relative", "/hook", false},
		{"empty", "", false},
		{"port zero", "https://hooks.example.com:0/hook", false},
		{"IPv4-translated loopback", "https://[::ffff:0:7f00:1]/hook", false},
		{"site-local v6", "https://[fec0::1]/hook", false},
		{"ssh port", "https://hooks.example.com:22/hook", false},
		{"empty port", "https://hooks.example.com:/hook", false},
		{"empty port v6", "https://[2606:4700:4700::1111]:/hook", false},
		{"port 80", "https://hooks.example.com:80/hook", false},
		{"port 1023", "https://hooks.example.com:1023/hook", false},
		{"benchmarking v6", "https://[2001:2::1]/hook", false},
		{"documentation v6 3fff", "https://[3fff::1]/hook", false},
		{"AS112 v4", "https://192.31.196.1/hook", false},
		{"AMT v4", "https://192.52.193.1/hook", false},
		{"ORCHIDv2", "https://[2001:20::1]/hook", false},
		{"SRv6 SID", "https://[5f00::1]/hook", false},
		{"port too large", "https://hooks.example.com:65536/hook", false},
		{"fragment", "https://hooks.example.com/hook#x", false},
		{"bad host chars", "https://hooks_example.com/hook", false},
		{"opaque", "https:hooks.example.com", false},
	} {
		got, err := CheckWebhookURL(context.Background(), testResolver, "url", tc.url, tc.allowHTTP)
		if err == nil {
			t.Errorf("%s: %q accepted as %q", tc.name, tc.url, got)
			continue
		}
		if fieldOf(err) != "url" {
			t.Errorf("%s: error %v names no url field", tc.name, err)
		}
	}
}

func TestCheckWebhookURLAccepts(t *testing.T) {
	for _, tc := range []struct {
		url, want string
		allowHTTP bool
	}{
		{"https://hooks.example.com/hook", "https://hooks.example.com/hook", false},
		{"HTTPS://Hooks.Example.COM:8443/a/b?x=1", "https://hooks.example.com:8443/a/b?x=1", false},
		{"https://v6.example.com/hook", "https://v6.example.com/hook", false},
		{"https://93.184.215.14/hook", "https://93.184.215.14/hook", false},
		{"https://[2606:4700:4700::1111]/hook", "https://[2606:4700:4700::1111]/hook", false},
		{"https://[::ffff:93.184.215.14]/hook", "https://[::ffff:93.184.215.14]/hook", false},
		{"https://hooks.example.com./hook", "https://hooks.example.com./hook", false},
		{"http://hooks.example.com/hook", "http://hooks.example.com/hook", true},
		{"http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/hook", true}, // development: a local receiver
		{"https://hooks.example.com:443/hook", "https://hooks.example.com:443/hook", false},
		{"https://hooks.example.com:1024/hook", "https://hooks.example.com:1024/hook", false},
		{"https://[2606:4700:4700::1111]:65535/hook", "https://[2606:4700:4700::1111]:65535/hook", false},
	} {
		got, err := CheckWebhookURL(context.Background(), testResolver, "url", tc.url, tc.allowHTTP)
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.url, got, err, tc.want)
		}
	}
}
