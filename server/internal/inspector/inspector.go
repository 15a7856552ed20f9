// Package inspector is hooknormd's web page: a live list of the events as they are stored, each
// typed beside its raw body, with filters, counts and the event types the schema defines. It is
// static HTML, CSS and JavaScript embedded in the binary, written by hand (nothing to build),
// and reads everything through the HTTP API, with the caller's token: the page itself holds no
// data and needs none.
package inspector

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// Path is where the page is served; its assets sit under it.
const Path = "/ui/"

//go:embed assets
var embedded embed.FS

// Assets are the page's files, by name (index.html, inspector.css, main.js, ...).
var Assets = func() fs.FS {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic("the inspector's assets are not embedded: " + err.Error())
	}
	return sub
}()

// Handler serves the page's assets under Path, and redirects "/" and Path without its slash to
// Path. It answers GET and HEAD, with the headers of securityHeaders; it needs no token.
func Handler() http.Handler {
	files := http.StripPrefix(strings.TrimSuffix(Path, "/"), http.FileServerFS(Assets))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the inspector's pages take GET or HEAD", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/" || r.URL.Path == strings.TrimSuffix(Path, "/") {
			target := Path
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery // a shared filtered view keeps its filters
			}
			http.Redirect(w, r, target, http.StatusFound)
			return
		}
		setSecurityHeaders(w.Header())
		files.ServeHTTP(w, r)
	})
}

// Serves reports whether path is the inspector's: "/", Path without its slash, or under Path.
func Serves(path string) bool {
	return path == "/" || path == strings.TrimSuffix(Path, "/") || strings.HasPrefix(path, Path)
}
