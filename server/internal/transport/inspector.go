package transport

import (
	"net/http"

	"github.com/hooknorm/hooknorm/server/internal/inspector"
)

// withInspector serves the inspector's page at /ui/, and redirects a GET of / there, in front of
// next. Its assets need no token; the page calls the API with the user's. Another method on /
// goes on to next, which says which routes there are: a webhook sent to the root by mistake is
// told where to go.
func withInspector(next http.Handler) http.Handler {
	page := inspector.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		root := r.URL.Path == "/"
		if inspector.Serves(r.URL.Path) && (!root || r.Method == http.MethodGet || r.Method == http.MethodHead) {
			page.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
