package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConnectAndDisconnectClickFunnels connects workspace 42 to hooknormd through a fake
// ClickFunnels API: a dry run changes nothing; connect creates the endpoint with every event
// type hooknorm knows and writes its secret into the secrets file (0600), keeping the other
// tenants; run again it changes nothing; with --types it updates the endpoint; a 429 on the way is
// waited out; disconnect deletes the endpoint and the workspace's entry, and run again finds
// nothing to do.
func TestConnectAndDisconnectClickFunnels(t *testing.T) {
	waits := recordSleeps(t)
	fake, api := newFakeClickFunnels(t, "42")
	secrets := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(secrets, []byte(`{"webflow": {"site-b": {"unsigned": true}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := func(command string, more ...string) []string {
		return append([]string{command, "clickfunnels", "--workspace", "42", "--api-url", api.URL + "/api/v2", "--api-token", "cf-api-token",
			"--url", "https://hooks.example.com", "--secrets-file", secrets}, more...)
	}
	readFile := func() secretsFile {
		t.Helper()
		f, err := readSecretsFile(secrets)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	const route = "https://hooks.example.com/v1/webhooks/clickfunnels?tenant=42"

	r := runCLI(t, "", nil, args("connect", "--dry-run")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "would have created") || len(fake.endpoints) != 0 || len(readFile()["clickfunnels"]) != 0 {
		t.Fatalf("--dry-run: exit %d, %s %s; endpoints %v", r.code, r.stdout, r.stderr, fake.endpoints)
	}

	fake.failAt = map[int]int{len(fake.requests) + 2: http.StatusTooManyRequests} // the create, once
	r = runCLI(t, "", nil, args("connect")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "created: endpoint") || !strings.Contains(r.stdout, "wrote: the secret of workspace 42") {
		t.Fatalf("connect: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	if len(*waits) != 1 || !strings.Contains(r.stderr, "429") {
		t.Errorf("the rate limit: waits %v, stderr %q", *waits, r.stderr)
	}
	if len(fake.endpoints) != 1 || fake.endpoints[0]["url"] != route {
		t.Fatalf("endpoints %v", fake.endpoints)
	}
	types, _ := json.Marshal(fake.endpoints[0]["event_type_ids"])
	if n := len(clickFunnelsEventTypes()); n < 80 || !strings.Contains(string(types), `"orders/invoice.paid"`) {
		t.Errorf("subscribed to %d types: %s", n, types)
	}
	file := readFile()
	if got := file["clickfunnels"]["42"].Secrets; len(got) != 1 || len(got[0]) != 64 || !file["webflow"]["site-b"].Unsigned {
		t.Errorf("the secrets file holds %v", file)
	}
	if info, err := os.Stat(secrets); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the secrets file's mode: %v %v", info.Mode(), err)
	}

	r = runCLI(t, "", nil, args("connect")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "unchanged: endpoint") || len(fake.endpoints) != 1 || len(readFile()["clickfunnels"]["42"].Secrets) != 1 {
		t.Errorf("connect again: exit %d, %s %s; endpoints %d", r.code, r.stdout, r.stderr, len(fake.endpoints))
	}
	r = runCLI(t, "", nil, args("connect", "--types", "orders/invoice.paid,contact.identified")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "updated: endpoint") {
		t.Errorf("connect --types: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	if types, _ := json.Marshal(fake.endpoints[0]["event_type_ids"]); string(types) != `["contact.identified","orders/invoice.paid"]` {
		t.Errorf("after --types the endpoint has %s", types)
	}

	r = runCLI(t, "", nil, args("disconnect", "--dry-run")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "would have deleted") || len(fake.endpoints) != 1 || len(readFile()["clickfunnels"]) != 1 {
		t.Errorf("disconnect --dry-run: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", nil, args("disconnect")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "deleted: endpoint") || !strings.Contains(r.stdout, "removed: workspace 42") {
		t.Errorf("disconnect: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	if file := readFile(); len(fake.endpoints) != 0 || len(file["clickfunnels"]) != 0 || !file["webflow"]["site-b"].Unsigned {
		t.Errorf("after disconnect: endpoints %v, file %v", fake.endpoints, file)
	}
	r = runCLI(t, "", nil, args("disconnect")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "no endpoint of workspace 42") {
		t.Errorf("disconnect again: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", nil, append(args("connect"), "--api-token", "wrong")...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "API key missing or invalid") {
		t.Errorf("a refused token: exit %d, %s", r.code, r.stderr)
	}
}
