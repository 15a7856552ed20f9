package eventlog

import "testing"

// TestRedactURLs checks that the NATS URLs hooknormd logs and names in errors keep their hosts
// but never a user, password or token.
func TestRedactURLs(t *testing.T) {
	cases := []struct {
		name, urls, want string
	}{
		{"no credentials", "nats://n1:4222", "nats://n1:4222"},
		{"user and password", "nats://hooknorm:s3cret@n1:4222", "nats://redacted@n1:4222"},
		{"a token", "nats://t0ken@n1:4222", "nats://redacted@n1:4222"},
		{"no scheme", "hooknorm:s3cret@n1:4222", "redacted@n1:4222"},
		{"several servers", "nats://u:p@n1:4222,nats://n2:4222, tls://u:p@n3:4222", "nats://redacted@n1:4222,nats://n2:4222,tls://redacted@n3:4222"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := RedactURLs(tc.urls); got != tc.want {
				t.Errorf("RedactURLs(%q) = %q, want %q", tc.urls, got, tc.want)
			}
		})
	}
}
