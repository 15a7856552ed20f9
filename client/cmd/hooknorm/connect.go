package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	optionsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/options/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
)

// clickFunnelsEventTypes are the ClickFunnels event types hooknorm knows, as the schema spells
// them (the first spelling of each case).
func clickFunnelsEventTypes() []string {
	var types []string
	cases := (&clickfunnelsv1.Event{}).ProtoReflect().Descriptor().Oneofs().ByName("event").Fields()
	for i := range cases.Len() {
		if spellings := proto.GetExtension(cases.Get(i).Options(), optionsv1.E_EventType).([]string); len(spellings) > 0 {
			types = append(types, spellings[0])
		}
	}
	slices.Sort(types)
	return types
}

// webhookEndpoint is a ClickFunnels Webhooks::Outgoing::Endpoint, as the API answers it.
type webhookEndpoint struct {
	ID            json.Number `json:"id"`
	URL           string      `json:"url"`
	Name          string      `json:"name"`
	EventTypeIDs  []string    `json:"event_type_ids"`
	WebhookSecret string      `json:"webhook_secret"`
}

// connectOptions are the flags of connect and disconnect.
type connectOptions struct {
	api         clickFunnelsAPIOptions
	base        string
	types       []string
	secretsPath string
	dryRun      bool
}

// routeURL is hooknormd's ClickFunnels webhook route under --url, with the workspace as
// ?tenant= (which must agree with the body's workspace_id).
func (o *connectOptions) routeURL() (string, error) {
	u, err := url.Parse(o.base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return "", usagef("--url must be hooknormd's public base URL, such as https://hooks.example.com; got %q", o.base)
	}
	return strings.TrimRight(o.base, "/") + "/v1/webhooks/clickfunnels?tenant=" + url.QueryEscape(o.api.workspace), nil
}

func (o *connectOptions) add(cmd *cobra.Command, getenv func(string) string) {
	o.api.add(cmd, getenv)
	cmd.Flags().StringVar(&o.base, "url", "", "hooknormd's public base URL, such as https://hooks.example.com (required)")
	cmd.Flags().StringVar(&o.secretsPath, "secrets-file", getenv(secretsFileEnv), "hooknormd's secrets file, where the endpoint's secret is written (also "+secretsFileEnv+"; required)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "say what would change, and change nothing")
}

// findEndpoints lists the workspace's endpoints whose URL is url, following the pagination.
func findEndpoints(cmd *cobra.Command, cf *providerAPI, workspace, target string) ([]webhookEndpoint, error) {
	var found []webhookEndpoint
	after := ""
	for {
		query := url.Values{}
		if after != "" {
			query.Set("after", after)
		}
		var page []webhookEndpoint
		headers, err := cf.call(cmd.Context(), http.MethodGet, "/workspaces/"+workspace+"/webhooks/outgoing/endpoints", query, nil, &page)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if e.URL == target {
				found = append(found, e)
			}
		}
		next := headers.Get("Pagination-Next")
		if len(page) == 0 || next == "" || next == after {
			return found, nil
		}
		after = next
	}
}

func newConnectCommand(getenv func(string) string) *cobra.Command {
	var o connectOptions
	cmd := &cobra.Command{
		Use:   "connect clickfunnels --workspace ID --subdomain S --url https://hooks.example.com",
		Short: "Create (or update) the ClickFunnels webhook endpoint of a workspace for hooknormd, and record its secret",
		Long: `connect creates the workspace's ClickFunnels webhook endpoint for hooknormd's route
(URL/v1/webhooks/clickfunnels?tenant=WORKSPACE), subscribed to every event type hooknorm knows or
those given with --types, and writes the secret ClickFunnels returns into the secrets file under
the workspace (0600, replaced atomically); then reload hooknormd (SIGHUP). Run again, it finds the
endpoint by its URL and updates its event types if they differ: it is idempotent. ClickFunnels
shows an endpoint's secret only when it is created: an endpoint found whose secret the file lacks
is reported, not recreated. Webflow is not supported yet.`,
		Example: `  hooknorm connect clickfunnels --workspace 42 --subdomain myteam --api-token "$CF_TOKEN" \
    --url https://hooks.example.com --secrets-file /etc/hooknorm/secrets.json`,
		Args: clickFunnelsOnly("connect"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cf, err := o.api.api(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			target, err := o.routeURL()
			if err != nil {
				return err
			}
			if o.secretsPath == "" {
				return usagef("--secrets-file (or %s) is required: connect writes the endpoint's secret there", secretsFileEnv)
			}
			file, err := readSecretsFile(o.secretsPath)
			if err != nil {
				return err
			}
			types := o.types
			if len(types) == 0 {
				types = clickFunnelsEventTypes()
			}
			slices.Sort(types)
			found, err := findEndpoints(cmd, cf, o.api.workspace, target)
			if err != nil {
				return err
			}
			out, prefix := cmd.OutOrStdout(), ""
			if o.dryRun {
				prefix = "would have "
			}
			if len(found) > 0 {
				e := found[0]
				have := slices.Sorted(slices.Values(e.EventTypeIDs))
				if slices.Equal(have, types) {
					fmt.Fprintf(out, "unchanged: endpoint %s (%s) with %d event types\n", e.ID, target, len(types))
				} else {
					if !o.dryRun {
						body := map[string]any{"webhooks_outgoing_endpoint": map[string]any{"event_type_ids": types}}
						if _, err := cf.call(cmd.Context(), http.MethodPut, "/webhooks/outgoing/endpoints/"+e.ID.String(), nil, body, nil); err != nil {
							return err
						}
					}
					fmt.Fprintf(out, "%supdated: endpoint %s (%s): %d event types, was %d\n", prefix, e.ID, target, len(types), len(have))
				}
				if len(file["clickfunnels"][o.api.workspace].Secrets) == 0 {
					return fmt.Errorf("the secrets file %s has no secret for workspace %s, and ClickFunnels shows an endpoint's secret only when it is created: "+
						"copy it from Workspace Settings > Webhooks into the file, or run hooknorm disconnect, then connect", o.secretsPath, o.api.workspace)
				}
				return nil
			}
			if o.dryRun {
				fmt.Fprintf(out, "would have created: an endpoint for %s with %d event types, its secret written to %s\n", target, len(types), o.secretsPath)
				return nil
			}
			body := map[string]any{"webhooks_outgoing_endpoint": map[string]any{"url": target, "name": "hooknorm", "event_type_ids": types, "api_version": 2}}
			var created webhookEndpoint
			if _, err := cf.call(cmd.Context(), http.MethodPost, "/workspaces/"+o.api.workspace+"/webhooks/outgoing/endpoints", nil, body, &created); err != nil {
				return err
			}
			fmt.Fprintf(out, "created: endpoint %s (%s) with %d event types\n", created.ID, target, len(types))
			if created.WebhookSecret == "" {
				return fmt.Errorf("ClickFunnels returned no webhook_secret for endpoint %s: copy it from Workspace Settings > Webhooks into %s", created.ID, o.secretsPath)
			}
			file.addSecret("clickfunnels", o.api.workspace, created.WebhookSecret)
			if err := file.write(o.secretsPath); err != nil {
				return err
			}
			fmt.Fprintf(out, "wrote: the secret of workspace %s to %s; reload hooknormd (kill -HUP) to use it\n", o.api.workspace, o.secretsPath)
			return nil
		},
	}
	o.add(cmd, getenv)
	cmd.Flags().StringSliceVar(&o.types, "types", nil, "event types to subscribe to, comma-separated (default: every one hooknorm knows; see hooknorm types)")
	return cmd
}

func newDisconnectCommand(getenv func(string) string) *cobra.Command {
	var o connectOptions
	cmd := &cobra.Command{
		Use:   "disconnect clickfunnels --workspace ID --subdomain S --url https://hooks.example.com",
		Short: "Delete the ClickFunnels webhook endpoints connect made for hooknormd, and the workspace's secrets",
		Long: `disconnect deletes the workspace's webhook endpoints whose URL is hooknormd's route under --url
(those connect made), and removes the workspace's entry from the secrets file; then reload
hooknormd (SIGHUP). Run again, it finds nothing to do.`,
		Example: `  hooknorm disconnect clickfunnels --workspace 42 --subdomain myteam --url https://hooks.example.com --secrets-file /etc/hooknorm/secrets.json`,
		Args:    clickFunnelsOnly("disconnect"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cf, err := o.api.api(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			target, err := o.routeURL()
			if err != nil {
				return err
			}
			found, err := findEndpoints(cmd, cf, o.api.workspace, target)
			if err != nil {
				return err
			}
			out, prefix := cmd.OutOrStdout(), ""
			if o.dryRun {
				prefix = "would have "
			}
			for _, e := range found {
				if !o.dryRun {
					_, err := cf.call(cmd.Context(), http.MethodDelete, "/webhooks/outgoing/endpoints/"+e.ID.String(), nil, nil, nil)
					if err != nil && !isAPIStatus(err, http.StatusNotFound) {
						return err
					}
				}
				fmt.Fprintf(out, "%sdeleted: endpoint %s (%s)\n", prefix, e.ID, target)
			}
			if o.secretsPath != "" {
				file, err := readSecretsFile(o.secretsPath)
				if err != nil {
					return err
				}
				if file.remove("clickfunnels", o.api.workspace) {
					if !o.dryRun {
						if err := file.write(o.secretsPath); err != nil {
							return err
						}
					}
					fmt.Fprintf(out, "%sremoved: workspace %s from %s; reload hooknormd (kill -HUP)\n", prefix, o.api.workspace, o.secretsPath)
				}
			}
			if len(found) == 0 {
				fmt.Fprintf(out, "no endpoint of workspace %s points at %s\n", o.api.workspace, target)
			}
			return nil
		},
	}
	o.add(cmd, getenv)
	return cmd
}

// clickFunnelsOnly accepts one argument, clickfunnels.
func clickFunnelsOnly(command string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 || args[0] != "clickfunnels" {
			return usagef("%s takes one provider, clickfunnels (webflow is not supported yet); got %q", command, strings.Join(args, " "))
		}
		return nil
	}
}
