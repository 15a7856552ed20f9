package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tenantSecrets are every secret these tests put in a secrets file: none may appear in a log.
var tenantSecrets = []string{"e2e-ws42-secret", "e2e-ws43-secret", "e2e-ws43-rotated", "e2e-site-b-secret", "e2e-broken-secret"}

// postTenant posts a delivery to the webhook route of source, signed with secret unless it is
// empty, and returns the status and body of the answer.
func postTenant(t *testing.T, url, source, body, secret string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/webhooks/"+source, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		ts, header, sep := strconv.FormatInt(time.Now().Unix(), 10), "X-Webhook-ClickFunnels-", "."
		if source == "webflow" {
			ts, header, sep = strconv.FormatInt(time.Now().UnixMilli(), 10), "X-Webflow-", ":"
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + sep + body))
		req.Header.Set(header+"Timestamp", ts)
		req.Header.Set(header+"Signature", hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// waitForLog waits until the process has logged a line holding text n times, failing the test
// if it exits or a minute passes first (a guard against hanging, not a timing assertion).
func (p *process) waitForLog(t *testing.T, text string, n int) {
	t.Helper()
	deadline := time.After(time.Minute)
	for strings.Count(p.logs.String(), text) < n {
		select {
		case <-p.done:
			t.Fatalf("hooknormd exited while the test waited for %q", text)
		case <-deadline:
			t.Fatalf("hooknormd did not log %q", text)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestSecretsFileReloadsOnSIGHUP runs hooknormd listening beyond loopback with a secrets file
// (which counts as secrets: no --allow-unsigned), and checks over HTTP that workspace 43's
// deliveries verify only with 43's secret and that site-b, marked unsigned, is accepted unsigned.
// It then rotates 43's secret and gives site-b a secret in the file, sends SIGHUP, and checks
// that the new file is in force without a restart; a broken file sent with SIGHUP next leaves it
// in force. No secret appears in the log.
func TestSecretsFileReloadsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.json")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(path+".tmp", []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"clickfunnels": {"42": {"secrets": ["e2e-ws42-secret"]}, "43": {"secrets": ["e2e-ws43-secret"]}},
 "webflow": {"site-b": {"unsigned": true}}}`)
	_, port, err := net.SplitHostPort(freePort(t))
	if err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, "--data-dir", filepath.Join(dir, "data"), "--grpc-addr", freePort(t), "--http-addr", "0.0.0.0:"+port,
		"--allow-anonymous", "--secrets-file", path)
	p.showLogsIfFailed(t)
	defer p.kill()
	url := "http://127.0.0.1:" + port
	cf := func(id string, workspace int) string {
		return fmt.Sprintf(`{"event_id": %q, "event_type": "contact.created", "workspace_id": %d, "api_version": 2, "data": {"id": 1}}`, id, workspace)
	}
	siteB := func(name string) string {
		return fmt.Sprintf(`{"triggerType": "form_submission", "payload": {"name": %q, "siteId": "site-b", "data": {}}}`, name)
	}
	expect := func(when string, code int, wantCode int, answer string) {
		t.Helper()
		if code != wantCode {
			t.Errorf("%s: answered %d %s, want %d", when, code, answer, wantCode)
		}
	}

	code, answer := postTenant(t, url, "clickfunnels", cf("forged", 43), "e2e-ws42-secret")
	expect("43 signed with 42's secret", code, http.StatusUnauthorized, answer)
	if !strings.Contains(answer, `workspace \"43\"`) || !strings.Contains(answer, "SIGNATURE_MISMATCH") {
		t.Errorf("the refusal does not say whose secrets were tried: %s", answer)
	}
	code, answer = postTenant(t, url, "clickfunnels", cf("ws43-1", 43), "e2e-ws43-secret")
	expect("43 signed with its secret", code, http.StatusOK, answer)
	code, answer = postTenant(t, url, "webflow", siteB("before"), "")
	expect("site-b unsigned, marked unsigned", code, http.StatusOK, answer)

	write(`{"clickfunnels": {"42": {"secrets": ["e2e-ws42-secret"]}, "43": {"secrets": ["e2e-ws43-rotated"]}},
 "webflow": {"site-b": {"secrets": ["e2e-site-b-secret"]}}}`)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitForLog(t, "webhook secrets per tenant reloaded", 1)
	code, answer = postTenant(t, url, "clickfunnels", cf("ws43-2", 43), "e2e-ws43-secret")
	expect("43 signed with its retired secret", code, http.StatusUnauthorized, answer)
	code, answer = postTenant(t, url, "clickfunnels", cf("ws43-3", 43), "e2e-ws43-rotated")
	expect("43 signed with its new secret", code, http.StatusOK, answer)
	code, answer = postTenant(t, url, "webflow", siteB("after"), "")
	expect("site-b unsigned, now with a secret", code, http.StatusUnauthorized, answer)
	code, answer = postTenant(t, url, "webflow", siteB("signed"), "e2e-site-b-secret")
	expect("site-b signed", code, http.StatusOK, answer)

	write(`{"clickfunnels": {"43": {"secrets": ["e2e-broken-secret", 7]}}}`)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitForLog(t, "the secrets file was not reloaded", 1)
	code, answer = postTenant(t, url, "clickfunnels", cf("ws43-4", 43), "e2e-ws43-rotated")
	expect("43 after a broken file", code, http.StatusOK, answer)
	code, answer = postTenant(t, url, "clickfunnels", cf("ws43-5", 43), "e2e-broken-secret")
	expect("43 signed with a secret of the broken file", code, http.StatusUnauthorized, answer)
	if logs := p.logs.String(); !strings.Contains(logs, "/clickfunnels/43/secrets/1") {
		t.Errorf("the log does not say where the file is wrong:\n%s", logs)
	}
	for _, secret := range tenantSecrets {
		if strings.Contains(p.logs.String(), secret) {
			t.Errorf("the log holds the secret %q", secret)
		}
	}
}

// TestBadSecretsFileStopsTheStart starts hooknormd with a secrets file that is not valid: it
// exits with code 2, naming the flag, the line and the member, and quoting no secret.
func TestBadSecretsFileStopsTheStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.json")
	text := "{\"webflow\": {\n  \"site-a\": {\"secrets\": [\"e2e-broken-secret\"], \"unsigned\": true}\n}}"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(hooknormdBinary, "--data-dir", filepath.Join(dir, "data"), "--grpc-addr", freePort(t), "--http-addr", freePort(t), "--secrets-file", path)
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("hooknormd ended with %v, want exit code 2; it said:\n%s", err, stderr.String())
	}
	for _, want := range []string{"--secrets-file (HOOKNORM_SECRETS_FILE)", "line 2", `site "site-a"`, "not both"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the error does not say %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "e2e-broken-secret") {
		t.Errorf("the error quotes the secret:\n%s", stderr.String())
	}
}
