package main

import (
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

// connectOptions are the flags of connect and disconnect, for either provider.
type connectOptions struct {
	clickFunnels clickFunnelsAPIOptions // --workspace, --subdomain, and --api-token, --api-url for both
	site         string
	base         string
	types        []string
	secretsPath  string
	dryRun       bool
}

// routeURL is hooknormd's webhook route of provider under --url, with the tenant as ?tenant=
// (which must agree with the tenant a body names).
func (o *connectOptions) routeURL(provider, tenant string) (string, error) {
	u, err := url.Parse(o.base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return "", usagef("--url must be hooknormd's public base URL, such as https://hooks.example.com; got %q", o.base)
	}
	return strings.TrimRight(o.base, "/") + "/v1/webhooks/" + provider + "?tenant=" + url.QueryEscape(tenant), nil
}

// changed is what a line of output starts with for a change: "would have " in a dry run.
func (o *connectOptions) changed() string {
	if o.dryRun {
		return "would have "
	}
	return ""
}

func (o *connectOptions) add(cmd *cobra.Command, getenv func(string) string) {
	o.clickFunnels.addWorkspace(cmd, "required for clickfunnels")
	o.clickFunnels.apiAccess.add(cmd, getenv,
		"the provider's API token: a ClickFunnels API token of the workspace (also "+clickFunnelsTokenEnv+
			"), or a Webflow site token with sites:read and sites:write (also "+webflowTokenEnv+")",
		"the provider's API base URL (default: https://SUBDOMAIN.myclickfunnels.com/api/v2, "+webflowAPIBase+")")
	cmd.Flags().StringVar(&o.site, "site", "", "Webflow site id, as deliveries name it in siteId (required for webflow)")
	cmd.Flags().StringVar(&o.base, "url", "", "hooknormd's public base URL, such as https://hooks.example.com (required)")
	cmd.Flags().StringVar(&o.secretsPath, "secrets-file", getenv(secretsFileEnv), "hooknormd's secrets file, where the secrets are written (also "+secretsFileEnv+"; required by connect)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "say what would change, and change nothing")
}

// forProvider checks that the flags given belong to provider: --workspace and --subdomain to
// ClickFunnels, --site to Webflow.
func (o *connectOptions) forProvider(cmd *cobra.Command, provider string) error {
	others := map[string][]string{"clickfunnels": {"site"}, "webflow": {"workspace", "subdomain"}}[provider]
	for _, name := range others {
		if cmd.Flags().Changed(name) {
			return usagef("--%s is not a flag of %s %s: ClickFunnels takes --workspace and --subdomain, Webflow --site", name, cmd.Name(), provider)
		}
	}
	return nil
}

func newConnectCommand(getenv func(string) string) *cobra.Command {
	var o connectOptions
	cmd := &cobra.Command{
		Use:   "connect clickfunnels|webflow --workspace ID|--site ID --url https://hooks.example.com",
		Short: "Register hooknormd's webhooks with a ClickFunnels workspace or a Webflow site, and record their secrets",
		Long: `connect clickfunnels creates the workspace's ClickFunnels webhook endpoint for hooknormd's route
(URL/v1/webhooks/clickfunnels?tenant=WORKSPACE), subscribed to every event type hooknorm knows or
those given with --types, and writes the secret ClickFunnels returns into the secrets file under
the workspace. Run again, it finds the endpoint by its URL and updates its event types if they
differ. ClickFunnels shows an endpoint's secret only when it is created: an endpoint found whose
secret the file lacks is reported, not recreated.

connect webflow creates one webhook of the site per trigger type hooknorm knows (or --types) for
hooknormd's route (URL/v1/webhooks/webflow?tenant=SITE), and adds the secretKey Webflow returns
for each to the site's secrets in the secrets file. Run again, it finds the webhooks of each trigger
type at that URL, leaves them, and creates only those missing; it deletes none. Webflow shows a
webhook's secretKey only when it is created, and returns none for a webhook made with an OAuth
app's token (signed with the app's client secret): connect says so, and what to write in the file.

The secrets file is written with mode 0600 and replaced atomically, its other tenants kept; then
reload hooknormd (kill -HUP). Both are idempotent; --dry-run changes nothing.`,
		Example: `  hooknorm connect clickfunnels --workspace 42 --subdomain myteam --api-token "$CF_TOKEN" \
    --url https://hooks.example.com --secrets-file /etc/hooknorm/secrets.json
  hooknorm connect webflow --site 5f0c8f2a9d1e4b0012345678 --api-token "$WEBFLOW_SITE_TOKEN" \
    --url https://hooks.example.com --secrets-file /etc/hooknorm/secrets.json`,
		Args: oneProvider("connect"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.forProvider(cmd, args[0]); err != nil {
				return err
			}
			if args[0] == "webflow" {
				return connectWebflow(cmd, &o)
			}
			return connectClickFunnels(cmd, &o)
		},
	}
	o.add(cmd, getenv)
	cmd.Flags().StringSliceVar(&o.types, "types", nil, "event types (ClickFunnels) or trigger types (Webflow) to subscribe to, comma-separated (default: every one hooknorm knows; see hooknorm types)")
	return cmd
}

func newDisconnectCommand(getenv func(string) string) *cobra.Command {
	var o connectOptions
	cmd := &cobra.Command{
		Use:   "disconnect clickfunnels|webflow --workspace ID|--site ID --url https://hooks.example.com",
		Short: "Delete the webhooks connect made for hooknormd, and their tenant's secrets",
		Long: `disconnect deletes the workspace's ClickFunnels webhook endpoints, or the Webflow site's webhooks,
whose URL is hooknormd's route under --url (those connect made), and removes the tenant's entry
from the secrets file; then reload hooknormd (SIGHUP). A Webflow site's entry is kept while other
webhooks of the site still point at hooknormd's Webflow routes. Run again, it finds nothing to do.`,
		Example: `  hooknorm disconnect clickfunnels --workspace 42 --subdomain myteam --url https://hooks.example.com --secrets-file /etc/hooknorm/secrets.json
  hooknorm disconnect webflow --site 5f0c8f2a9d1e4b0012345678 --url https://hooks.example.com --secrets-file /etc/hooknorm/secrets.json`,
		Args: oneProvider("disconnect"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.forProvider(cmd, args[0]); err != nil {
				return err
			}
			if args[0] == "webflow" {
				return disconnectWebflow(cmd, &o)
			}
			return disconnectClickFunnels(cmd, &o)
		},
	}
	o.add(cmd, getenv)
	return cmd
}

// oneProvider accepts one argument, clickfunnels or webflow.
func oneProvider(command string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 || (args[0] != "clickfunnels" && args[0] != "webflow") {
			return usagef("%s takes one provider, clickfunnels or webflow; got %q", command, strings.Join(args, " "))
		}
		return nil
	}
}
