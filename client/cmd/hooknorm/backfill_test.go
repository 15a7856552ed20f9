package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/servertest"
)

// fakeClickFunnels is the part of the ClickFunnels API v2 that backfill and connect use, built
// from its documented requests and answers: bearer tokens, the workspace's outgoing events
// listed with cursor pagination (after, sort_order, Pagination-Next and Link headers), its webhook
// endpoints, and error answers {"error": "..."}.
type fakeClickFunnels struct {
	t         *testing.T
	token     string
	workspace string
	pageSize  int

	mu        sync.Mutex
	events    []map[string]any // in id order
	endpoints []map[string]any
	nextID    int
	// failAt answers the request of this number (from 1) with this status instead (429 with
	// Retry-After: 7).
	failAt   map[int]int
	requests []string
}

func newFakeClickFunnels(t *testing.T, workspace string) (*fakeClickFunnels, *httptest.Server) {
	f := &fakeClickFunnels{t: t, token: "cf-api-token", workspace: workspace, pageSize: 2, nextID: 100}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// addEvent adds an outgoing event of the workspace, created at.
func (f *fakeClickFunnels) addEvent(id int, uuid string, at time.Time) {
	f.events = append(f.events, map[string]any{
		"id": id, "public_id": "p" + strconv.Itoa(id), "workspace_id": json.Number(f.workspace), "uuid": uuid,
		"event_type_id": "contact.identified", "subject_id": 300 + id, "subject_type": "Contact",
		"data":        map[string]any{"id": 246579500 + id, "workspace_id": json.Number(f.workspace), "email_address": fmt.Sprintf("c%d@example.com", id)},
		"api_version": 2, "created_at": at.UTC().Format("2006-01-02T15:04:05.000Z"), "page": nil, "funnel": nil,
	})
}

func (f *fakeClickFunnels) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	answer := func(code int, body any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(body)
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		answer(http.StatusUnauthorized, map[string]string{"error": "API key missing or invalid"})
		return
	}
	if code, ok := f.failAt[len(f.requests)]; ok {
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		answer(code, map[string]string{"error": http.StatusText(code)})
		return
	}
	base := "/api/v2"
	switch path := strings.TrimPrefix(r.URL.Path, base); {
	case r.Method == http.MethodGet && path == "/workspaces/"+f.workspace+"/webhooks/outgoing/events":
		f.listEvents(w, r)
	case r.Method == http.MethodGet && path == "/workspaces/"+f.workspace+"/webhooks/outgoing/endpoints":
		answer(http.StatusOK, f.endpoints)
	case r.Method == http.MethodPost && path == "/workspaces/"+f.workspace+"/webhooks/outgoing/endpoints":
		var req struct {
			Endpoint map[string]any `json:"webhooks_outgoing_endpoint"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Endpoint["url"] == nil || req.Endpoint["event_type_ids"] == nil {
			answer(http.StatusUnprocessableEntity, map[string]any{"errors": map[string][]string{"url": {"can't be blank"}}})
			return
		}
		f.nextID++
		endpoint := map[string]any{"id": f.nextID, "public_id": "ep" + strconv.Itoa(f.nextID), "workspace_id": json.Number(f.workspace),
			"url": req.Endpoint["url"], "name": req.Endpoint["name"], "event_type_ids": req.Endpoint["event_type_ids"], "api_version": 2,
			"page_ids": []int{}, "funnel_ids": []int{}}
		f.endpoints = append(f.endpoints, endpoint)
		withSecret := map[string]any{"webhook_secret": fmt.Sprintf("%064x", f.nextID)}
		for k, v := range endpoint {
			withSecret[k] = v
		}
		answer(http.StatusCreated, withSecret)
	case strings.HasPrefix(path, "/webhooks/outgoing/endpoints/"):
		id := strings.TrimPrefix(path, "/webhooks/outgoing/endpoints/")
		for i, e := range f.endpoints {
			if fmt.Sprint(e["id"]) != id {
				continue
			}
			switch r.Method {
			case http.MethodPut:
				var req struct {
					Endpoint map[string]any `json:"webhooks_outgoing_endpoint"`
				}
				if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
					answer(http.StatusUnprocessableEntity, map[string]string{"error": "invalid"})
					return
				}
				for k, v := range req.Endpoint {
					e[k] = v
				}
				answer(http.StatusOK, e)
			case http.MethodDelete:
				f.endpoints = append(f.endpoints[:i], f.endpoints[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
			}
			return
		}
		answer(http.StatusNotFound, map[string]string{"error": "Not found: Record missing"})
	default:
		answer(http.StatusNotFound, map[string]string{"error": "Not found: Record missing"})
	}
}

// listEvents serves one page of the events, by id in sort_order, after the cursor.
func (f *fakeClickFunnels) listEvents(w http.ResponseWriter, r *http.Request) {
	events := append([]map[string]any(nil), f.events...)
	if r.URL.Query().Get("sort_order") == "desc" {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	if after := r.URL.Query().Get("after"); after != "" {
		for i, e := range events {
			if fmt.Sprint(e["id"]) == after {
				events = events[i+1:]
				break
			}
		}
	}
	if len(events) > f.pageSize {
		events = events[:f.pageSize]
		last := fmt.Sprint(events[len(events)-1]["id"])
		w.Header().Set("Pagination-Next", last)
		w.Header().Set("Link", fmt.Sprintf(`<%s?after=%s>; rel="next"`, r.URL.Path, last))
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(events)
}

// recordSleeps replaces the wait between retries with one that returns at once and records how
// long it would have waited.
func recordSleeps(t *testing.T) *[]time.Duration {
	var waits []time.Duration
	real := sleep
	sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	t.Cleanup(func() { sleep = real })
	return &waits
}

// TestBackfillIngestsTheEventsSince backfills workspace 42 since 48h from a fake ClickFunnels
// API whose list spans three pages and answers the second with 429 (Retry-After: 7): the three
// events of the last 48 h are stored, oldest first, with the event ids live deliveries carry,
// signed with the workspace's secret from the secrets file; the wait said by Retry-After was
// kept and announced. A second run stores nothing and counts three duplicates.
func TestBackfillIngestsTheEventsSince(t *testing.T) {
	waits := recordSleeps(t)
	fake, api := newFakeClickFunnels(t, "42")
	now := time.Now()
	fake.addEvent(1, "0000000000000000000000000000000a", now.Add(-72*time.Hour))
	fake.addEvent(2, "0000000000000000000000000000000b", now.Add(-50*time.Hour))
	fake.addEvent(3, "60df598e94fdd1d53f202bbc1e05fa38", now.Add(-40*time.Hour))
	fake.addEvent(4, "da366f422fda0814504d5d99ea43c873", now.Add(-3*time.Hour))
	fake.addEvent(5, "db367bc0feec4c1a09c8d7cfa708143c", now.Add(-time.Minute))
	srv, err := servertest.New(servertest.WithSecrets(hooknormv1.Source_SOURCE_CLICKFUNNELS, "ws42-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	secrets := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(secrets, []byte(`{"clickfunnels": {"42": {"secrets": ["ws42-secret"]}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"backfill", "clickfunnels", "--server", srv.GRPCAddr(), "--workspace", "42", "--api-url", api.URL + "/api/v2",
		"--api-token", "cf-api-token", "--since", "48h", "--secrets-file", secrets}

	fake.failAt = map[int]int{2: http.StatusTooManyRequests} // the second page, once
	r := runCLI(t, "", nil, args...)
	if r.code != exitOK || !strings.Contains(r.stdout, "backfill: 3 stored, 0 duplicate, 0 refused") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if len(*waits) != 1 || (*waits)[0] != 7*time.Second || !strings.Contains(r.stderr, "429") || !strings.Contains(r.stderr, "retrying in 7s") {
		t.Errorf("the rate limit: waits %v, stderr %q", *waits, r.stderr)
	}
	c, err := client.New(srv.GRPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want := []string{"60df598e-94fd-d1d5-3f20-2bbc1e05fa38", "da366f42-2fda-0814-504d-5d99ea43c873", "db367bc0-feec-4c1a-09c8-d7cfa708143c"}
	var got []string
	for event, err := range c.Subscribe(ctx, client.Start{Earliest: true}, client.Filter{}, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if event.GetTenant() != "42" || event.GetType() != "contact.identified" || event.GetClickfunnels().GetContactIdentified() == nil {
			t.Errorf("stored %v", event)
		}
		got = append(got, event.GetId())
		if len(got) == len(want) {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("stored %v, want %v (oldest first)", got, want)
	}

	r = runCLI(t, "", nil, args...)
	if r.code != exitOK || !strings.Contains(r.stdout, "backfill: 0 stored, 3 duplicate, 0 refused") {
		t.Errorf("a second run: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", nil, append(args[:len(args)-2], "--secret", "ws43-secret")...)
	if r.code != exitFailed || !strings.Contains(r.stdout, "0 stored, 0 duplicate, 3 refused") || !strings.Contains(r.stderr, "SIGNATURE_MISMATCH") {
		t.Errorf("signed with another workspace's secret: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", nil, append(args, "--dry-run", "--server", "127.0.0.1:1")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "would ingest 3 events") || !strings.Contains(r.stdout, want[0]) {
		t.Errorf("--dry-run: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

// TestBackfillSaysWhatTheAPIAnswered runs backfill against error answers of the fake API: a
// refused token, an unknown workspace and a refused request end with exit code 2 and what
// ClickFunnels said; an API that keeps failing is retried, each retry announced, then given up
// with exit code 1.
func TestBackfillSaysWhatTheAPIAnswered(t *testing.T) {
	cases := []struct {
		name      string
		token     string
		workspace string
		failAt    map[int]int
		wantCode  int
		wantSays  []string
		wantWaits int
	}{
		{"a refused token", "wrong", "42", nil, exitUsage, []string{"401 Unauthorized", "API key missing or invalid", "--api-token"}, 0},
		{"an unknown workspace", "cf-api-token", "41", nil, exitUsage, []string{"404 Not Found", "Not found: Record missing"}, 0},
		{"a refused request", "cf-api-token", "42", map[int]int{1: 422}, exitUsage, []string{"422 Unprocessable Entity"}, 0},
		{"an API that keeps failing", "cf-api-token", "42", map[int]int{1: 500, 2: 500, 3: 500, 4: 500, 5: 500, 6: 500}, exitFailed,
			[]string{"500 Internal Server Error", "retrying in", "attempt 6 of 6", "gave up after 6 attempts"}, 5},
		{"an API that fails, then answers", "cf-api-token", "42", map[int]int{1: 500, 2: 502}, exitOK, []string{"attempt 3 of 6"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			waits := recordSleeps(t)
			fake, api := newFakeClickFunnels(t, "42")
			fake.failAt = c.failAt
			r := runCLI(t, "", nil, "backfill", "clickfunnels", "--workspace", c.workspace, "--api-url", api.URL+"/api/v2",
				"--api-token", c.token, "--since", "1h", "--dry-run")
			if r.code != c.wantCode {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", r.code, c.wantCode, r.stdout, r.stderr)
			}
			for _, want := range c.wantSays {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
				}
			}
			if len(*waits) != c.wantWaits {
				t.Errorf("waited %d times, want %d", len(*waits), c.wantWaits)
			}
		})
	}
}
