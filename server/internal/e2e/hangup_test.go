package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestSubscribersThatHangUpAreNotLoggedAsFailures opens many Subscribe streams, half from the
// earliest event (reading the log) and half at the head, lets each have its first message, then
// hangs them all up at once, cancelling some and closing the connection under others. A subscriber leaving is not the log failing: no stream may end logged as
// UNAVAILABLE (which an operator's alert on refusals would count), each is logged as cancelled.
func TestSubscribersThatHangUpAreNotLoggedAsFailures(t *testing.T) {
	grpcAddr, httpAddr := freePort(t), freePort(t)
	proc := startProcess(t, "--data-dir", t.TempDir(), "--grpc-addr", grpcAddr, "--http-addr", httpAddr)
	t.Cleanup(proc.kill)
	proc.showLogsIfFailed(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 300 {
		if _, err := deliver(ctx, client, "http://"+httpAddr, fmt.Sprintf("stored-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	const streams = 200
	var conns []*grpc.ClientConn
	var cancels []context.CancelFunc
	for i := range streams {
		if i%50 == 0 {
			conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, conn)
		}
		ctx, cancel := context.WithCancel(ctx)
		cancels = append(cancels, cancel)
		req := &hooknormv1.SubscribeRequest{}
		if i%2 == 1 {
			req.Start = &hooknormv1.SubscribeRequest_Earliest{Earliest: true}
		}
		stream, err := hooknormv1.NewWebhookServiceClient(conns[len(conns)-1]).Subscribe(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
	}
	for i, cancel := range cancels {
		if i%2 == 0 {
			cancel()
		}
	}
	for _, conn := range conns {
		conn.Close()
	}
	for _, cancel := range cancels {
		cancel()
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		ended, failed := 0, []string{}
		for _, line := range strings.Split(proc.logs.String(), "\n") {
			var entry struct {
				Msg    string `json:"msg"`
				Method string `json:"grpc_method"`
				Code   string `json:"code"`
			}
			if json.Unmarshal([]byte(line), &entry) != nil || entry.Msg != "request" || entry.Method != "/hooknorm.v1.WebhookService/Subscribe" {
				continue
			}
			ended++
			if entry.Code != "CANCELLED" {
				failed = append(failed, line)
			}
		}
		if len(failed) > 0 {
			t.Fatalf("%d of %d streams that hung up were logged as other than cancelled, first: %s", len(failed), ended, failed[0])
		}
		if ended == streams {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d streams that hung up were logged as ended", ended, streams)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
