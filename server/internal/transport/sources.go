package transport

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// routeSources are the sources a path or query string can name: each Source but
// SOURCE_UNSPECIFIED.
func routeSources() []hooknormv1.Source {
	var sources []hooknormv1.Source
	for number := range len(hooknormv1.Source_name) {
		if source := hooknormv1.Source(number); source != hooknormv1.Source_SOURCE_UNSPECIFIED {
			sources = append(sources, source)
		}
	}
	return sources
}

// routeName is the name of source in the routes: lower case, without the enum's prefix
// ("clickfunnels").
func routeName(source hooknormv1.Source) string {
	return strings.ToLower(strings.TrimPrefix(source.String(), "SOURCE_"))
}

// routeNames lists the names of the route sources joined by conjunction: "clickfunnels or
// webflow".
func routeNames(conjunction string) string {
	var names []string
	for _, source := range routeSources() {
		names = append(names, routeName(source))
	}
	return joinWords(names, conjunction)
}

// sourcesByName maps the provider names used in paths and query strings, the short ones
// ("clickfunnels") and the enum's in lower case ("source_clickfunnels"), to Source enum names.
var sourcesByName = func() map[string]string {
	byName := map[string]string{}
	for _, source := range routeSources() {
		byName[routeName(source)] = source.String()
		byName[strings.ToLower(source.String())] = source.String()
	}
	return byName
}()

// sourcePathRoots are the path prefixes whose next segment names a source.
var sourcePathRoots = map[string]bool{"normalize": true, "webhooks": true}

// sourcesLeftOut are the routes whose sources query parameter names sources, each with what
// leaving it out does.
var sourcesLeftOut = map[string]string{
	subscribeRoute:  "to receive events of every source",
	eventTypesRoute: "to list the event types of every source",
}

// requestedPathKey keys the path as the client sent it, before sourceNames rewrote it.
type requestedPathKey struct{}

// requestedPath is the path as the client sent it.
func requestedPath(r *http.Request) string {
	if path, ok := r.Context().Value(requestedPathKey{}).(string); ok {
		return path
	}
	return r.URL.Path
}

// sourceNames lets paths and query strings name a source as "clickfunnels" or "webflow", as the
// contract's routes do, by rewriting them to the enum names the gateway parses. A path naming no
// source or an unknown one, and a sources query parameter naming an unknown one, are refused
// with a message listing the known ones.
func (h httpRefusals) sourceNames(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		segments := strings.Split(r.URL.EscapedPath(), "/")
		if len(segments) >= 4 && segments[1] == "v1" && sourcePathRoots[segments[2]] {
			name, err := url.PathUnescape(segments[3])
			if err != nil {
				name = segments[3]
			}
			canonical, known := sourcesByName[strings.ToLower(name)]
			if !known {
				h.refuse(w, r, pathSourceRefusal(segments[2], name))
				return
			}
			segments[3] = canonical
			escaped := strings.Join(segments, "/")
			path, _ := url.PathUnescape(escaped)
			r = r.WithContext(context.WithValue(r.Context(), requestedPathKey{}, r.URL.Path))
			r.URL.Path, r.URL.RawPath = path, escaped
		}
		if without, filtered := sourcesLeftOut[r.URL.Path]; filtered {
			query := r.URL.Query()
			if values := query["sources"]; len(values) > 0 {
				for i, v := range values {
					name := v
					if n, err := strconv.ParseInt(v, 10, 32); err == nil {
						name = hooknormv1.Source(n).String() // an enum number, as the gateway reads it
					}
					canonical, known := sourcesByName[strings.ToLower(name)]
					if !known {
						h.refuse(w, r, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
							"query parameter \"sources\" names %q, which is no source hooknorm knows: give %s, or leave sources out %s",
							v, routeNames("or"), without).AtField("sources"))
						return
					}
					values[i] = canonical
				}
				r.URL.RawQuery = query.Encode()
			}
		}
		next.ServeHTTP(w, r)
	})
}

// pathSourceRefusal is the refusal of a path under /v1/{root}/ that names no source or one
// hooknorm does not know.
func pathSourceRefusal(root, name string) *rejection.Error {
	example := "POST /v1/" + root + "/" + routeName(routeSources()[0])
	if name == "" || strings.EqualFold(name, hooknormv1.Source_SOURCE_UNSPECIFIED.String()) {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_SOURCE_REQUIRED,
			"the path names no source: put %s after /v1/%s/, as in %s", routeNames("or"), root, example).AtField("source")
	}
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_SOURCE_UNKNOWN,
		"hooknorm does not know the source %q in the path: it takes %s, as in %s", name, routeNames("and"), example).AtField("source")
}
