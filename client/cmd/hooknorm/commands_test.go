package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/servertest"
	"google.golang.org/protobuf/encoding/protojson"
)

const cfOrder = `{"event_id": "ord-1", "event_type": "order.created", "workspace_id": 42, "api_version": 2, "data": {"id": 7, "total_amount": "396.00", "currency": "USD", "contact": {"email_address": "ada@example.com"}}}`

// TestSendSignsAsTheProviderDoes sends deliveries to a server that requires signatures: signed
// with the right secret they are stored; with another, refused with exit code 2.
func TestSendSignsAsTheProviderDoes(t *testing.T) {
	srv, err := servertest.New(servertest.WithSecrets(hooknormv1.Source_SOURCE_CLICKFUNNELS, "cf-secret"),
		servertest.WithSecrets(hooknormv1.Source_SOURCE_WEBFLOW, "wf-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	env := map[string]string{httpEnv: srv.HTTPURL(), "HOOKNORM_WEBFLOW_SECRET": "wf-secret,older"}

	r := runCLI(t, "", env, "send", "--source", "clickfunnels", "--secret", "cf-secret", writeFile(t, cfOrder))
	if r.code != exitOK || !strings.Contains(r.stdout, `"sequence": "1"`) {
		t.Fatalf("signed ClickFunnels delivery: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", env, "send", "--source", "webflow", "--trigger", "form_submission", writeFile(t, v1Form))
	if r.code != exitOK || !strings.Contains(r.stdout, `"sequence": "2"`) {
		t.Fatalf("Webflow v1 delivery signed with the variable's secret: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", env, "send", "--source", "clickfunnels", "--secret", "wrong", writeFile(t, cfOrder))
	if r.code != exitUsage || !strings.Contains(r.stdout, "SIGNATURE_MISMATCH") {
		t.Errorf("wrongly signed delivery: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, v1Form, map[string]string{httpEnv: srv.HTTPURL()}, "send", "--source", "webflow", "--trigger", "form_submission", "-")
	if r.code != exitUsage || !strings.Contains(r.stdout, "SIGNATURE_MISSING") {
		t.Errorf("unsigned delivery: exit %d, %s", r.code, r.stdout)
	}
	// A Webflow order names no site: --tenant gives it one, in the signed webhook URL.
	r = runCLI(t, "", env, "send", "--source", "webflow", "--trigger", "ecomm_new_order", "--tenant", "site a&b", writeFile(t, `{"orderId": "o-1", "status": "pending"}`))
	if r.code != exitOK || !strings.Contains(r.stdout, `"sequence": "3"`) {
		t.Fatalf("Webflow order sent for a tenant: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	c, err := client.New(srv.GRPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for event, err := range c.Subscribe(ctx, client.Start{HasAfter: true, After: 2}, client.Filter{}, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if event.GetTenant() != "site a&b" {
			t.Errorf("the order was stored for tenant %q, want \"site a&b\"", event.GetTenant())
		}
		break
	}
}

// TestTailFollowsAndPrintsTheCursor tails from the earliest event, sees live ones, and stops on
// cancellation (Ctrl-C) printing where to resume.
func TestTailFollowsAndPrintsTheCursor(t *testing.T) {
	srv := startServer(t)
	env := map[string]string{serverEnv: srv.GRPCAddr(), httpEnv: srv.HTTPURL()}
	if r := runCLI(t, "", env, "send", "--source", "clickfunnels", writeFile(t, cfOrder)); r.code != exitOK {
		t.Fatalf("send: %s %s", r.stdout, r.stderr)
	}
	for _, c := range []struct {
		name  string
		args  []string
		check func(line string) error
	}{
		{"text", []string{"tail", "--earliest"}, func(line string) error {
			for _, want := range []string{"#1", "clickfunnels", "order.created", "tenant=42", "total=396.00 USD", "email=ada@example.com"} {
				if !strings.Contains(line, want) {
					return fmt.Errorf("line %q lacks %q", line, want)
				}
			}
			if strings.Contains(line, "\x1b[") {
				return fmt.Errorf("colour when not on a terminal: %q", line)
			}
			return nil
		}},
		{"json", []string{"tail", "--after", "0", "--json", "--source", "clickfunnels", "--type-prefix", "order."}, func(line string) error {
			e := &hooknormv1.Event{}
			if err := protojson.Unmarshal([]byte(line), e); err != nil {
				return err
			}
			if e.GetSequence() != 1 || e.GetClickfunnels().GetOrderCreated().GetTotalAmount() != "396.00" {
				return fmt.Errorf("event %v", e)
			}
			return nil
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			out, outWriter := io.Pipe()
			var stderr strings.Builder
			exit := make(chan int, 1)
			go func() {
				exit <- runContext(ctx, c.args, strings.NewReader(""), outWriter, &stderr, func(k string) string { return env[k] })
				outWriter.Close()
			}()
			lines := bufio.NewScanner(out)
			if !lines.Scan() {
				t.Fatalf("no line; stderr %s", stderr.String())
			}
			if err := c.check(lines.Text()); err != nil {
				t.Error(err)
			}
			cancel()
			go io.Copy(io.Discard, out)
			select {
			case code := <-exit:
				if code != exitInterrupted {
					t.Errorf("exit %d after Ctrl-C, want %d", code, exitInterrupted)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("tail did not stop")
			}
			if !strings.Contains(stderr.String(), "resume with: hooknorm tail --after 1") {
				t.Errorf("no cursor on stop: %q", stderr.String())
			}
		})
	}
}

func TestTypesListsEveryCase(t *testing.T) {
	r := runCLI(t, "", nil, "types")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 1+84+17 {
		t.Errorf("%d lines, want a header, 84 ClickFunnels and 17 Webflow types", len(lines))
	}
	for _, want := range []string{
		"orders/invoice.paid", "clickfunnels.orders_invoice_paid", "hooknorm.clickfunnels.v1.Invoice",
		"memberships_user_account_added (user_account_added)", "webflow.collection_item_published",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("types does not list %q", want)
		}
	}
	var decoded any
	if json.Unmarshal([]byte(r.stdout), &decoded) == nil {
		t.Error("types printed JSON, expected a table")
	}
}
