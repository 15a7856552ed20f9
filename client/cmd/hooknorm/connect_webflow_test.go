package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// webflowV2Triggers are the trigger types Webflow's API v2 registers (the Webhook.triggerType enum
// of its OpenAPI document).
var webflowV2Triggers = []string{"form_submission", "site_publish", "page_created", "page_metadata_updated", "page_deleted",
	"ecomm_new_order", "ecomm_order_changed", "ecomm_inventory_changed", "collection_item_created", "collection_item_changed",
	"collection_item_deleted", "collection_item_published", "collection_item_unpublished", "comment_created"}

// fakeWebflow is the part of Webflow's Data API v2 that connect and disconnect use, built from its
// documented requests and answers: bearer tokens; GET /v2/sites/{site_id}/webhooks answering
// {"webhooks": [...], "pagination": {"limit", "offset", "total"}}, a page at a time from ?offset=;
// POST /v2/sites/{site_id}/webhooks with {"triggerType", "url"}, answering 201 with the webhook and
// its secretKey (none for an OAuth app's token); DELETE /v2/webhooks/{webhook_id} answering 204;
// and error answers {"code", "message", "externalReference", "details"}.
type fakeWebflow struct {
	token    string
	sites    map[string]bool // site id to whether it has e-commerce
	pageSize int
	// ignoreOffset answers every list with its first page, as an API without offsets would.
	ignoreOffset bool
	// oauth answers creations as for an OAuth app's token: without a secretKey.
	oauth bool
	// refuseCreate answers every creation with this status; failAll every request.
	refuseCreate, failAll int
	// failAt answers the request of this number (from 1) with this status instead (429 with
	// Retry-After: 7).
	failAt map[int]int

	mu       sync.Mutex
	webhooks []map[string]any
	keys     map[string]string // webhook id to the secretKey it was created with
	nextID   int
	requests []string
}

func newFakeWebflow(t *testing.T) (*fakeWebflow, *httptest.Server) {
	f := &fakeWebflow{token: "wf-site-token", pageSize: 4, keys: map[string]string{}, nextID: 0x100,
		sites: map[string]bool{webflowSiteA: true, webflowSiteB: false}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// Two sites: A sells (e-commerce is enabled), B does not.
const (
	webflowSiteA = "5f0c8f2a9d1e4b0012345678"
	webflowSiteB = "64a1b2c3d4e5f60012345678"
)

// add registers a webhook as if made earlier, and returns its id.
func (f *fakeWebflow) add(site, trigger, target string) string {
	f.nextID++
	id := fmt.Sprintf("%024x", f.nextID)
	f.webhooks = append(f.webhooks, map[string]any{"id": id, "triggerType": trigger, "url": target, "siteId": site,
		"workspaceId": "4f4e46fd476ea8c507000001", "filter": nil, "createdOn": "2026-11-20T10:00:00.000Z", "lastTriggered": nil})
	return id
}

// at is the webhooks of site whose URL is target, by trigger type.
func (f *fakeWebflow) at(site, target string) map[string]string {
	hooks := map[string]string{}
	for _, h := range f.webhooks {
		if h["siteId"] == site && h["url"] == target {
			hooks[h["triggerType"].(string)] = h["id"].(string)
		}
	}
	return hooks
}

// posts counts the creations asked for.
func (f *fakeWebflow) posts() int {
	n := 0
	for _, r := range f.requests {
		if strings.HasPrefix(r, "POST ") {
			n++
		}
	}
	return n
}

func (f *fakeWebflow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	answer := func(code int, body any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(body)
	}
	refuse := func(status int, code, message string) {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		answer(status, map[string]any{"code": code, "message": message, "externalReference": nil, "details": []any{}})
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		refuse(http.StatusUnauthorized, "not_authorized", "Request not authorized")
		return
	}
	if code, ok := f.failAt[len(f.requests)]; ok {
		refuse(code, "too_many_requests", http.StatusText(code))
		return
	}
	if f.failAll != 0 {
		refuse(f.failAll, "internal_error", "An Internal Error occurred")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v2")
	if site, ok := strings.CutPrefix(path, "/sites/"); ok && strings.HasSuffix(site, "/webhooks") {
		site = strings.TrimSuffix(site, "/webhooks")
		ecommerce, known := f.sites[site]
		switch {
		case !known:
			refuse(http.StatusNotFound, "resource_not_found", "Requested resource not found: The site cannot be found")
		case r.Method == http.MethodGet:
			f.list(w, r, site)
		case r.Method == http.MethodPost:
			var req struct {
				TriggerType string `json:"triggerType"`
				URL         string `json:"url"`
			}
			err := json.NewDecoder(r.Body).Decode(&req)
			target, urlErr := url.Parse(req.URL)
			switch {
			case f.refuseCreate != 0:
				refuse(f.refuseCreate, "validation_error", "Validation Error")
			case err != nil || urlErr != nil || !target.IsAbs():
				refuse(http.StatusBadRequest, "validation_error", "Validation Error: url must be a valid URL")
			case !slices.Contains(webflowV2Triggers, req.TriggerType):
				refuse(http.StatusBadRequest, "unsupported_webhook_trigger_type", "Unsupported webhook trigger type")
			case strings.HasPrefix(req.TriggerType, "ecomm_") && !ecommerce:
				refuse(http.StatusBadRequest, "ecommerce_not_enabled", "Ecommerce is not enabled on this site")
			default:
				id := f.add(site, req.TriggerType, req.URL)
				created := maps(f.webhooks[len(f.webhooks)-1])
				if !f.oauth {
					f.keys[id] = fmt.Sprintf("%064x", f.nextID*7919)
					created["secretKey"] = f.keys[id]
				}
				answer(http.StatusCreated, created)
			}
		default:
			refuse(http.StatusNotFound, "resource_not_found", "Requested resource not found")
		}
		return
	}
	if id, ok := strings.CutPrefix(path, "/webhooks/"); ok && r.Method == http.MethodDelete {
		for i, h := range f.webhooks {
			if h["id"] == id {
				f.webhooks = append(f.webhooks[:i], f.webhooks[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
	}
	refuse(http.StatusNotFound, "resource_not_found", "Requested resource not found")
}

// list serves one page of the site's webhooks from ?offset=.
func (f *fakeWebflow) list(w http.ResponseWriter, r *http.Request, site string) {
	var hooks []map[string]any
	for _, h := range f.webhooks {
		if h["siteId"] == site {
			hooks = append(hooks, h)
		}
	}
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	if f.ignoreOffset {
		offset = 0
	}
	total := len(hooks)
	page := hooks[min(offset, total):min(offset+f.pageSize, total)]
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-RateLimit-Limit", "60")
	json.NewEncoder(w).Encode(map[string]any{"webhooks": page, "pagination": map[string]int{"limit": f.pageSize, "offset": offset, "total": total}})
}

// maps copies m.
func maps(m map[string]any) map[string]any {
	c := map[string]any{}
	for k, v := range m {
		c[k] = v
	}
	return c
}

// webflowArgs is a connect or disconnect command line for site against api.
func webflowArgs(command, site, api, secrets string, more ...string) []string {
	return append([]string{command, "webflow", "--site", site, "--api-url", api + "/v2", "--api-token", "wf-site-token",
		"--url", "https://hooks.example.com", "--secrets-file", secrets}, more...)
}

// webflowRoute is hooknormd's Webflow route for site, as connect registers it.
func webflowRoute(site string) string {
	return "https://hooks.example.com/v1/webhooks/webflow?tenant=" + site
}

// writeSecrets writes a secrets file and returns its path.
func writeSecrets(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustReadSecrets(t *testing.T, path string) secretsFile {
	t.Helper()
	f, err := readSecretsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestWebflowTriggerTypes checks the trigger types connect registers by default: Webflow's API v2
// trigger types, spelt as API v2 spells them, without the user accounts Webflow disabled.
func TestWebflowTriggerTypes(t *testing.T) {
	want := slices.Sorted(slices.Values(webflowV2Triggers))
	if got := webflowTriggerTypes(); !slices.Equal(got, want) {
		t.Errorf("webflowTriggerTypes() = %v, want %v", got, want)
	}
}

// TestConnectAndDisconnectWebflow connects site A to hooknormd through a fake Webflow API whose
// list of webhooks spans pages: a dry run changes nothing; connect creates one webhook per trigger
// type at the site's route, waits out a 429 as its Retry-After says, and adds each webhook's
// secretKey to the site's secrets (0600, other tenants kept); run again it creates nothing; a
// webhook deleted at Webflow is made again; with --types it deletes none; disconnect deletes the
// webhooks at the route alone and the site's entry, and run again finds nothing to do.
func TestConnectAndDisconnectWebflow(t *testing.T) {
	waits := recordSleeps(t)
	fake, api := newFakeWebflow(t)
	elsewhere := fake.add(webflowSiteA, "form_submission", "https://other.example.com/hook")
	secrets := writeSecrets(t, `{"clickfunnels": {"42": {"secrets": ["ws42"]}}, "webflow": {"`+webflowSiteB+`": {"unsigned": true}}}`)
	args := func(command string, more ...string) []string {
		return webflowArgs(command, webflowSiteA, api.URL, secrets, more...)
	}
	route := webflowRoute(webflowSiteA)

	r := runCLI(t, "", nil, args("connect", "--dry-run")...)
	if r.code != exitOK || strings.Count(r.stdout, "would have created: a webhook for") != 14 || fake.posts() != 0 || len(mustReadSecrets(t, secrets)["webflow"]) != 1 {
		t.Fatalf("--dry-run: exit %d, %s %s; requests %v", r.code, r.stdout, r.stderr, fake.requests)
	}

	fake.failAt = map[int]int{len(fake.requests) + 2: http.StatusTooManyRequests} // the first creation, once
	r = runCLI(t, "", nil, args("connect")...)
	if r.code != exitOK || strings.Count(r.stdout, "created: webhook") != 14 || !strings.Contains(r.stdout, "wrote: 14 secretKey(s) of site "+webflowSiteA) {
		t.Fatalf("connect: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	if len(*waits) != 1 || (*waits)[0] != 7*time.Second || !strings.Contains(r.stderr, "Webflow limits the rate of calls (429)") {
		t.Errorf("the rate limit: waits %v, stderr %q", *waits, r.stderr)
	}
	hooks := fake.at(webflowSiteA, route)
	if got := slices.Sorted(func(yield func(string) bool) {
		for trigger := range hooks {
			yield(trigger)
		}
	}); !slices.Equal(got, webflowTriggerTypes()) {
		t.Errorf("webhooks at %s for %v", route, got)
	}
	var keys []string
	for _, id := range hooks {
		keys = append(keys, fake.keys[id])
	}
	file := mustReadSecrets(t, secrets)
	if got := file["webflow"][webflowSiteA].Secrets; !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(keys))) {
		t.Errorf("the site's secrets %v, want the 14 secretKeys %v", got, keys)
	}
	if !file["webflow"][webflowSiteB].Unsigned || file["clickfunnels"]["42"].Secrets[0] != "ws42" {
		t.Errorf("the other tenants were not kept: %v", file)
	}
	if info, err := os.Stat(secrets); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the secrets file's mode: %v %v", info.Mode(), err)
	}

	before := fake.posts()
	r = runCLI(t, "", nil, args("connect")...)
	if r.code != exitOK || strings.Count(r.stdout, "unchanged: webhook") != 14 || fake.posts() != before ||
		len(mustReadSecrets(t, secrets)["webflow"][webflowSiteA].Secrets) != 14 {
		t.Errorf("connect again: exit %d, %s %s; %d creations", r.code, r.stdout, r.stderr, fake.posts()-before)
	}
	if !slices.ContainsFunc(fake.requests, func(r string) bool { return strings.HasSuffix(r, "/webhooks?offset=12") }) {
		t.Errorf("the list was not read to its last page: %v", fake.requests)
	}

	for i, h := range fake.webhooks {
		if h["id"] == hooks["site_publish"] {
			fake.webhooks = slices.Delete(fake.webhooks, i, i+1)
			break
		}
	}
	r = runCLI(t, "", nil, args("connect")...)
	if r.code != exitOK || strings.Count(r.stdout, "created: webhook") != 1 || !strings.Contains(r.stdout, "(site_publish) at") ||
		len(mustReadSecrets(t, secrets)["webflow"][webflowSiteA].Secrets) != 15 {
		t.Errorf("connect after a webhook was deleted: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", nil, args("connect", "--types", "form_submission")...)
	if r.code != exitOK || strings.Count(r.stdout, "unchanged: webhook") != 1 || strings.Count(r.stdout, "kept: webhook") != 13 || len(fake.at(webflowSiteA, route)) != 14 {
		t.Errorf("connect --types: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}

	r = runCLI(t, "", nil, args("disconnect", "--dry-run")...)
	if r.code != exitOK || strings.Count(r.stdout, "would have deleted: webhook") != 14 || len(fake.webhooks) != 15 ||
		len(mustReadSecrets(t, secrets)["webflow"][webflowSiteA].Secrets) != 15 {
		t.Errorf("disconnect --dry-run: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", nil, args("disconnect")...)
	if r.code != exitOK || strings.Count(r.stdout, "deleted: webhook") != 14 || !strings.Contains(r.stdout, "removed: site "+webflowSiteA) {
		t.Errorf("disconnect: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	if file := mustReadSecrets(t, secrets); len(fake.webhooks) != 1 || fake.webhooks[0]["id"] != elsewhere ||
		len(file["webflow"]) != 1 || !file["webflow"][webflowSiteB].Unsigned || len(file["clickfunnels"]) != 1 {
		t.Errorf("after disconnect: webhooks %v, file %v", fake.webhooks, file)
	}
	r = runCLI(t, "", nil, args("disconnect")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "no webhook of site "+webflowSiteA) {
		t.Errorf("disconnect again: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
}

// TestConnectWebflowAnswers runs connect and disconnect webflow against the fake Webflow API's
// error answers and the cases where a secret cannot be had, and checks the exit code, what is said,
// the webhooks left at Webflow and the secrets file.
func TestConnectWebflowAnswers(t *testing.T) {
	const noFile = `{"clickfunnels": {"42": {"secrets": ["ws42"]}}}`
	cases := []struct {
		name    string
		site    string // whose webhooks and secrets are counted afterwards (default: A)
		file    string
		env     map[string]string
		setup   func(f *fakeWebflow)
		args    func(api, secrets string) []string
		code    int
		said    []string // on stdout or stderr
		hooks   int      // webhooks of the site at its route afterwards
		secrets int      // of the site in the file afterwards
		waits   int
	}{
		{
			name: "a token Webflow refuses",
			args: func(api, secrets string) []string {
				return append(webflowArgs("connect", webflowSiteA, api, secrets), "--api-token", "wrong")
			},
			code: exitUsage, said: []string{"401 Unauthorized: Request not authorized", "check --api-token"},
		},
		{
			name: "a site Webflow does not know",
			args: func(api, secrets string) []string {
				return webflowArgs("connect", "0123456789abcdef01234567", api, secrets)
			},
			code: exitUsage, said: []string{"404 Not Found: Requested resource not found: The site cannot be found", "check the workspace or site id"},
		},
		{
			name:  "every creation refused with 422",
			setup: func(f *fakeWebflow) { f.refuseCreate = http.StatusUnprocessableEntity },
			args:  func(api, secrets string) []string { return webflowArgs("connect", webflowSiteA, api, secrets) },
			code:  exitUsage, said: []string{"Webflow refused 14 of the 14 trigger types", "422 Unprocessable Entity: Validation Error"},
		},
		{
			name:  "a Webflow failing with 500 until connect gives up",
			setup: func(f *fakeWebflow) { f.failAll = http.StatusInternalServerError },
			args:  func(api, secrets string) []string { return webflowArgs("connect", webflowSiteA, api, secrets) },
			code:  exitFailed, said: []string{"the Webflow API failed (500 Internal Server Error); gave up after 6 attempts"}, waits: 5,
		},
		{
			name: "a site without e-commerce",
			site: webflowSiteB, hooks: 11, secrets: 11,
			args: func(api, secrets string) []string { return webflowArgs("connect", webflowSiteB, api, secrets) },
			code: exitUsage, said: []string{"Ecommerce is not enabled on this site", "Webflow refused 3 of the 14 trigger types (ecomm_inventory_changed, ecomm_new_order, ecomm_order_changed)", "give --types without them"},
		},
		{
			name:  "an OAuth app's token, which gets no secretKey",
			setup: func(f *fakeWebflow) { f.oauth = true },
			args:  func(api, secrets string) []string { return webflowArgs("connect", webflowSiteA, api, secrets) },
			code:  exitFailed, said: []string{"Webflow returned no secretKey for 14 webhook(s)", "add that client secret to"}, hooks: 14,
		},
		{
			name:  "an OAuth app's token, with its client secret in the file",
			file:  `{"webflow": {"` + webflowSiteA + `": {"secrets": ["client-secret"]}}}`,
			setup: func(f *fakeWebflow) { f.oauth = true },
			args:  func(api, secrets string) []string { return webflowArgs("connect", webflowSiteA, api, secrets) },
			code:  exitOK, said: []string{"note: Webflow returned no secretKey", "client secret must be among the site's 1 secrets"}, hooks: 14, secrets: 1,
		},
		{
			name: "webhooks made earlier whose keys the file lacks",
			setup: func(f *fakeWebflow) {
				for _, trigger := range webflowV2Triggers {
					f.add(webflowSiteA, trigger, webflowRoute(webflowSiteA))
				}
			},
			args: func(api, secrets string) []string { return webflowArgs("connect", webflowSiteA, api, secrets) },
			code: exitFailed, said: []string{"14 webhook(s) of site " + webflowSiteA + " existed already", "secretKey only when it is created", "hooknorm disconnect webflow, then connect"},
			hooks: 14,
		},
		{
			name: "an unsigned site made signed",
			file: `{"webflow": {"` + webflowSiteA + `": {"unsigned": true}}}`,
			args: func(api, secrets string) []string {
				return webflowArgs("connect", webflowSiteA, api, secrets, "--types", "form_submission")
			},
			code: exitOK, said: []string{"was marked unsigned", "made in the site dashboard"}, hooks: 1, secrets: 1,
		},
		{
			name: "disconnect keeps the entry while a webhook still points at a hooknormd route",
			file: `{"webflow": {"` + webflowSiteA + `": {"secrets": ["k"]}}}`,
			setup: func(f *fakeWebflow) {
				f.add(webflowSiteA, "form_submission", webflowRoute(webflowSiteA))
				f.add(webflowSiteA, "form_submission", "https://hooks.example.com/v1/webhooks/webflow/form_submission?tenant="+webflowSiteA)
			},
			args: func(api, secrets string) []string { return webflowArgs("disconnect", webflowSiteA, api, secrets) },
			code: exitOK, said: []string{"deleted: webhook", "kept: site " + webflowSiteA}, secrets: 1,
		},
		{
			name: "a list that ignores ?offset ends instead of asking forever",
			setup: func(f *fakeWebflow) {
				f.ignoreOffset = true
				for _, trigger := range webflowV2Triggers[:6] {
					f.add(webflowSiteA, trigger, "https://other.example.com/hook")
				}
			},
			args: func(api, secrets string) []string {
				return webflowArgs("connect", webflowSiteA, api, secrets, "--types", "site_publish")
			},
			code: exitOK, said: []string{"created: webhook"}, hooks: 1, secrets: 1,
		},
		{
			name: "--workspace for Webflow",
			args: func(api, secrets string) []string {
				return append(webflowArgs("connect", webflowSiteA, api, secrets), "--workspace", "42")
			},
			code: exitUsage, said: []string{"--workspace is not a flag of connect webflow"},
		},
		{
			name: "--site for ClickFunnels",
			args: func(api, secrets string) []string {
				return []string{"disconnect", "clickfunnels", "--workspace", "42", "--site", webflowSiteA, "--api-url", api, "--api-token", "t", "--url", "https://hooks.example.com"}
			},
			code: exitUsage, said: []string{"--site is not a flag of disconnect clickfunnels"},
		},
		{
			name: "a site id that is not one",
			args: func(api, secrets string) []string { return webflowArgs("connect", "my-site", api, secrets) },
			code: exitUsage, said: []string{"--site must be the Webflow site's id, 24 hex digits"},
		},
		{
			name: "a user account trigger",
			args: func(api, secrets string) []string {
				return webflowArgs("connect", webflowSiteA, api, secrets, "--types", "user_account_added")
			},
			code: exitUsage, said: []string{"Webflow disabled user accounts on 2026-01-29"},
		},
		{
			name: "a trigger type hooknorm does not know",
			args: func(api, secrets string) []string {
				return webflowArgs("connect", webflowSiteA, api, secrets, "--types", "form_submision")
			},
			code: exitUsage, said: []string{`--types "form_submision" is not a Webflow API v2 trigger type`},
		},
		{
			name: "no token",
			args: func(api, secrets string) []string {
				return []string{"connect", "webflow", "--site", webflowSiteA, "--api-url", api, "--url", "https://hooks.example.com", "--secrets-file", secrets}
			},
			code: exitUsage, said: []string{"--api-token (or HOOKNORM_WEBFLOW_API_TOKEN) is required"},
		},
		{
			name: "hooknormd's --token, which is never sent to Webflow",
			env:  map[string]string{tokenEnv: "wf-site-token"},
			args: func(api, secrets string) []string {
				return []string{"connect", "webflow", "--site", webflowSiteA, "--api-url", api, "--token", "wf-site-token", "--url", "https://hooks.example.com", "--secrets-file", secrets}
			},
			code: exitUsage, said: []string{"--api-token (or HOOKNORM_WEBFLOW_API_TOKEN) is required"},
		},
		{
			name: "the token from HOOKNORM_WEBFLOW_API_TOKEN",
			env:  map[string]string{webflowTokenEnv: "wf-site-token", clickFunnelsTokenEnv: "cf-api-token"},
			args: func(api, secrets string) []string {
				return []string{"connect", "webflow", "--site", webflowSiteA, "--api-url", api + "/v2", "--url", "https://hooks.example.com",
					"--secrets-file", secrets, "--types", "form_submission"}
			},
			code: exitOK, said: []string{"created: webhook"}, hooks: 1, secrets: 1,
		},
		{
			name: "a provider connect does not know",
			args: func(api, secrets string) []string { return []string{"connect", "shopify"} },
			code: exitUsage, said: []string{"connect takes one provider, clickfunnels or webflow"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			waits := recordSleeps(t)
			fake, api := newFakeWebflow(t)
			if c.setup != nil {
				c.setup(fake)
			}
			content := c.file
			if content == "" {
				content = noFile
			}
			secrets := writeSecrets(t, content)
			r := runCLI(t, "", c.env, c.args(api.URL, secrets)...)
			for _, s := range c.said {
				if !strings.Contains(r.stdout+r.stderr, s) {
					t.Errorf("nothing says %q: exit %d\nstdout: %s\nstderr: %s", s, r.code, r.stdout, r.stderr)
				}
			}
			if r.code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, c.code, r.stdout, r.stderr)
			}
			site := c.site
			if site == "" {
				site = webflowSiteA
			}
			if got := len(fake.at(site, webflowRoute(site))); got != c.hooks {
				t.Errorf("%d webhooks of site %s at its route, want %d", got, site, c.hooks)
			}
			file := mustReadSecrets(t, secrets)
			if got := len(file["webflow"][site].Secrets); got != c.secrets {
				t.Errorf("%d secrets of site %s in the file, want %d: %v", got, site, c.secrets, file)
			}
			if c.file == "" && (len(file["clickfunnels"]) != 1 || file["clickfunnels"]["42"].Secrets[0] != "ws42") {
				t.Errorf("the other tenant was not kept: %v", file)
			}
			if len(*waits) != c.waits {
				t.Errorf("waited %v, want %d waits", *waits, c.waits)
			}
		})
	}
}
