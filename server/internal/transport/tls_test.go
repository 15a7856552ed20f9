package transport_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/server/internal/eventlog"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
	"github.com/hooknorm/hooknorm/server/internal/service"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// certificate makes a key and a certificate signed by parent (self-signed when parent is nil).
func certificate(t *testing.T, name string, isCA bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: isCA, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

func writePEM(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTLSAndClientCertificates serves both listeners over TLS with a client CA: a gRPC client
// must present a certificate the CA signed; HTTPS needs none (providers present none), and the
// gateway still reaches the service.
func TestTLSAndClientCertificates(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, caPEM, _ := certificate(t, "hooknorm test CA", true, nil, nil)
	_, _, serverPEM, serverKeyPEM := certificate(t, "127.0.0.1", false, ca, caKey)
	_, _, clientPEM, clientKeyPEM := certificate(t, "a client", false, ca, caKey)
	serverTLS, err := transport.LoadTLS(writePEM(t, dir, "server.pem", serverPEM), writePEM(t, dir, "server.key", serverKeyPEM), writePEM(t, dir, "ca.pem", caPEM))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	eventLog, err := eventlog.Open(context.Background(), eventlog.Config{DataDir: dir, RetentionAge: time.Hour, DuplicateWindow: time.Hour,
		MaxRecordBytes: 1 << 22, Fsync: eventlog.FsyncPeriodic, SyncInterval: time.Minute}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer eventLog.Close()
	normalizer, err := normalize.New(normalize.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	server, err := transport.Start(context.Background(), transport.Config{
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", MaxBodyBytes: 1 << 20, ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout: time.Minute, TLS: serverTLS,
	}, service.NewWebhooks(normalizer, service.Options{Log: eventLog}), logger)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		server.Shutdown(ctx)
	}()
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	clientCert, err := tls.X509KeyPair(clientPEM, clientKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		certs   []tls.Certificate
		wantErr bool
	}{{"with a client certificate", []tls.Certificate{clientCert}, false}, {"without one", nil, true}} {
		t.Run("gRPC "+c.name, func(t *testing.T) {
			conn, err := grpc.NewClient(server.GRPCAddr(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots, Certificates: c.certs})))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if (err != nil) != c.wantErr {
				t.Errorf("health check: %v", err)
			}
		})
	}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	defer client.CloseIdleConnections()
	resp, err := client.Post("https://"+server.HTTPAddr()+"/v1/webhooks/clickfunnels", "application/json", strings.NewReader(cfInvoice))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"sequence":"1"`) {
		t.Errorf("HTTPS webhook without a client certificate: %d %s", resp.StatusCode, body)
	}
	plain := &http.Client{Transport: &http.Transport{}}
	defer plain.CloseIdleConnections()
	if resp, err := plain.Post("http://"+server.HTTPAddr()+"/v1/webhooks/clickfunnels", "application/json", strings.NewReader(cfInvoice)); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("the HTTPS listener accepted a plaintext delivery")
		}
	}
}
