package verify_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"github.com/hooknorm/hooknorm/server/internal/verify"
)

// Secrets of the tenants in these tests; each appears in the file and must never appear in a
// message.
const (
	ws42Secret   = "ws42-secret-Aq1"
	ws43Secret   = "ws43-secret-Bz2"
	ws43Previous = "ws43-previous-Cx3"
	siteASecret  = "site-a-secret-Dw4"
	providerWide = "provider-wide-Ev5"
	tenantsFile  = `{
  "clickfunnels": {
    "42": {"secrets": ["ws42-secret-Aq1"]},
    "43": {"secrets": ["ws43-secret-Bz2", "ws43-previous-Cx3"]}
  },
  "webflow": {
    "site-a": {"secrets": ["site-a-secret-Dw4"]},
    "site-b": {"unsigned": true}
  }
}`
)

// writeFile writes a secrets file in a temporary directory and returns its path.
func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTenantSecrets(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	secs, millis := strconv.FormatInt(now.Unix(), 10), strconv.FormatInt(now.UnixMilli(), 10)
	cfSigned := func(secret, body string) map[string]string {
		return map[string]string{"x-webhook-clickfunnels-timestamp": secs, "x-webhook-clickfunnels-signature": sign(secret, secs, ".", []byte(body))}
	}
	wfSigned := func(secret, body string) map[string]string {
		return map[string]string{"x-webflow-timestamp": millis, "x-webflow-signature": sign(secret, millis, ":", []byte(body))}
	}
	cf42 := `{"event_type":"contact.created","workspace_id":42,"data":{"id":1}}`
	cf43 := `{"event_type":"contact.created","workspace_id":43,"data":{"id":1}}`
	cf44 := `{"event_type":"contact.created","workspace_id":44,"data":{"id":1}}`
	cfNone := `{"event_type":"contact.created","data":{"id":1}}`
	wfA := `{"triggerType":"form_submission","payload":{"siteId":"site-a"}}`
	wfB := `{"triggerType":"form_submission","payload":{"siteId":"site-b"}}`
	wfC := `{"triggerType":"form_submission","payload":{"siteId":"site-c"}}`
	wfOrder := `{"triggerType":"ecomm_new_order","payload":{"orderId":"1"}}`
	cases := []struct {
		name         string
		providerWide bool // the provider-wide secrets are set too
		source       hooknormv1.Source
		body, given  string
		headers      map[string]string
		want         hooknormv1.ErrorReason // UNSPECIFIED: accepted
		wantTenant   string
		wantListed   bool
		wantInMsg    string
	}{
		{"workspace 43 signed with its own secret", false, cf, cf43, "", cfSigned(ws43Secret, cf43), 0, "43", true, ""},
		{"workspace 43 signed with its previous secret (rotation)", false, cf, cf43, "", cfSigned(ws43Previous, cf43), 0, "43", true, ""},
		{"workspace 43 signed with workspace 42's secret", false, cf, cf43, "", cfSigned(ws42Secret, cf43),
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH, "43", true, `the secrets of workspace "43" in the secrets file`},
		{"workspace 43 signed with 42's secret, provider-wide set too", true, cf, cf43, "", cfSigned(ws42Secret, cf43),
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH, "43", true, `workspace "43"`},
		{"workspace 43 signed with the provider-wide secret", true, cf, cf43, "", cfSigned(providerWide, cf43),
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH, "43", true, `workspace "43"`},
		{"workspace 42 unsigned", false, cf, cf42, "", nil,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISSING, "42", true, `workspace "42"`},
		{"workspace 44, no entry: the provider-wide secrets", true, cf, cf44, "", cfSigned(providerWide, cf44), 0, "44", false, ""},
		{"workspace 44, no entry, signed with 42's", true, cf, cf44, "", cfSigned(ws42Secret, cf44),
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH, "44", false, `HOOKNORM_CLICKFUNNELS_SECRET (workspace "44" has no entry in the secrets file)`},
		{"workspace 44, no entry, no provider-wide secrets", false, cf, cf44, "", cfSigned(ws42Secret, cf44),
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH, "44", false, `no secret can verify this ClickFunnels delivery: workspace "44" has no entry in the secrets file`},
		{"workspace 44 unsigned, no provider-wide secrets", false, cf, cf44, "", nil,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISSING, "44", false, `no secret can verify this ClickFunnels delivery: workspace "44" has no entry`},
		{"no workspace named, no provider-wide secrets", false, cf, cfNone, "", cfSigned(ws42Secret, cfNone),
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH, "", false, "no secret can verify this ClickFunnels delivery: the delivery names no workspace"},
		{"no workspace in the body, 43 in the URL", false, cf, cfNone, "43", cfSigned(ws43Secret, cfNone), 0, "43", true, ""},
		{"the URL says 42, the body 43", false, cf, cf43, "42", cfSigned(ws42Secret, cf43),
			hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST, "", false, ""},
		{"site-a signed with its secret", false, wf, wfA, "", wfSigned(siteASecret, wfA), 0, "site-a", true, ""},
		{"site-a unsigned", false, wf, wfA, "", nil, hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISSING, "site-a", true, `site "site-a"`},
		{"site-b, marked unsigned, unsigned", false, wf, wfB, "", nil, 0, "site-b", true, ""},
		{"site-b, marked unsigned, with provider-wide secrets set", true, wf, wfB, "", nil, 0, "site-b", true, ""},
		{"site-c, no entry, unsigned, provider-wide set", true, wf, wfC, "", nil,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISSING, "site-c", false, "HOOKNORM_WEBFLOW_SECRET"},
		{"an order for site-b by its URL, unsigned", false, wf, wfOrder, "site-b", nil, 0, "site-b", true, ""},
		{"an order for site-a by its URL, unsigned", false, wf, wfOrder, "site-a", nil,
			hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISSING, "site-a", true, ""},
	}
	file, err := verify.OpenSecretsFile(writeFile(t, tenantsFile))
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wide := map[hooknormv1.Source][]string{}
			if c.providerWide {
				wide = map[hooknormv1.Source][]string{cf: {providerWide}, wf: {providerWide}}
			}
			v := verify.NewSignatures(wide, clock).UseSecretsFile(file)
			verdict, err := v.Verify(verify.Delivery{Source: c.source, Headers: c.headers, Body: []byte(c.body), Tenant: c.given})
			if c.want == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
			} else {
				r, ok := rejection.As(err)
				if !ok || r.Reason != c.want {
					t.Fatalf("got %v, want %v", err, c.want)
				}
				checkSays(t, r.Message, c.wantInMsg)
				for _, secret := range []string{ws42Secret, ws43Secret, ws43Previous, siteASecret, providerWide} {
					if strings.Contains(r.Message, secret) {
						t.Errorf("the message leaks a secret: %q", r.Message)
					}
				}
			}
			if c.want != hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST &&
				(verdict.Tenant != c.wantTenant || verdict.Listed != c.wantListed || !verdict.Bound) {
				t.Errorf("verdict %+v, want tenant %q, listed %v, bound", verdict, c.wantTenant, c.wantListed)
			}
		})
	}
}

func checkSays(t *testing.T, message, want string) {
	t.Helper()
	if !strings.Contains(message, want) {
		t.Errorf("the message %q does not say %q", message, want)
	}
}

// TestSecretsFileErrors loads files that are wrong in one way each: the error says where (line
// and member) and what, and quotes no secret.
func TestSecretsFileErrors(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
	}{
		{"not JSON", "{\n  \"clickfunnels\": {\n    \"42\": {\"secrets\": [\"s3cr3t-value\"]]\n", []string{"line 3", "invalid JSON"}},
		{"empty", "", []string{"line 1", "ends too soon"}},
		{"null", "null", []string{"expected an object"}},
		{"unknown provider", `{"stripe": {"1": {"secrets": ["s3cr3t-value"]}}}`, []string{`unknown provider "stripe"`, "line 1"}},
		{"unknown member", "{\"webflow\": {\n\"a\": {\"secret\": \"s3cr3t-value\"}}}", []string{"line 2", "/webflow/a/secret", "unknown member"}},
		{"a tenant twice", "{\"clickfunnels\": {\n\"42\": {\"secrets\": [\"s3cr3t-value\"]},\n\"42\": {\"unsigned\": true}}}", []string{"line 3", "given twice"}},
		{"a secret that is a number", `{"clickfunnels": {"42": {"secrets": [12345678]}}}`, []string{"/clickfunnels/42/secrets/0", "wrong JSON type"}},
		{"unsigned as a string", `{"webflow": {"a": {"unsigned": "s3cr3t-value"}}}`, []string{"/webflow/a/unsigned", "wrong JSON type"}},
		{"both secrets and unsigned", `{"webflow": {"a": {"secrets": ["s3cr3t-value"], "unsigned": true}}}`, []string{`site "a"`, "not both"}},
		{"neither", `{"clickfunnels": {"42": {}}}`, []string{`workspace "42"`, "give its secrets"}},
		{"empty secrets", `{"clickfunnels": {"42": {"secrets": []}}}`, []string{`workspace "42"`, "give its secrets"}},
		{"a blank secret", `{"clickfunnels": {"42": {"secrets": ["s3cr3t-value", " "]}}}`, []string{"secret 2 is blank"}},
		{"a secret with a trailing space", `{"clickfunnels": {"42": {"secrets": ["s3cr3t-value "]}}}`, []string{"secret 1", "white space"}},
		{"an empty tenant", `{"clickfunnels": {"": {"secrets": ["s3cr3t-value"]}}}`, []string{"a tenant is its id"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, c.text)
			_, err := verify.LoadSecretsFile(path)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, want := range append(c.want, path) {
				checkSays(t, err.Error(), want)
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "12345678") {
				t.Errorf("the error quotes a secret: %v", err)
			}
		})
	}
	if _, err := verify.LoadSecretsFile(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("a missing file: %v", err)
	}
}

// TestSecretsFileReload rotates workspace 42's secret in the file: after a reload the new
// secret verifies and the old one no longer does; a broken file on reload keeps the entries in
// force.
func TestSecretsFileReload(t *testing.T) {
	now := time.Now()
	secs := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"event_type":"contact.created","workspace_id":42,"data":{}}`)
	signed := func(secret string) verify.Delivery {
		return verify.Delivery{Source: cf, Body: body, Headers: map[string]string{
			"x-webhook-clickfunnels-timestamp": secs, "x-webhook-clickfunnels-signature": sign(secret, secs, ".", body)}}
	}
	path := writeFile(t, `{"clickfunnels": {"42": {"secrets": ["old-secret"]}}}`)
	file, err := verify.OpenSecretsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := verify.NewSignatures(nil, nil).UseSecretsFile(file)
	accepts := func(secret string) bool {
		_, err := v.Verify(signed(secret))
		return err == nil
	}
	if !accepts("old-secret") || accepts("new-secret") {
		t.Fatalf("before the reload: old %v, new %v", accepts("old-secret"), accepts("new-secret"))
	}
	if err := os.WriteFile(path, []byte(`{"clickfunnels": {"42": {"secrets": ["new-secret"]}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := file.Reload(); err != nil {
		t.Fatal(err)
	}
	if accepts("old-secret") || !accepts("new-secret") {
		t.Fatalf("after the reload: old %v, new %v", accepts("old-secret"), accepts("new-secret"))
	}
	if err := os.WriteFile(path, []byte(`{"clickfunnels": {"42": {"secrets": ["newest"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := file.Reload(); err == nil {
		t.Fatal("a broken file was reloaded")
	}
	if !accepts("new-secret") || accepts("newest") {
		t.Errorf("after a failed reload the previous entries should stay: new %v, newest %v", accepts("new-secret"), accepts("newest"))
	}
	if got := file.Current().Summary(); got != "clickfunnels: 1 signed; webflow: 0 signed" {
		t.Errorf("Summary = %q", got)
	}
}
