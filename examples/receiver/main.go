// Command receiver is the smallest webhook endpoint there is: it prints one line for every request
// it receives and answers 204 No Content. It stands in for your own service while you try
// `hooknorm forward` and `hooknorm replay`:
//
//	go run ./examples/receiver                 # listens on 127.0.0.1:3000
//	go run ./client/cmd/hooknorm replay --earliest --to http://127.0.0.1:3000/hooks
//
// Each line names what hooknorm sends: the CloudEvents type, id and sequence (binary mode), or the
// event id and sequence headers of --format event-json, and the size of the body. With -body it
// prints the body too.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "address to listen on, host:port")
	printBody := flag.Bool("body", false, "print each request's body after its line")
	flag.Parse()
	log.SetFlags(0)
	log.Printf("receiver: listening on http://%s/ (Ctrl-C stops it)", *addr)
	if err := http.ListenAndServe(*addr, handler(os.Stdout, *printBody)); err != nil {
		log.Fatalf("receiver: %v", err)
	}
}

// handler answers every request 204 after writing one line about it to out.
func handler(out io.Writer, printBody bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "could not read the body", http.StatusBadRequest)
			return
		}
		fmt.Fprintln(out, describe(r, len(body)))
		if printBody {
			fmt.Fprintln(out, strings.TrimSpace(string(body)))
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// describe is the line printed for one request.
func describe(r *http.Request, size int) string {
	fields := []string{r.Method, r.URL.Path}
	for _, header := range []string{"Ce-Type", "Ce-Id", "Ce-Hooknormsequence", "Hooknorm-Event-Id", "Hooknorm-Sequence", "Content-Type"} {
		if value := r.Header.Get(header); value != "" {
			fields = append(fields, strings.ToLower(header)+"="+value)
		}
	}
	return strings.Join(append(fields, fmt.Sprintf("bytes=%d", size)), "  ")
}
