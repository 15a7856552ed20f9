package main

import (
	"crypto/tls"
	"crypto/x509"
	"os"

	"github.com/hooknorm/hooknorm/client"
	"github.com/spf13/cobra"
)

// connection holds the flags that say how to reach hooknormd's gRPC API.
type connection struct {
	server, token          string
	useTLS                 bool
	caFile, certFile, keys string
}

// addConnectionFlags adds --server, --token and the TLS flags to every command, with their
// environment variables as defaults.
func addConnectionFlags(root *cobra.Command, getenv func(string) string) *connection {
	c := &connection{}
	server := client.DefaultAddr
	if v := getenv(serverEnv); v != "" {
		server = v
	}
	flags := root.PersistentFlags()
	flags.StringVar(&c.server, "server", server, "hooknormd gRPC address, host:port (also "+serverEnv+")")
	flags.StringVar(&c.token, "token", getenv(tokenEnv), "bearer token for hooknormd's API (also "+tokenEnv+")")
	flags.BoolVar(&c.useTLS, "tls", false, "connect over TLS (implied by --tls-ca and --tls-cert)")
	flags.StringVar(&c.caFile, "tls-ca", "", "PEM CA to verify hooknormd's certificate (default: the system's)")
	flags.StringVar(&c.certFile, "tls-cert", "", "PEM client certificate, when hooknormd requires one")
	flags.StringVar(&c.keys, "tls-key", "", "PEM key of --tls-cert")
	return c
}

// dial returns a client as the flags say.
func (c *connection) dial() (*client.Client, error) {
	if err := serverFlag(c.server); err != nil {
		return nil, err
	}
	var opts []client.Option
	if c.token != "" {
		opts = append(opts, client.WithToken(c.token))
	}
	if c.useTLS || c.caFile != "" || c.certFile != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.caFile != "" {
			pem, err := os.ReadFile(c.caFile)
			if err != nil {
				return nil, usagef("--tls-ca %s cannot be read: %s", c.caFile, fileProblem(err))
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, usagef("--tls-ca %s holds no PEM certificate", c.caFile)
			}
		}
		if c.certFile != "" {
			if c.keys == "" {
				return nil, usagef("--tls-cert needs --tls-key, the file of its private key")
			}
			for flag, path := range map[string]string{"--tls-cert": c.certFile, "--tls-key": c.keys} {
				if _, err := os.Stat(path); err != nil {
					return nil, usagef("%s %s cannot be read: %s", flag, path, fileProblem(err))
				}
			}
			cert, err := tls.LoadX509KeyPair(c.certFile, c.keys)
			if err != nil {
				return nil, usagef("--tls-cert %s and --tls-key %s are not a PEM certificate and its matching private key", c.certFile, c.keys)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, client.WithTLS(cfg))
	}
	cl, err := client.New(c.server, opts...)
	if err != nil {
		return nil, usagef("--server %q is not an address hooknorm can connect to, e.g. %s", c.server, client.DefaultAddr)
	}
	return cl, nil
}
