package transport

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLS holds the TLS settings of both listeners.
type TLS struct {
	// GRPC is the gRPC listener's: with a client CA, every client must present a certificate it
	// signed.
	GRPC *tls.Config
	// HTTP is the HTTP listener's: with a client CA, a certificate is verified when one is
	// presented, but none is required, because providers cannot present one to the webhook routes.
	HTTP *tls.Config
}

// LoadTLS reads a certificate and key (PEM) and, if clientCAFile is set, the CA that signs client
// certificates. Errors name the file at fault.
func LoadTLS(certFile, keyFile, clientCAFile string) (*TLS, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	base := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	grpcCfg, httpCfg := base.Clone(), base.Clone()
	grpcCfg.NextProtos = []string{"h2"}
	if clientCAFile != "" {
		pem, err := os.ReadFile(clientCAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the client CA %s: %w", clientCAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the client CA %s holds no PEM certificate", clientCAFile)
		}
		grpcCfg.ClientCAs, grpcCfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
		httpCfg.ClientCAs, httpCfg.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return &TLS{GRPC: grpcCfg, HTTP: httpCfg}, nil
}
