package transport

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/hooknorm/hooknorm"
)

// apiRoute is one route of the HTTP API, as the generated OpenAPI document lists it.
type apiRoute struct {
	method   string // upper case, such as "POST"
	template string // such as "/v1/normalize/{source}"
}

// matches reports whether path fits the route's template, each {parameter} standing for one
// segment.
func (r apiRoute) matches(path string) bool {
	want, got := strings.Split(r.template, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return false
	}
	for i, segment := range want {
		if strings.HasPrefix(segment, "{") && strings.HasSuffix(segment, "}") {
			if got[i] == "" {
				return false
			}
			continue
		}
		if segment != got[i] {
			return false
		}
	}
	return true
}

// apiRoutes are the routes of the HTTP API, read once from the generated OpenAPI document, so
// refusals of unrouted requests name the routes that are served.
var apiRoutes = sync.OnceValue(func() []apiRoute {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(hooknorm.OpenAPI, &doc); err != nil {
		return nil // a test reads the document; the refusals then name no routes
	}
	var routes []apiRoute
	for template, operations := range doc.Paths {
		for method := range operations {
			routes = append(routes, apiRoute{method: strings.ToUpper(method), template: template})
		}
	}
	slices.SortFunc(routes, func(a, b apiRoute) int { return strings.Compare(a.template+" "+a.method, b.template+" "+b.method) })
	return routes
})

// routeList names every route, as "GET /v1/events:subscribe, POST /v1/normalize/{source} and
// ...".
func routeList() string {
	var names []string
	for _, route := range apiRoutes() {
		names = append(names, route.method+" "+route.template)
	}
	return joinWords(names, "and")
}

// methodsFor lists the methods the routes whose template fits path take, as "POST".
func methodsFor(path string) string {
	var methods []string
	for _, route := range apiRoutes() {
		if route.matches(path) && !slices.Contains(methods, route.method) {
			methods = append(methods, route.method)
		}
	}
	return joinWords(methods, "or")
}
