package transport_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc/status"
)

// libraryWords are fragments of the error texts of the libraries hooknorm is built on (strconv,
// time, net/url, grpc-gateway's query parser, gRPC, Protobuf, NATS): none may reach a caller.
var libraryWords = []string{
	"strconv.", "invalid syntax", "value out of range", "parsing time", "parsing field", "parsing list", "cannot parse",
	"2006-01-02", "field already set for oneof", "too many values for field", "is not a valid value", "duplicate field",
	"more than one value provided", "invalid URL escape", "invalid semicolon separator", "grpc:", "proto:", "nats:",
	"rpc error", "i/o timeout", "unexpected EOF",
}

// checkOwnWords fails the test when message holds a library's error text.
func checkOwnWords(t *testing.T, message string) {
	t.Helper()
	for _, words := range libraryWords {
		if strings.Contains(message, words) {
			t.Errorf("message %q holds the library text %q", message, words)
		}
	}
}

// checkSays fails the test unless message says each of wants.
func checkSays(t *testing.T, message string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(message, want) {
			t.Errorf("message %q does not say %q", message, want)
		}
	}
}

// refusalOf reads the error of an HTTP answer: its body, or the one line of a refused stream,
// {"error": ErrorBody}.
func refusalOf(t *testing.T, resp *http.Response) httpError {
	t.Helper()
	line, _ := bufio.NewReader(resp.Body).ReadBytes('\n')
	var body struct {
		httpError
		Error *httpError `json:"error"`
	}
	if err := json.Unmarshal(line, &body); err != nil {
		t.Fatalf("the answer %q is not an error body: %v", line, err)
	}
	if body.Error != nil {
		return *body.Error
	}
	return body.httpError
}

// subscribeRefusal opens a subscription over gRPC with ctx and returns how it was refused (nil
// if its first message arrived).
func (h *harness) subscribeRefusal(ctx context.Context, t *testing.T, req *hooknormv1.SubscribeRequest) *status.Status {
	t.Helper()
	stream, err := h.client.Subscribe(ctx, req)
	if err == nil {
		_, err = stream.Recv()
	}
	if err == nil {
		return nil
	}
	return status.Convert(err)
}
