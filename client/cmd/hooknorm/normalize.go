package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func newNormalizeCommand(stdin io.Reader, conn *connection) *cobra.Command {
	var source, trigger, tenant, output string
	var raw bool
	cmd := &cobra.Command{
		Use:   "normalize --source clickfunnels|webflow [--trigger TYPE] FILE|-",
		Short: "Convert one webhook body into a typed event (nothing is stored)",
		Long: `normalize sends one webhook body to hooknormd and prints the typed event it becomes.
The body is read from FILE, or from standard input when FILE is "-".`,
		Example: `  hooknorm normalize --source clickfunnels examples/deliveries/clickfunnels/order_completed.json
  hooknorm normalize --source webflow --output text examples/deliveries/webflow/form_submission.json
  cat examples/deliveries/webflow/form_submission.json | hooknorm normalize --source webflow -
  hooknorm normalize --source webflow --trigger form_submission v1-form-body.json`,
		Args: oneInput,
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := sourceFlag(source)
			if err != nil {
				return err
			}
			if output != "json" && output != "text" {
				return usagef("--output must be json or text, got %q", output)
			}
			body, err := readInput(args[0], stdin)
			if err != nil {
				return err
			}
			c, err := conn.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			event, err := c.Normalize(cmd.Context(), client.Delivery{Source: src, Payload: body, TriggerType: trigger, Tenant: tenant, IncludeRaw: raw})
			if err != nil {
				return conn.explain(err)
			}
			if output == "text" {
				return writeText(cmd.OutOrStdout(), event)
			}
			return writeJSON(cmd.OutOrStdout(), event)
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "provider that sent the body: clickfunnels or webflow (required)")
	cmd.Flags().StringVar(&trigger, "trigger", "", "Webflow trigger type, for an API v1 body (which does not name it)")
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant the body is for, when it names none (a Webflow order's site id)")
	cmd.Flags().StringVarP(&output, "output", "o", "json", "output format: json (the whole event) or text (a summary)")
	cmd.Flags().BoolVar(&raw, "raw", false, "include the raw body in the event (raw_payload)")
	return cmd
}

// readInput reads the body from the file name, or from stdin when name is "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		body, err := io.ReadAll(stdin)
		if err != nil {
			return nil, usagef("standard input could not be read")
		}
		return body, nil
	}
	body, err := os.ReadFile(name)
	if err != nil {
		return nil, usagef("the body file %s cannot be read: %s", name, fileProblem(err))
	}
	return body, nil
}

// writeText prints a summary of the event, one "name value" line each.
func writeText(w io.Writer, event *hooknormv1.Event) error {
	lines := [][2]string{
		{"id", event.GetId()},
		{"source", strings.ToLower(strings.TrimPrefix(event.GetSource().String(), "SOURCE_"))},
		{"type", event.GetType()},
		{"case", payloadCase(event)},
		{"tenant", event.GetTenant()},
	}
	if event.GetOccurredAt() != nil {
		lines = append(lines, [2]string{"occurred", event.GetOccurredAt().AsTime().UTC().Format(time.RFC3339Nano)})
	}
	for _, line := range lines {
		if line[1] == "" {
			continue
		}
		if _, err := fmt.Fprintf(w, "%-9s %s\n", line[0], line[1]); err != nil {
			return err
		}
	}
	return nil
}

// payloadCase names the provider oneof case of the event, for example "clickfunnels.contact_created".
func payloadCase(event *hooknormv1.Event) string {
	msg := event.ProtoReflect()
	provider := msg.WhichOneof(msg.Descriptor().Oneofs().ByName("payload"))
	if provider == nil {
		return ""
	}
	inner := msg.Get(provider).Message()
	var kase protoreflect.FieldDescriptor
	if oneof := inner.Descriptor().Oneofs().ByName("event"); oneof != nil {
		kase = inner.WhichOneof(oneof)
	}
	if kase == nil {
		return string(provider.Name())
	}
	return string(provider.Name()) + "." + string(kase.Name())
}
