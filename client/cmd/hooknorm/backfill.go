package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// clickFunnelsAPIOptions are the flags that say how to reach a workspace's ClickFunnels API.
type clickFunnelsAPIOptions struct {
	apiAccess
	workspace, subdomain string
}

// clickFunnelsTokenEnv holds the ClickFunnels API token when --api-token is not given.
const clickFunnelsTokenEnv = "HOOKNORM_CLICKFUNNELS_API_TOKEN"

// add adds --workspace, --subdomain, --api-token and --api-url, for ClickFunnels alone.
func (o *clickFunnelsAPIOptions) add(cmd *cobra.Command, getenv func(string) string) {
	o.addWorkspace(cmd, "required")
	o.apiAccess.add(cmd, getenv, "ClickFunnels API token (also "+clickFunnelsTokenEnv+")",
		"the ClickFunnels API's base URL, instead of --subdomain")
}

// addWorkspace adds --workspace and --subdomain, which name the workspace and its API; required
// says when --workspace is.
func (o *clickFunnelsAPIOptions) addWorkspace(cmd *cobra.Command, required string) {
	cmd.Flags().StringVar(&o.workspace, "workspace", "", "ClickFunnels workspace id, as deliveries name it in workspace_id ("+required+")")
	cmd.Flags().StringVar(&o.subdomain, "subdomain", "", "the workspace's subdomain: the API is https://SUBDOMAIN.myclickfunnels.com/api/v2")
}

// api returns the workspace's API client, or a usage error saying which flag is missing.
func (o *clickFunnelsAPIOptions) api(stderr io.Writer) (*providerAPI, error) {
	if !regexp.MustCompile(`^[0-9]+$`).MatchString(o.workspace) {
		return nil, usagef("--workspace must be the ClickFunnels workspace's numeric id, as deliveries name it in workspace_id; got %q", o.workspace)
	}
	if o.tokenOr(clickFunnelsTokenEnv) == "" {
		return nil, usagef("--api-token (or %s) is required: a ClickFunnels API token of the workspace", clickFunnelsTokenEnv)
	}
	base := o.apiURL
	switch {
	case base == "" && o.subdomain == "":
		return nil, usagef("give --subdomain (the API is https://SUBDOMAIN.myclickfunnels.com/api/v2) or --api-url")
	case base == "":
		base = "https://" + o.subdomain + ".myclickfunnels.com/api/v2"
	}
	return o.client("ClickFunnels", base, clickFunnelsTokenEnv, stderr)
}

// outgoingEvent is a ClickFunnels Webhooks::Outgoing::Event, as the API lists it.
type outgoingEvent struct {
	ID          int64           `json:"id"`
	WorkspaceID json.RawMessage `json:"workspace_id"`
	UUID        string          `json:"uuid"`
	EventTypeID string          `json:"event_type_id"`
	SubjectID   json.RawMessage `json:"subject_id"`
	SubjectType *string         `json:"subject_type"`
	Data        json.RawMessage `json:"data"`
	APIVersion  *int            `json:"api_version"`
	CreatedAt   *time.Time      `json:"created_at"`
	Page        json.RawMessage `json:"page"`
	Funnel      json.RawMessage `json:"funnel"`
}

// delivery is the body ClickFunnels delivers for the event: the V2 envelope, whose event_id is
// the event's uuid written as a UUID with dashes, as deliveries carry it.
func (e outgoingEvent) delivery() ([]byte, error) {
	envelope := map[string]any{
		"event_id":     dashedUUID(e.UUID),
		"event_type":   e.EventTypeID,
		"workspace_id": e.WorkspaceID,
		"subject_id":   e.SubjectID,
		"subject_type": e.SubjectType,
		"api_version":  e.APIVersion,
		"created_at":   e.CreatedAt,
		"data":         e.Data,
		"page":         e.Page,
		"funnel":       e.Funnel,
	}
	for key, value := range envelope {
		if raw, ok := value.(json.RawMessage); ok && len(raw) == 0 {
			delete(envelope, key)
		}
	}
	return json.Marshal(envelope)
}

// dashedUUID writes 32 hex digits as a UUID with dashes; anything else stays as it is.
func dashedUUID(id string) string {
	if !regexp.MustCompile(`^[0-9a-fA-F]{32}$`).MatchString(id) {
		return id
	}
	id = strings.ToLower(id)
	return id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]
}

func newBackfillCommand(conn *connection, getenv func(string) string) *cobra.Command {
	var (
		api                  clickFunnelsAPIOptions
		since                string
		secret, secretsPath  string
		dryRun, showProgress bool
	)
	cmd := &cobra.Command{
		Use:   "backfill clickfunnels --workspace ID --subdomain S --since 48h",
		Short: "Ingest the ClickFunnels events of a workspace since a time, from its list of outgoing events",
		Long: `backfill reads the workspace's list of outgoing webhook events (Webhooks::Outgoing::Event) from
the ClickFunnels API, newest first page by page until --since, and ingests each one, oldest first,
through hooknormd's Ingest call, as ClickFunnels would have delivered it. hooknormd stores an event
once per event id, so running it again, or over events that arrived already, is safe: those count
as duplicate. Each delivery is signed with the workspace's secret (--secret, or the workspace's
first secret in --secrets-file, or HOOKNORM_CLICKFUNNELS_SECRET) when one is known. Only V2 events
are ingested; V1 ones are counted as skipped. Webflow has no such list: its missed deliveries
cannot be backfilled.`,
		Example: `  hooknorm backfill clickfunnels --workspace 42 --subdomain myteam --api-token "$CF_TOKEN" --since 48h --secrets-file /etc/hooknorm/secrets.json
  hooknorm backfill clickfunnels --workspace 42 --subdomain myteam --since 2026-11-20T00:00:00Z --dry-run`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || args[0] != "clickfunnels" {
				return usagef("backfill takes one provider, clickfunnels (Webflow keeps no list of the events it sent); got %q", strings.Join(args, " "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cf, err := api.api(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			from, err := sinceTime(since, time.Now())
			if err != nil {
				return err
			}
			if secret == "" && secretsPath != "" {
				file, err := readSecretsFile(secretsPath)
				if err != nil {
					return err
				}
				if entry := file["clickfunnels"][api.workspace]; len(entry.Secrets) > 0 {
					secret = entry.Secrets[0]
				}
			}
			if secret == "" {
				secret, _, _ = strings.Cut(getenv(secretEnv(hooknormv1.Source_SOURCE_CLICKFUNNELS)), ",")
			}
			events, err := listOutgoingEvents(cmd, cf, api.workspace, from)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if dryRun {
				fmt.Fprintf(out, "would ingest %d events of workspace %s since %s (dry run: nothing sent to hooknormd)\n",
					len(events), api.workspace, from.UTC().Format(time.RFC3339))
				for _, e := range events {
					fmt.Fprintf(out, "  %s  %s  %s\n", e.CreatedAt.UTC().Format(time.RFC3339), dashedUUID(e.UUID), e.EventTypeID)
				}
				return nil
			}
			cl, err := conn.dial()
			if err != nil {
				return err
			}
			defer cl.Close()
			var bar *progressbar.ProgressBar
			if showProgress && isTerminal(cmd.ErrOrStderr()) {
				bar = progressbar.NewOptions(len(events), progressbar.OptionSetDescription("ingesting"), progressbar.OptionSetWriter(cmd.ErrOrStderr()),
					progressbar.OptionSetWidth(30), progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond))
			}
			var t backfillTally
			for _, e := range events {
				if err := t.ingest(cmd, cl, e, api.workspace, secret); err != nil {
					if bar != nil {
						bar.Clear()
					}
					fmt.Fprintln(out, t.summary())
					return err
				}
				if bar != nil {
					bar.Add(1)
				}
			}
			if bar != nil {
				bar.Clear()
			}
			fmt.Fprintln(out, t.summary())
			if t.refused > 0 {
				return fmt.Errorf("hooknormd refused %d of the %d events; the first: %s", t.refused, len(events), t.firstRefusal)
			}
			return nil
		},
	}
	api.add(cmd, getenv)
	cmd.Flags().StringVar(&since, "since", "", "ingest the events created since this time: a duration back from now (48h) or an RFC 3339 time (required)")
	cmd.Flags().StringVar(&secret, "secret", "", "the workspace's webhook secret, to sign each delivery with")
	cmd.Flags().StringVar(&secretsPath, "secrets-file", getenv(secretsFileEnv), "hooknormd's secrets file, to sign with the workspace's secret (also "+secretsFileEnv+")")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list the events that would be ingested, and ingest none")
	cmd.Flags().BoolVar(&showProgress, "progress", true, "draw a progress bar on a terminal")
	return cmd
}

// sinceTime reads --since: a duration back from now (48h) or an RFC 3339 time, in the past.
func sinceTime(since string, now time.Time) (time.Time, error) {
	if since == "" {
		return time.Time{}, usagef("--since is required: how far back to ingest, a duration (48h) or an RFC 3339 time")
	}
	if d, err := time.ParseDuration(since); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, since); err == nil && !t.After(now) {
		return t, nil
	}
	return time.Time{}, usagef("--since %q is neither a positive duration (48h) nor an RFC 3339 time in the past", since)
}

// listOutgoingEvents lists the workspace's outgoing events created since from, newest first page
// by page (following Pagination-Next), and returns them oldest first.
func listOutgoingEvents(cmd *cobra.Command, cf *providerAPI, workspace string, from time.Time) ([]outgoingEvent, error) {
	var events []outgoingEvent
	after := ""
	for {
		query := url.Values{"sort_order": {"desc"}, "sort_property": {"id"}}
		if after != "" {
			query.Set("after", after)
		}
		var page []outgoingEvent
		headers, err := cf.call(cmd.Context(), http.MethodGet, "/workspaces/"+workspace+"/webhooks/outgoing/events", query, nil, &page)
		if err != nil {
			return nil, err
		}
		older := false
		for _, e := range page {
			if e.CreatedAt != nil && e.CreatedAt.Before(from) {
				older = true
				break
			}
			events = append(events, e)
		}
		next := headers.Get("Pagination-Next")
		if older || len(page) == 0 || next == "" || next == after {
			break
		}
		after = next
	}
	slices.Reverse(events)
	return events, nil
}

// backfillTally counts what became of the events backfill ingested.
type backfillTally struct {
	stored, duplicate, refused, skipped int
	firstRefusal                        string
}

// ingest ingests one event, signed with secret when there is one. A refusal is counted and the
// backfill goes on; hooknormd unreachable, or failing, ends it.
func (t *backfillTally) ingest(cmd *cobra.Command, cl *client.Client, e outgoingEvent, workspace, secret string) error {
	if e.APIVersion != nil && *e.APIVersion != 2 {
		t.skipped++
		return nil
	}
	body, err := e.delivery()
	if err != nil {
		return err
	}
	_, headers := webhookRequest("", hooknormv1.Source_SOURCE_CLICKFUNNELS, "", "", secret, body, time.Now())
	resp, err := cl.Ingest(cmd.Context(), client.Delivery{Source: hooknormv1.Source_SOURCE_CLICKFUNNELS, Payload: body, Headers: headers, Tenant: workspace})
	var refusal *client.Error
	switch {
	case err == nil && resp.GetDuplicate():
		t.duplicate++
	case err == nil:
		t.stored++
	case errors.As(err, &refusal) && !refusal.Unreachable() && refusal.Reason != hooknormv1.ErrorReason_ERROR_REASON_UNAVAILABLE &&
		refusal.Reason != hooknormv1.ErrorReason_ERROR_REASON_INTERNAL && refusal.Reason != hooknormv1.ErrorReason_ERROR_REASON_UNSPECIFIED:
		t.refused++
		if t.firstRefusal == "" {
			t.firstRefusal = fmt.Sprintf("event %s (%s): %s (%s)", dashedUUID(e.UUID), e.EventTypeID, refusal.Status.Message(), reasonName(refusal.Reason))
		}
	default:
		return err
	}
	return nil
}

// summary is the line backfill ends with.
func (t *backfillTally) summary() string {
	line := fmt.Sprintf("backfill: %d stored, %d duplicate, %d refused", t.stored, t.duplicate, t.refused)
	if t.skipped > 0 {
		line += fmt.Sprintf(", %d skipped (V1 events)", t.skipped)
	}
	return line
}
