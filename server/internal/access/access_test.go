package access_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func writeTokens(t *testing.T, dir, content string) string {
	t.Helper()
	path := filepath.Join(dir, "tokens.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func reason(err error) hooknormv1.ErrorReason {
	r, _ := rejection.As(err)
	if r == nil {
		return 0
	}
	return r.Reason
}

func TestTokensAndScopes(t *testing.T) {
	path := writeTokens(t, t.TempDir(), `{"tokens": [
		{"name": "ops", "sha256": "`+hash("ops-token")+`", "calls": ["normalize", "ingest", "subscribe"]},
		{"name": "ws42", "sha256": "`+strings.ToUpper(hash("ws42-token"))+`", "calls": ["subscribe"], "sources": ["clickfunnels"], "tenants": ["42", "43"], "max_streams": 1}
	]}`)
	tokens, err := access.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tokens.Lookup("ops-token "); ok {
		t.Error("a token with a trailing space matched")
	}
	ops, ok := tokens.Lookup("ops-token")
	if !ok || ops.Allow(access.CallIngest) != nil || ops.AllowTenant("any") != nil {
		t.Fatalf("ops: %v", ops)
	}
	ws, ok := tokens.Lookup("ws42-token")
	if !ok {
		t.Fatal("upper-case hashes are read")
	}
	if reason(ws.Allow(access.CallIngest)) != hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE {
		t.Error("ws42 may ingest")
	}
	if reason(ws.AllowSource(hooknormv1.Source_SOURCE_WEBFLOW)) != hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE {
		t.Error("ws42 may see Webflow")
	}
	sources, tenants, err := ws.Scope(nil, "")
	if err != nil || len(sources) != 1 || strings.Join(tenants, ",") != "42,43" {
		t.Errorf("ws42 unfiltered scope: %v %v %v", sources, tenants, err)
	}
	if _, tenants, err := ws.Scope(nil, "43"); err != nil || tenants != nil {
		t.Errorf("ws42 asking for 43: %v %v", tenants, err)
	}
	if _, _, err := ws.Scope(nil, "44"); reason(err) != hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE {
		t.Errorf("ws42 asking for 44: %v", err)
	}
	done, err := ws.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.OpenStream(); reason(err) != hooknormv1.ErrorReason_ERROR_REASON_TOO_MANY_STREAMS {
		t.Errorf("a second stream past max_streams 1: %v", err)
	}
	done()
	done()
	if _, err := ws.OpenStream(); err != nil {
		t.Errorf("after the first stream ended: %v", err)
	}
}

func TestInvalidTokensFiles(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":          `tokens:`,
		"unknown field":     `{"tokens": [{"name": "a", "sha256": "` + hash("a") + `", "calls": [], "scope": "all"}]}`,
		"short hash":        `{"tokens": [{"name": "a", "sha256": "abc"}]}`,
		"no name":           `{"tokens": [{"sha256": "` + hash("a") + `"}]}`,
		"unknown call":      `{"tokens": [{"name": "a", "sha256": "` + hash("a") + `", "calls": ["delete"]}]}`,
		"unknown source":    `{"tokens": [{"name": "a", "sha256": "` + hash("a") + `", "calls": ["subscribe"], "sources": ["stripe"]}]}`,
		"repeated hash":     `{"tokens": [{"name": "a", "sha256": "` + hash("a") + `"}, {"name": "b", "sha256": "` + hash("a") + `"}]}`,
		"repeated name":     `{"tokens": [{"name": "a", "sha256": "` + hash("a") + `"}, {"name": "a", "sha256": "` + hash("b") + `"}]}`,
		"plain token given": `{"tokens": [{"name": "a", "sha256": "ops-token"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := access.Load(writeTokens(t, t.TempDir(), content)); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestReloadKeepsTheOldTokensOnError(t *testing.T) {
	dir := t.TempDir()
	path := writeTokens(t, dir, `{"tokens": [{"name": "a", "sha256": "`+hash("a")+`", "calls": ["subscribe"], "max_streams": 1}]}`)
	guard, err := access.NewGuard(path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := guard.Tokens().Lookup("a")
	if _, err := p.OpenStream(); err != nil {
		t.Fatal(err)
	}
	writeTokens(t, dir, `{"tokens": [{"name": "a", "sha256": "`+hash("a")+`", "calls": ["subscribe"], "max_streams": 1},
		{"name": "b", "sha256": "`+hash("b")+`", "calls": ["normalize"]}]}`)
	if err := guard.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := guard.Tokens().Lookup("b"); !ok {
		t.Error("the reload did not add b")
	}
	again, _ := guard.Tokens().Lookup("a")
	if _, err := again.OpenStream(); reason(err) != hooknormv1.ErrorReason_ERROR_REASON_TOO_MANY_STREAMS {
		t.Errorf("the open stream was forgotten by the reload: %v", err)
	}
	writeTokens(t, dir, `{"tokens": [`)
	if err := guard.Reload(); err == nil {
		t.Error("a broken file reloaded")
	}
	if _, ok := guard.Tokens().Lookup("b"); !ok {
		t.Error("a failed reload dropped the tokens in force")
	}
}

func TestEveryTokenMayListEventTypes(t *testing.T) {
	path := writeTokens(t, t.TempDir(), `{"tokens": [
		{"name": "nothing", "sha256": "`+hash("nothing-token")+`"},
		{"name": "ingest", "sha256": "`+hash("ingest-token")+`", "calls": ["ingest"]}
	]}`)
	tokens, err := access.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"nothing-token", "ingest-token"} {
		t.Run(token, func(t *testing.T) {
			p, ok := tokens.Lookup(token)
			if !ok {
				t.Fatal("token not found")
			}
			if err := p.Allow(access.CallListEventTypes); err != nil {
				t.Errorf("listing event types: %v", err)
			}
			if reason(p.Allow(access.CallSubscribe)) != hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE {
				t.Error("a token without subscribe may subscribe")
			}
		})
	}
}

// TestCoversKeepsConsumersWithinScope checks which consumers a scoped token may touch: only those
// whose sources and tenants lie within its own.
func TestCoversKeepsConsumersWithinScope(t *testing.T) {
	path := writeTokens(t, t.TempDir(), `{"tokens": [
		{"name": "all", "sha256": "`+hash("all")+`", "calls": ["consume"]},
		{"name": "wf", "sha256": "`+hash("wf")+`", "calls": ["consume"], "sources": ["webflow"], "tenants": ["site1", "site2"]}]}`)
	tokens, err := access.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := tokens.Lookup("all")
	wf, _ := tokens.Lookup("wf")
	webflow := []hooknormv1.Source{hooknormv1.Source_SOURCE_WEBFLOW}
	for _, tc := range []struct {
		name    string
		p       *access.Principal
		sources []hooknormv1.Source
		tenant  string
		tenants []string
		allowed bool
	}{
		{"an unscoped token covers every consumer", all, nil, "", nil, true},
		{"a consumer of every source", wf, nil, "site1", nil, false},
		{"a consumer of another source", wf, []hooknormv1.Source{hooknormv1.Source_SOURCE_CLICKFUNNELS}, "site1", nil, false},
		{"a consumer of every tenant", wf, webflow, "", nil, false},
		{"a consumer of another tenant", wf, webflow, "site3", nil, false},
		{"a consumer of one of its tenants", wf, webflow, "site2", nil, true},
		{"a consumer narrowed to its tenants", wf, webflow, "", []string{"site1", "site2"}, true},
		{"a consumer narrowed to other tenants too", wf, webflow, "", []string{"site1", "site9"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Covers("c", tc.sources, tc.tenant, tc.tenants)
			if (err == nil) != tc.allowed {
				t.Fatalf("Covers = %v; want allowed %v", err, tc.allowed)
			}
			if err != nil && reason(err) != hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE {
				t.Errorf("refused with %v; want OUT_OF_SCOPE", reason(err))
			}
		})
	}
}
