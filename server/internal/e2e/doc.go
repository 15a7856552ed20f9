// Package e2e holds end-to-end tests that run hooknormd as real child processes and real NATS
// clusters: crash recovery, cluster failover. It has no code of its own.
package e2e
