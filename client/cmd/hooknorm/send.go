package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/spf13/cobra"
)

func newSendCommand(stdin io.Reader, getenv func(string) string) *cobra.Command {
	var source, trigger, tenant, secret, httpURL string
	defaultHTTP := "http://127.0.0.1:8080"
	if v := getenv(httpEnv); v != "" {
		defaultHTTP = v
	}
	cmd := &cobra.Command{
		Use:   "send --source clickfunnels|webflow [--trigger TYPE] [--secret S] FILE|-",
		Short: "POST a delivery to hooknormd's webhook route, signed as the provider signs it",
		Long: `send posts one webhook body to hooknormd's provider route, signed exactly as the provider
signs it, with the timestamp of now: the local way to test an integration end to end. The secret
defaults to HOOKNORM_CLICKFUNNELS_SECRET or HOOKNORM_WEBFLOW_SECRET (the first one listed), the
same variables hooknormd reads; without one the delivery goes unsigned.`,
		Example: `  hooknorm send --source clickfunnels examples/deliveries/clickfunnels/order_completed.json
  hooknorm send --source webflow --secret "$WEBFLOW_SECRET" examples/deliveries/webflow/form_submission.json
  hooknorm send --source webflow --http https://hooks.example.com examples/deliveries/webflow/form_submission.json`,
		Args: oneInput,
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := sourceFlag(source)
			if err != nil {
				return err
			}
			if err := httpURLFlag("http", httpURL); err != nil {
				return err
			}
			body, err := readInput(args[0], stdin)
			if err != nil {
				return err
			}
			if secret == "" {
				secret, _, _ = strings.Cut(getenv(secretEnv(src)), ",")
			}
			target, headers := webhookRequest(strings.TrimRight(httpURL, "/"), src, trigger, tenant, strings.TrimSpace(secret), body, time.Now())
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, target, bytes.NewReader(body))
			if err != nil {
				return usagef("--http %q and --trigger %q do not make a URL", httpURL, trigger)
			}
			req.Header.Set("Content-Type", "application/json")
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				if cmd.Context().Err() != nil {
					return interruptedError{"interrupted before hooknormd answered; the delivery may or may not be stored (sending it again is safe: a repeat is stored once)"}
				}
				return unreachableError{fmt.Sprintf("cannot reach hooknormd's HTTP listener at %s: %s. Is hooknormd running? "+
					"Give its HTTP base URL with --http or %s (default http://127.0.0.1:8080)", httpURL, netCause(err), httpEnv)}
			}
			defer resp.Body.Close()
			answer, _ := io.ReadAll(resp.Body)
			var pretty bytes.Buffer
			if json.Indent(&pretty, answer, "", "  ") != nil {
				pretty.Reset()
				pretty.Write(answer)
			}
			fmt.Fprintln(cmd.OutOrStdout(), strings.TrimSpace(pretty.String()))
			return sendRefusal(resp.StatusCode, resp.Status, answer)
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "provider the body comes from: clickfunnels or webflow (required)")
	cmd.Flags().StringVar(&trigger, "trigger", "", "Webflow trigger type, for an API v1 body (posted to /v1/webhooks/webflow/TYPE)")
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant the delivery is for, when its body names none (a Webflow order's site id; posted as ?tenant=)")
	cmd.Flags().StringVar(&secret, "secret", "", "secret to sign with (default: "+secretEnv(hooknormv1.Source_SOURCE_CLICKFUNNELS)+" or "+secretEnv(hooknormv1.Source_SOURCE_WEBFLOW)+")")
	cmd.Flags().StringVar(&httpURL, "http", defaultHTTP, "hooknormd's HTTP base URL (also "+httpEnv+")")
	return cmd
}

// sendRefusal is the error for hooknormd's answer to a delivery, nil when it stored it: a refused
// delivery (4xx) is the input's fault, with the reason and what to change; anything else is
// hooknormd failing.
func sendRefusal(code int, status string, answer []byte) error {
	if code == http.StatusOK {
		return nil
	}
	var refusal struct {
		Message string `json:"message"`
		Reason  string `json:"reason"`
		Field   string `json:"field"`
	}
	said := ""
	if json.Unmarshal(answer, &refusal) == nil && refusal.Message != "" {
		said = ": " + refusal.Message
		if refusal.Reason != "" {
			said += " (" + refusal.Reason + ")"
		}
	}
	if refusal.Reason == "EVENT_TYPE_MISSING" && strings.Contains(refusal.Field, "triggerType") {
		said = ": the Webflow body names no trigger type (EVENT_TYPE_MISSING)"
	}
	if code >= 400 && code < 500 {
		return usagef("hooknormd refused the delivery with %s%s%s", status, said, sendHint(refusal.Reason))
	}
	return fmt.Errorf("hooknormd could not store the delivery: %s%s", status, said)
}

// sendHint is which flag of send to change for a refusal reason, or "".
func sendHint(reason string) string {
	switch reason {
	case "SIGNATURE_MISSING", "SIGNATURE_MISMATCH", "SIGNATURE_EXPIRED", "SIGNATURE_MALFORMED":
		return ": give the provider's secret that hooknormd has with --secret, or in HOOKNORM_CLICKFUNNELS_SECRET or HOOKNORM_WEBFLOW_SECRET"
	case "EVENT_TYPE_MISSING":
		return ": an API v2 body has $.triggerType; for an API v1 body (the bare payload) give it with --trigger, e.g. --trigger form_submission"
	case "EVENT_TYPE_CONFLICT":
		return ": drop --trigger, or give the trigger the body names"
	}
	return ""
}

// secretEnv is the variable holding a provider's secrets, for hooknormd and for send.
func secretEnv(source hooknormv1.Source) string {
	if source == hooknormv1.Source_SOURCE_WEBFLOW {
		return "HOOKNORM_WEBFLOW_SECRET"
	}
	return "HOOKNORM_CLICKFUNNELS_SECRET"
}

// webhookRequest is the URL and headers of a delivery as the provider sends it, to the webhook
// URL for tenant when one is given: ClickFunnels signs "<seconds>.<body>", Webflow
// "<milliseconds>:<body>", both HMAC-SHA256 in lower-case hex.
func webhookRequest(base string, source hooknormv1.Source, trigger, tenant, secret string, body []byte, now time.Time) (string, map[string]string) {
	headers := map[string]string{}
	sign := func(message string) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(message))
		mac.Write(body)
		return hex.EncodeToString(mac.Sum(nil))
	}
	query := url.Values{}
	if tenant != "" {
		query.Set("tenant", tenant)
	}
	withQuery := func(target string) string {
		if len(query) == 0 {
			return target
		}
		return target + "?" + query.Encode()
	}
	if source == hooknormv1.Source_SOURCE_WEBFLOW {
		target := base + "/v1/webhooks/webflow"
		if trigger != "" {
			target += "/" + url.PathEscape(trigger)
		}
		if secret != "" {
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			headers["X-Webflow-Timestamp"], headers["X-Webflow-Signature"] = ts, sign(ts+":")
		}
		return withQuery(target), headers
	}
	if trigger != "" {
		query.Set("trigger_type", trigger)
	}
	if secret != "" {
		ts := strconv.FormatInt(now.Unix(), 10)
		headers["X-Webhook-ClickFunnels-Timestamp"], headers["X-Webhook-ClickFunnels-Signature"] = ts, sign(ts+".")
	}
	return withQuery(base + "/v1/webhooks/clickfunnels"), headers
}

// sourceFlag reads --source, which every delivery command requires.
func sourceFlag(source string) (hooknormv1.Source, error) {
	if source == "" {
		return 0, usagef("--source is required: clickfunnels or webflow")
	}
	src, err := client.ParseSource(source)
	if err != nil {
		return 0, usageError{err}
	}
	return src, nil
}

// oneInput requires exactly one FILE argument ("-" for standard input).
func oneInput(_ *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("one FILE (or - for standard input) is required, got %d arguments", len(args))
	}
	return nil
}
