// Package e2e holds end-to-end tests that run hooknormd as real child processes, on its embedded
// log or on real NATS clusters, and try it as operators, providers and attackers do: kills and
// restarts mid-delivery, two processes on one data directory, a full or removed disk, a cluster
// that loses a node or its quorum, NATS servers whose disks or storage limits fill, a whole NATS
// cluster restarted, a deleted stream, NATS servers that cannot hold the log as configured,
// filtered replays after a restart, malformed envelopes and oversized bodies from clients that
// write before they read. Each test pins a promise the README
// makes. It has no code of its own.
package e2e
