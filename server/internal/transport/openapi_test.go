package transport_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/go-openapi/loads"
	"github.com/go-openapi/spec"
	"github.com/go-openapi/strfmt"
	"github.com/go-openapi/validate"
)

// httpRules are the routes of proto/hooknorm/v1/http.yaml, as "METHOD /path" with every path
// parameter written {}.
func httpRules(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../../proto/hooknorm/v1/http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`(?m)^\s*-?\s*(get|post|put|patch|delete):\s*(\S+)\s*$`)
	var routes []string
	for _, m := range rule.FindAllStringSubmatch(string(data), -1) {
		routes = append(routes, strings.ToUpper(m[1])+" "+anyParam.ReplaceAllString(m[2], "{}"))
	}
	if len(routes) < 4 {
		t.Fatalf("read only %d routes from http.yaml", len(routes))
	}
	return routes
}

var anyParam = regexp.MustCompile(`\{[^}]*\}`)

// TestServedOpenAPIDocumentIsValid fetches /openapi.json from a running server and validates it
// as Swagger 2.0 (go-openapi/validate: the specification's schema and its semantic rules). Every
// route of http.yaml is in it, and every operation describes its errors with the ErrorBody that
// hooknormd really writes.
func TestServedOpenAPIDocumentIsValid(t *testing.T) {
	h := start(t, 1<<20)
	code, body := h.get(t, "/openapi.json")
	if code != http.StatusOK {
		t.Fatalf("/openapi.json: %d", code)
	}
	doc, err := loads.Analyzed(json.RawMessage(body), "")
	if err != nil {
		t.Fatalf("/openapi.json does not load: %v", err)
	}
	if err := validate.Spec(doc, strfmt.Default); err != nil {
		t.Fatalf("/openapi.json is not valid Swagger 2.0: %v", err)
	}
	info := doc.Spec().Info
	if info == nil || info.Title != "hooknorm" || info.Version == "" || info.Description == "" {
		t.Errorf("info = %+v, want a title, version and description", info)
	}

	documented := map[string]bool{}
	operations := map[string]*spec.Operation{}
	for path, item := range doc.Spec().Paths.Paths {
		for method, op := range map[string]*spec.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if op != nil {
				documented[method+" "+anyParam.ReplaceAllString(path, "{}")] = true
				operations[method+" "+path] = op
			}
		}
	}
	for _, route := range httpRules(t) {
		if !documented[route] {
			t.Errorf("%s is in http.yaml but not in /openapi.json (it has %v)", route, documented)
		}
	}

	// Sources are documented by the names the routes use, and the server takes each of them.
	wantSources := []any{"clickfunnels", "webflow"}
	sourceParameters := 0
	for path, op := range operations {
		for _, p := range op.Parameters {
			var enum []any
			switch {
			case p.Name == "source" && p.In == "path":
				enum = p.Enum
			case p.Name == "sources" && p.In == "query" && p.Items != nil:
				enum = p.Items.Enum
			default:
				continue
			}
			sourceParameters++
			if !reflect.DeepEqual(enum, wantSources) {
				t.Errorf("%s: %s lists %v, want %v", path, p.Name, enum, wantSources)
			}
			if !strings.Contains(p.Description, "clickfunnels") {
				t.Errorf("%s: %s is described as %q, without the names", path, p.Name, p.Description)
			}
		}
	}
	if sourceParameters != 5 {
		t.Errorf("%d source parameters, want 5 (normalize, the two webhook routes, subscribe and event-types)", sourceParameters)
	}
	for _, name := range wantSources {
		code, answer := h.post(t, fmt.Sprintf("/v1/webhooks/%s", name), []byte(`{}`), nil)
		if strings.Contains(string(answer), "SOURCE_REQUIRED") || strings.Contains(string(answer), "SOURCE_UNKNOWN") || code == http.StatusNotFound {
			t.Errorf("POST /v1/webhooks/%s: %d %s, want the documented source taken", name, code, answer)
		}
	}

	errorBody, ok := doc.Spec().Definitions["v1ErrorBody"]
	if !ok {
		t.Fatal("no ErrorBody definition")
	}
	written := map[string]bool{}
	for _, key := range []string{"code", "status", "reason", "message", "field", "offset"} {
		written[key] = true
		if _, ok := errorBody.Properties[key]; !ok {
			t.Errorf("ErrorBody does not describe %q, which hooknormd writes", key)
		}
	}
	for key := range errorBody.Properties {
		if !written[key] {
			t.Errorf("ErrorBody describes %q, which hooknormd does not write", key)
		}
	}
	for path, op := range operations {
		responses := op.Responses
		if responses == nil || responses.Default == nil || responses.Default.Schema == nil || responses.Default.Schema.Ref.String() != "#/definitions/v1ErrorBody" {
			t.Errorf("%s: no default error response with ErrorBody", path)
			continue
		}
		errorStatuses := 0
		for status, r := range responses.StatusCodeResponses {
			if status < 400 {
				continue
			}
			errorStatuses++
			if r.Description == "" || r.Schema == nil || r.Schema.Ref.String() != "#/definitions/v1ErrorBody" {
				t.Errorf("%s: response %d is not described as an ErrorBody", path, status)
			}
		}
		if errorStatuses < 3 { // a bad request, no token, out of scope, at least
			t.Errorf("%s: only %d error statuses described", path, errorStatuses)
		}
	}
}
