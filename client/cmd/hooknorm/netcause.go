package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"

	"github.com/hooknorm/hooknorm/client"
)

// netCause says in a few words why an HTTP request got no answer, without the library's text.
func netCause(err error) string {
	var (
		dnsErr      *net.DNSError
		certErr     *tls.CertificateVerificationError
		authority   x509.UnknownAuthorityError
		hostname    x509.HostnameError
		recordErr   tls.RecordHeaderError
		invalidCert x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing is listening there (connection refused)"
	case errors.As(err, &dnsErr):
		return "the host name does not resolve"
	case errors.As(err, &certErr), errors.As(err, &authority), errors.As(err, &hostname), errors.As(err, &invalidCert):
		return "its TLS certificate is not trusted or does not match the host"
	case errors.As(err, &recordErr):
		return "it does not speak TLS (an https:// URL for an http:// server?)"
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return "no answer in time"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "the network cannot reach it"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed before an answer"
	}
	return "the connection failed"
}

// httpURLFlag checks a flag holding an HTTP URL: http:// or https://, with a host.
func httpURLFlag(flag, value string) error {
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--%s %q is not an http:// or https:// URL with a host, e.g. http://localhost:3000/hooks", flag, value)
	}
	return nil
}

// serverFlag checks --server: host:port (or a gRPC target such as dns:///host:port or
// unix:///path), not an HTTP URL.
func serverFlag(value string) error {
	u, err := url.Parse(value)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return usagef("--server (or %s) takes host:port, not a URL: try --server %s", serverEnv, u.Host)
	}
	if err == nil && grpcTargetSchemes[u.Scheme] {
		return nil
	}
	if _, port, err := net.SplitHostPort(value); err != nil || port == "" {
		return usagef("--server (or %s) %q is not host:port, e.g. %s", serverEnv, value, client.DefaultAddr)
	}
	return nil
}

// grpcTargetSchemes are the gRPC name schemes --server accepts as they are.
var grpcTargetSchemes = map[string]bool{"dns": true, "unix": true, "unix-abstract": true, "passthrough": true}
