package transport

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/hooknorm/hooknorm"
)

// servedOpenAPI is the document /openapi.json serves: the generated one, with sources named as
// the routes name them (see withRouteSourceNames), or as generated should that fail (a test
// makes sure it does not). It is built once; Start builds it, so no request waits for it.
var servedOpenAPI = sync.OnceValue(func() []byte {
	doc, err := withRouteSourceNames(hooknorm.OpenAPI)
	if err != nil {
		return hooknorm.OpenAPI
	}
	return doc
})

// routeSourceNames are the names of the route sources, as the OpenAPI document lists them.
func routeSourceNames() []any {
	var names []any
	for _, source := range routeSources() {
		names = append(names, routeName(source))
	}
	return names
}

// withRouteSourceNames returns the generated OpenAPI document doc with the source path
// parameter and the sources query parameter listing the names the routes use (clickfunnels,
// webflow) instead of the Source enum's (SOURCE_UNSPECIFIED, SOURCE_CLICKFUNNELS, ...), which is
// all protoc-gen-openapiv2 can list for an enum in a path. sourceNames accepts both, but the
// routes of the contract, and the providers' webhook settings, use the short names.
func withRouteSourceNames(doc []byte) ([]byte, error) {
	var whole map[string]any
	if err := json.Unmarshal(doc, &whole); err != nil {
		return nil, fmt.Errorf("reading the generated OpenAPI document: %w", err)
	}
	names := routeSourceNames()
	paths, _ := whole["paths"].(map[string]any)
	for _, item := range paths {
		operations, _ := item.(map[string]any)
		for _, op := range operations {
			operation, _ := op.(map[string]any)
			parameters, _ := operation["parameters"].([]any)
			for _, p := range parameters {
				parameter, _ := p.(map[string]any)
				switch {
				case parameter["name"] == "source" && parameter["in"] == "path":
					parameter["enum"] = names
					parameter["description"] = fmt.Sprintf("source is the provider that sent the delivery: %s.", joinNames(names))
				case parameter["name"] == "sources" && parameter["in"] == "query":
					if items, ok := parameter["items"].(map[string]any); ok {
						items["enum"] = names
					}
					parameter["description"] = fmt.Sprintf("sources keeps only events from these providers (%s); repeat it for several, or leave it out for all.", joinNames(names))
				}
			}
		}
	}
	return json.MarshalIndent(whole, "", "  ")
}

// joinNames writes names as "a, b or c".
func joinNames(names []any) string {
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprint(name)
	}
	return joinWords(parts, "or")
}
