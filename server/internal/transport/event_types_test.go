package transport_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// eventTypesAnswer is the JSON of an answer of GET /v1/event-types, or of its refusal.
type eventTypesAnswer struct {
	EventTypes []struct {
		Source    string `json:"source"`
		Type      string `json:"type"`
		OneofCase string `json:"oneofCase"`
		JSONPath  string `json:"jsonPath"`
		Message   string `json:"message"`
	} `json:"eventTypes"`
	Reason string `json:"reason"`
}

func TestListEventTypesOverHTTP(t *testing.T) {
	open, guarded := start(t, 1<<20), secured(t)
	cases := []struct {
		name        string
		h           *harness
		path, token string
		wantStatus  int
		wantReason  string
		wantSources []string // the sources the listed types are of
	}{
		{"an open hooknormd lists both providers", open, "/v1/event-types", "", http.StatusOK, "", []string{"SOURCE_CLICKFUNNELS", "SOURCE_WEBFLOW"}},
		{"one source asked for", open, "/v1/event-types?sources=webflow", "", http.StatusOK, "", []string{"SOURCE_WEBFLOW"}},
		{"an unknown source", open, "/v1/event-types?sources=stripe", "", http.StatusBadRequest, "INVALID_REQUEST", nil},
		{"no token where tokens are required", guarded, "/v1/event-types", "", http.StatusUnauthorized, "TOKEN_MISSING", nil},
		{"an unknown token", guarded, "/v1/event-types", "guess", http.StatusUnauthorized, "TOKEN_INVALID", nil},
		{"a token for every call", guarded, "/v1/event-types", "ops-token", http.StatusOK, "", []string{"SOURCE_CLICKFUNNELS", "SOURCE_WEBFLOW"}},
		{"a token that may only subscribe, to clickfunnels, sees its types", guarded, "/v1/event-types", "ws42-token", http.StatusOK, "", []string{"SOURCE_CLICKFUNNELS"}},
		{"a scoped token asking for another source", guarded, "/v1/event-types?sources=webflow", "ws42-token", http.StatusForbidden, "OUT_OF_SCOPE", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			headers := map[string]string{}
			if c.token != "" {
				headers["Authorization"] = "Bearer " + c.token
			}
			resp := c.h.open(context.Background(), t, c.path, headers)
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.wantStatus, body)
			}
			var answer eventTypesAnswer
			if err := json.Unmarshal(body, &answer); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if answer.Reason != c.wantReason {
				t.Errorf("reason %q, want %q: %s", answer.Reason, c.wantReason, body)
			}
			seen := map[string]bool{}
			for _, et := range answer.EventTypes {
				seen[et.Source] = true
				if et.Type == "" || et.OneofCase == "" || et.JSONPath == "" || et.Message == "" {
					t.Errorf("an entry lacks a field: %+v", et)
				}
			}
			if len(seen) != len(c.wantSources) {
				t.Errorf("types of %v listed, want of %v", seen, c.wantSources)
			}
			for _, source := range c.wantSources {
				if !seen[source] {
					t.Errorf("no type of %s listed", source)
				}
			}
		})
	}
}
