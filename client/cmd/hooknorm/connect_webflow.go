package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	optionsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/options/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
)

// webflowAPIBase is Webflow's Data API v2.
const webflowAPIBase = "https://api.webflow.com/v2"

// webflowTokenEnv holds the Webflow API token when --api-token is not given.
const webflowTokenEnv = "HOOKNORM_WEBFLOW_API_TOKEN"

// webflowSiteID is how a Webflow site id looks: an object id of 24 hex digits.
var webflowSiteID = regexp.MustCompile(`^[0-9a-fA-F]{24}$`)

// webflowTriggerTypes are the trigger types hooknorm knows that Webflow's API v2 registers, as
// API v2 spells them (the last spelling of each case), sorted. User accounts are left out:
// Webflow disabled them on 2026-01-29 and no longer registers their webhooks.
func webflowTriggerTypes() []string {
	var types []string
	userAccount := (&webflowv1.UserAccount{}).ProtoReflect().Descriptor().FullName()
	cases := (&webflowv1.Event{}).ProtoReflect().Descriptor().Oneofs().ByName("event").Fields()
	for i := range cases.Len() {
		spellings := proto.GetExtension(cases.Get(i).Options(), optionsv1.E_EventType).([]string)
		if len(spellings) > 0 && cases.Get(i).Message().FullName() != userAccount {
			types = append(types, spellings[len(spellings)-1])
		}
	}
	slices.Sort(types)
	return types
}

// webflowTypes are the trigger types to register: --types, each one Webflow's API v2 registers
// and hooknorm knows, or else every one.
func webflowTypes(given []string) ([]string, error) {
	known := webflowTriggerTypes()
	if len(given) == 0 {
		return known, nil
	}
	var types []string
	for _, t := range given {
		t = strings.TrimSpace(t)
		switch {
		case strings.HasPrefix(t, "user_account_") || strings.HasPrefix(t, "memberships_user_account_"):
			return nil, usagef("--types %q: Webflow disabled user accounts on 2026-01-29 and registers no webhook for them", t)
		case !slices.Contains(known, t):
			return nil, usagef("--types %q is not a Webflow API v2 trigger type hooknorm knows; give some of %s", t, strings.Join(known, ", "))
		case !slices.Contains(types, t):
			types = append(types, t)
		}
	}
	slices.Sort(types)
	return types, nil
}

// webflowWebhook is a Webflow webhook registration, as the API v2 answers it. secretKey is in the
// answer to its creation alone, and only for a webhook made with a site token.
type webflowWebhook struct {
	ID          string `json:"id"`
	TriggerType string `json:"triggerType"`
	URL         string `json:"url"`
	SiteID      string `json:"siteId"`
	SecretKey   string `json:"secretKey"`
}

// webflowWebhookList is a page of GET /sites/{site_id}/webhooks.
type webflowWebhookList struct {
	Webhooks   []webflowWebhook `json:"webhooks"`
	Pagination struct {
		Limit  int `json:"limit"`
		Offset int `json:"offset"`
		Total  int `json:"total"`
	} `json:"pagination"`
}

// webflowAPI returns the client of Webflow's API for the site, or a usage error saying which flag
// is missing.
func (o *connectOptions) webflowAPI(stderr io.Writer) (*providerAPI, error) {
	if !webflowSiteID.MatchString(o.site) {
		return nil, usagef("--site must be the Webflow site's id, 24 hex digits, as deliveries name it in siteId; got %q", o.site)
	}
	access := &o.clickFunnels.apiAccess
	if access.tokenOr(webflowTokenEnv) == "" {
		return nil, usagef("--api-token (or %s) is required: a Webflow site token of the site with the sites:read and sites:write scopes", webflowTokenEnv)
	}
	base := access.apiURL
	if base == "" {
		base = webflowAPIBase
	}
	return access.client("Webflow", base, webflowTokenEnv, stderr)
}

// listWebflowWebhooks lists the site's webhooks, following the pagination: while fewer than its
// total have come, it asks again from the offset reached. A page that brings nothing new ends it.
func listWebflowWebhooks(ctx context.Context, wf *providerAPI, site string) ([]webflowWebhook, error) {
	var all []webflowWebhook
	seen := map[string]bool{}
	for {
		query := url.Values{}
		if len(all) > 0 {
			query.Set("offset", strconv.Itoa(len(all)))
		}
		var page webflowWebhookList
		if _, err := wf.call(ctx, http.MethodGet, "/sites/"+site+"/webhooks", query, nil, &page); err != nil {
			return nil, err
		}
		fresh := 0
		for _, w := range page.Webhooks {
			if !seen[w.ID] {
				seen[w.ID] = true
				all = append(all, w)
				fresh++
			}
		}
		if fresh == 0 || len(all) >= page.Pagination.Total {
			return all, nil
		}
	}
}

// perTriggerRefusal reports whether err is Webflow refusing one trigger type rather than the token
// or the site: a trigger the site lacks (e-commerce not enabled), a scope the token lacks for it,
// the 75 registrations of a trigger type, a request it finds invalid.
func perTriggerRefusal(err error) bool {
	for _, code := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity} {
		if isAPIStatus(err, code) {
			return true
		}
	}
	return false
}

// connectWebflow creates the site's missing webhooks for hooknormd's route, one per trigger type,
// and adds each one's secretKey to the site's secrets in the secrets file as soon as it is created.
func connectWebflow(cmd *cobra.Command, o *connectOptions) error {
	wf, err := o.webflowAPI(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	target, err := o.routeURL("webflow", o.site)
	if err != nil {
		return err
	}
	if o.secretsPath == "" {
		return usagef("--secrets-file (or %s) is required: connect writes the webhooks' secrets there", secretsFileEnv)
	}
	file, err := readSecretsFile(o.secretsPath)
	if err != nil {
		return err
	}
	types, err := webflowTypes(o.types)
	if err != nil {
		return err
	}
	hooks, err := listWebflowWebhooks(cmd.Context(), wf, o.site)
	if err != nil {
		return err
	}
	existing := map[string]webflowWebhook{}
	for _, h := range hooks {
		if _, ok := existing[h.TriggerType]; h.URL == target && !ok {
			existing[h.TriggerType] = h
		}
	}
	out := cmd.OutOrStdout()
	wasUnsigned := file["webflow"][o.site].Unsigned
	var found, written, withoutKey int
	var refused []string
	for _, t := range types {
		if h, ok := existing[t]; ok {
			fmt.Fprintf(out, "unchanged: webhook %s (%s)\n", h.ID, t)
			found++
			continue
		}
		if o.dryRun {
			fmt.Fprintf(out, "would have created: a webhook for %s at %s\n", t, target)
			continue
		}
		var made webflowWebhook
		_, err := wf.call(cmd.Context(), http.MethodPost, "/sites/"+o.site+"/webhooks", nil, map[string]string{"triggerType": t, "url": target}, &made)
		if perTriggerRefusal(err) {
			fmt.Fprintf(out, "refused: a webhook for %s: %v\n", t, err)
			refused = append(refused, t)
			continue
		}
		if err != nil {
			return err
		}
		if made.SecretKey == "" {
			fmt.Fprintf(out, "created: webhook %s (%s), for which Webflow returned no secretKey\n", made.ID, t)
			withoutKey++
			continue
		}
		file.addSecret("webflow", o.site, made.SecretKey)
		if err := file.write(o.secretsPath); err != nil {
			return fmt.Errorf("webhook %s (%s) was created, but its secretKey, which Webflow shows only once, could not be kept: %w; "+
				"run hooknorm disconnect webflow, then connect again", made.ID, t, err)
		}
		written++
		fmt.Fprintf(out, "created: webhook %s (%s) at %s\n", made.ID, t, target)
	}
	for _, h := range hooks {
		if h.URL == target && !slices.Contains(types, h.TriggerType) {
			fmt.Fprintf(out, "kept: webhook %s (%s), not among the types asked for; hooknorm disconnect deletes it\n", h.ID, h.TriggerType)
		}
	}
	entry := file["webflow"][o.site]
	switch {
	case written > 0:
		fmt.Fprintf(out, "wrote: %d secretKey(s) of site %s to %s, which now holds %d for the site; reload hooknormd (kill -HUP) to use them\n",
			written, o.site, o.secretsPath, len(entry.Secrets))
	case o.dryRun && len(existing) < len(types):
		fmt.Fprintf(out, "would have written: the secretKey of each webhook created to %s\n", o.secretsPath)
	}
	if wasUnsigned && written > 0 {
		fmt.Fprintf(out, "note: site %s was marked unsigned in %s and is now signed: deliveries of webhooks made in the site dashboard, "+
			"which are not signed, will be refused; delete those in the dashboard\n", o.site, o.secretsPath)
	}
	var problems []error
	if withoutKey > 0 {
		why := fmt.Sprintf("Webflow returned no secretKey for %d webhook(s) of site %s: a webhook made with an OAuth app's token is signed "+
			"with the app's client secret, not a key of its own", withoutKey, o.site)
		if len(entry.Secrets) == 0 {
			problems = append(problems, fmt.Errorf("%s: add that client secret to %s as the site's secret "+
				`({"webflow": {%q: {"secrets": ["<client secret>"]}}}), then reload hooknormd; until then hooknormd refuses the site's deliveries`,
				why, o.secretsPath, o.site))
		} else {
			fmt.Fprintf(out, "note: %s; if the token is an OAuth app's, its client secret must be among the site's %d secrets in %s\n",
				why, len(entry.Secrets), o.secretsPath)
		}
	}
	if found > 0 && len(entry.Secrets) == 0 && !entry.Unsigned {
		problems = append(problems, fmt.Errorf("%d webhook(s) of site %s existed already, and the secrets file %s has no secret for the site: "+
			"Webflow shows a webhook's secretKey only when it is created, so connect cannot recover them; run hooknorm disconnect webflow, "+
			"then connect, to make them anew with their keys (or write the keys you kept, or the OAuth app's client secret, into the file)",
			found, o.site, o.secretsPath))
	}
	if len(refused) > 0 {
		problems = append(problems, usagef("Webflow refused %d of the %d trigger types (%s), as said above; give --types without them, "+
			"or fix what Webflow said (a feature of the site, a scope of the token) and run connect again", len(refused), len(types), strings.Join(refused, ", ")))
	}
	return errors.Join(problems...)
}

// disconnectWebflow deletes the site's webhooks at hooknormd's route and, unless other webhooks of
// the site still point at hooknormd, the site's entry in the secrets file.
func disconnectWebflow(cmd *cobra.Command, o *connectOptions) error {
	wf, err := o.webflowAPI(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	target, err := o.routeURL("webflow", o.site)
	if err != nil {
		return err
	}
	hooks, err := listWebflowWebhooks(cmd.Context(), wf, o.site)
	if err != nil {
		return err
	}
	out, prefix := cmd.OutOrStdout(), o.changed()
	routes := strings.TrimRight(o.base, "/") + "/v1/webhooks/webflow"
	deleted, others := 0, 0
	for _, h := range hooks {
		switch {
		case h.URL == target:
			if !o.dryRun {
				_, err := wf.call(cmd.Context(), http.MethodDelete, "/webhooks/"+url.PathEscape(h.ID), nil, nil, nil)
				if err != nil && !isAPIStatus(err, http.StatusNotFound) {
					return err
				}
			}
			fmt.Fprintf(out, "%sdeleted: webhook %s (%s)\n", prefix, h.ID, h.TriggerType)
			deleted++
		case strings.HasPrefix(h.URL, routes):
			others++
		}
	}
	if deleted == 0 {
		fmt.Fprintf(out, "no webhook of site %s points at %s\n", o.site, target)
	}
	if o.secretsPath == "" {
		return nil
	}
	file, err := readSecretsFile(o.secretsPath)
	if err != nil {
		return err
	}
	if _, ok := file["webflow"][o.site]; ok && others > 0 {
		fmt.Fprintf(out, "kept: site %s in %s: %d other webhook(s) of the site point at hooknormd's Webflow routes\n", o.site, o.secretsPath, others)
		return nil
	}
	if file.remove("webflow", o.site) {
		if !o.dryRun {
			if err := file.write(o.secretsPath); err != nil {
				return err
			}
		}
		fmt.Fprintf(out, "%sremoved: site %s from %s; reload hooknormd (kill -HUP)\n", prefix, o.site, o.secretsPath)
	}
	return nil
}
