package verify

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// maxTenantBytes bounds a tenant as the conversion does: real ones are short.
const maxTenantBytes = 256

// tenantPlace is one place of a raw body where a provider names the tenant: a path of object
// members from the top, and the keys the last object may name it under.
type tenantPlace struct {
	path     []string // "*" stands for every member whose value is an object
	keys     []string
	bareOnly bool // only in a body without a data member: a bare resource
}

// tenantPlaces are, per provider and in order of precedence, where a delivery names its tenant,
// as the conversion reads them: the first place that names one decides. ClickFunnels names its
// workspace on the V2 envelope, or on the resource in data (V1: in data.attributes; a wrapped
// resource, such as Platform::Application's: one level down), or on a bare resource. Webflow
// names its site in the API v2 payload, or at the top of an API v1 body.
var tenantPlaces = map[hooknormv1.Source][][]tenantPlace{
	hooknormv1.Source_SOURCE_CLICKFUNNELS: {
		{{keys: cfWorkspaceKeys}},
		{{path: []string{"data"}, keys: cfWorkspaceKeys}},
		{{path: []string{"data", "attributes"}, keys: cfWorkspaceKeys}},
		{{path: []string{"data", "*"}, keys: cfWorkspaceKeys}},
		{{path: []string{"*"}, keys: cfWorkspaceKeys, bareOnly: true}},
	},
	hooknormv1.Source_SOURCE_WEBFLOW: {
		{{path: []string{"payload"}, keys: wfSiteKeys}},
		{{keys: wfSiteKeys}},
	},
}

var (
	cfWorkspaceKeys = []string{"workspace_id", "workspaceId"}
	wfSiteKeys      = []string{"siteId", "site_id", "site"}
)

// TenantOf reads the tenant of a raw delivery, before anything else of it is read: the workspace
// or site its body names where the provider puts it, or given, the tenant given outside the body
// (the URL's ?tenant=), when the body names none. It refuses a body that names two different
// tenants in the place that decides, and a given tenant that disagrees with the body's. Nothing
// else in the body is read, so nothing else can steer which secrets are tried; the conversion
// that follows must find the same tenant (see Verdict.Bound).
func TenantOf(source hooknormv1.Source, body []byte, given string) (string, error) {
	if len(given) > maxTenantBytes || !utf8.ValidString(given) || strings.ContainsFunc(given, unicode.IsControl) {
		return "", rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"tenant must be valid UTF-8 on one line, of at most %d bytes, like a Webflow site id", maxTenantBytes).AtField("tenant")
	}
	named := ""
	hasData := false
	jsonconv.Outline(body, func(m jsonconv.Member) bool {
		hasData = m.Key == "data"
		return !hasData
	})
	for _, level := range tenantPlaces[source] {
		values := map[string]bool{}
		for _, place := range level {
			if !place.bareOnly || !hasData {
				collectTenants(body, place.path, place.keys, values)
			}
		}
		if len(values) > 1 {
			return "", rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD,
				"the body names %d different tenants (%s) where it names its %s: a delivery is for one tenant", len(values),
				joinQuoted(values), tenantWordOf(source)).AtField("tenant")
		}
		for value := range values {
			named = value
		}
		if named != "" {
			break
		}
	}
	switch {
	case named == "":
		return given, nil
	case given != "" && given != named:
		return "", rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"the delivery was sent for tenant %q, but its body names tenant %q: check the tenant in the webhook's URL", given, named).AtField("tenant")
	}
	return named, nil
}

// collectTenants adds to values the tenants the object in body names under keys at path, as
// text: a string as it is, a number as written.
func collectTenants(body []byte, path, keys []string, values map[string]bool) {
	if len(path) > 0 {
		jsonconv.Outline(body, func(m jsonconv.Member) bool {
			if m.Kind() == '{' && (path[0] == "*" || m.Key == path[0]) {
				collectTenants(m.Value, path[1:], keys, values)
			}
			return true
		})
		return
	}
	jsonconv.Outline(body, func(m jsonconv.Member) bool {
		for _, key := range keys {
			if m.Key != key {
				continue
			}
			switch m.Kind() {
			case '"':
				if s, ok := jsonconv.StringValue(m); ok && s != "" {
					values[s] = true
				}
			case '0':
				values[string(m.Value)] = true
			}
		}
		return true
	})
}

func tenantWordOf(source hooknormv1.Source) string {
	if sch, ok := schemes[source]; ok {
		return sch.tenantWord
	}
	return "tenant"
}

func joinQuoted(values map[string]bool) string {
	var quoted []string
	for value := range values {
		quoted = append(quoted, strconv.Quote(value))
	}
	slices.Sort(quoted)
	return strings.Join(quoted, ", ")
}
