package refdocs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
)

// answerNote is the "(INVALID_ARGUMENT, HTTP 400)" that ends a reason's comment in the proto.
var answerNote = regexp.MustCompile(`\s*\(([A-Z_]+), HTTP (\d+)\)\.$`)

// reason is one ErrorReason as the reference documents it.
type reason struct {
	name       string // as sent, without the ERROR_REASON_ prefix
	grpcCode   string // as gRPC names it, for example INVALID_ARGUMENT
	httpStatus int
	meaning    string // the proto comment, without its name and its answer note
	// noted is the answer the proto comment states, "CODE HTTP-STATUS", or empty.
	noted string
}

// reasons lists every ErrorReason hooknormd sends, in enum order, with the gRPC code and the HTTP
// status it is answered with and its meaning from the proto comment.
func reasons(src *protoSource) ([]reason, error) {
	values := hooknormv1.ErrorReason(0).Descriptor().Values()
	var out []reason
	for i := range values.Len() {
		v := values.Get(i)
		grpcCode, status, ok := transport.ReasonAnswer(hooknormv1.ErrorReason(v.Number()))
		if !ok {
			if v.Number() == 0 {
				continue // ERROR_REASON_UNSPECIFIED is never sent
			}
			return nil, fmt.Errorf("%s has no gRPC code and HTTP status in transport's table of answers", v.Name())
		}
		comment, err := src.comment(v.FullName())
		if err != nil {
			return nil, err
		}
		r := reason{
			name:       strings.TrimPrefix(string(v.Name()), "ERROR_REASON_"),
			grpcCode:   rpccode.Code(grpcCode).String(),
			httpStatus: status,
		}
		if m := answerNote.FindStringSubmatch(comment); m != nil {
			r.noted = m[1] + " " + m[2]
			comment = strings.TrimSuffix(comment, m[0]) + "."
		}
		r.meaning = capitalize(strings.TrimPrefix(comment, string(v.Name())+" means "))
		out = append(out, r)
	}
	return out, nil
}

// renderReasons is the table of error reasons.
func renderReasons(src *protoSource) (string, error) {
	all, err := reasons(src)
	if err != nil {
		return "", err
	}
	t := newTable("Reason", "gRPC code", "HTTP", "Meaning")
	for _, r := range all {
		t.row(code(r.name), code(r.grpcCode), strconv.Itoa(r.httpStatus), r.meaning)
	}
	return t.String(), nil
}
