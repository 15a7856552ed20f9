package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"

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

// connectClickFunnels creates or updates the workspace's webhook endpoint for hooknormd's route and
// writes its secret into the secrets file.
func connectClickFunnels(cmd *cobra.Command, o *connectOptions) error {
	cf, err := o.clickFunnels.api(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	target, err := o.routeURL("clickfunnels", o.clickFunnels.workspace)
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
	found, err := findEndpoints(cmd, cf, o.clickFunnels.workspace, target)
	if err != nil {
		return err
	}
	out, prefix := cmd.OutOrStdout(), o.changed()
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
		if len(file["clickfunnels"][o.clickFunnels.workspace].Secrets) == 0 {
			return fmt.Errorf("the secrets file %s has no secret for workspace %s, and ClickFunnels shows an endpoint's secret only when it is created: "+
				"copy it from Workspace Settings > Webhooks into the file, or run hooknorm disconnect, then connect", o.secretsPath, o.clickFunnels.workspace)
		}
		return nil
	}
	if o.dryRun {
		fmt.Fprintf(out, "would have created: an endpoint for %s with %d event types, its secret written to %s\n", target, len(types), o.secretsPath)
		return nil
	}
	body := map[string]any{"webhooks_outgoing_endpoint": map[string]any{"url": target, "name": "hooknorm", "event_type_ids": types, "api_version": 2}}
	var created webhookEndpoint
	if _, err := cf.call(cmd.Context(), http.MethodPost, "/workspaces/"+o.clickFunnels.workspace+"/webhooks/outgoing/endpoints", nil, body, &created); err != nil {
		return err
	}
	fmt.Fprintf(out, "created: endpoint %s (%s) with %d event types\n", created.ID, target, len(types))
	if created.WebhookSecret == "" {
		return fmt.Errorf("ClickFunnels returned no webhook_secret for endpoint %s: copy it from Workspace Settings > Webhooks into %s", created.ID, o.secretsPath)
	}
	file.addSecret("clickfunnels", o.clickFunnels.workspace, created.WebhookSecret)
	if err := file.write(o.secretsPath); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote: the secret of workspace %s to %s; reload hooknormd (kill -HUP) to use it\n", o.clickFunnels.workspace, o.secretsPath)
	return nil
}

// disconnectClickFunnels deletes the workspace's endpoints at hooknormd's route and its entry in
// the secrets file.
func disconnectClickFunnels(cmd *cobra.Command, o *connectOptions) error {
	cf, err := o.clickFunnels.api(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	target, err := o.routeURL("clickfunnels", o.clickFunnels.workspace)
	if err != nil {
		return err
	}
	found, err := findEndpoints(cmd, cf, o.clickFunnels.workspace, target)
	if err != nil {
		return err
	}
	out, prefix := cmd.OutOrStdout(), o.changed()
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
		if file.remove("clickfunnels", o.clickFunnels.workspace) {
			if !o.dryRun {
				if err := file.write(o.secretsPath); err != nil {
					return err
				}
			}
			fmt.Fprintf(out, "%sremoved: workspace %s from %s; reload hooknormd (kill -HUP)\n", prefix, o.clickFunnels.workspace, o.secretsPath)
		}
	}
	if len(found) == 0 {
		fmt.Fprintf(out, "no endpoint of workspace %s points at %s\n", o.clickFunnels.workspace, target)
	}
	return nil
}
