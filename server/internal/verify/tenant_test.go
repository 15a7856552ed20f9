package verify_test

import (
	"testing"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"github.com/hooknorm/hooknorm/server/internal/verify"
)

func TestTenantOf(t *testing.T) {
	cases := []struct {
		name   string
		source hooknormv1.Source
		body   string
		given  string
		want   string
		reason hooknormv1.ErrorReason // UNSPECIFIED: read
	}{
		{"ClickFunnels V2 envelope", cf, `{"event_type":"contact.created","workspace_id":42,"data":{"id":1}}`, "", "42", 0},
		{"ClickFunnels workspace as a string", cf, `{"workspace_id":"42","data":{}}`, "", "42", 0},
		{"ClickFunnels envelope wins over the resource", cf, `{"workspace_id":42,"data":{"workspace_id":43}}`, "", "42", 0},
		{"ClickFunnels legacy envelope: the resource's", cf, `{"event_type":"contact.identified","data":{"id":1,"workspace_id":43}}`, "", "43", 0},
		{"ClickFunnels V1: the attributes'", cf, `{"data":{"id":"1","type":"contact","attributes":{"workspace_id":44}}}`, "", "44", 0},
		{"ClickFunnels wrapped resource", cf, `{"data":{"platform_application":{"workspace_id":45}}}`, "", "45", 0},
		{"ClickFunnels bare resource", cf, `{"platform_application":{"id":1,"workspace_id":46}}`, "", "46", 0},
		{"ClickFunnels enveloped: page is not read", cf, `{"page":{"workspace_id":9},"data":{"id":1}}`, "", "", 0},
		{"ClickFunnels none: the URL's", cf, `{"event_type":"x","data":{}}`, "47", "47", 0},
		{"ClickFunnels URL agrees", cf, `{"workspace_id":42,"data":{}}`, "42", "42", 0},
		{"ClickFunnels URL disagrees", cf, `{"workspace_id":42,"data":{}}`, "43", "", hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST},
		{"ClickFunnels named twice, differently", cf, `{"workspace_id":42,"workspace_id":43,"data":{}}`, "", "", hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD},
		{"ClickFunnels both spellings, differently", cf, `{"workspace_id":42,"workspaceId":"43","data":{}}`, "", "", hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD},
		{"ClickFunnels two wrapped resources, differently", cf, `{"data":{"a":{"workspace_id":1},"b":{"workspace_id":2}}}`, "", "", hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD},
		{"ClickFunnels null workspace", cf, `{"workspace_id":null,"data":{"workspace_id":48}}`, "", "48", 0},
		{"ClickFunnels not an object", cf, `[1,2]`, "", "", 0},
		{"Webflow v2 payload", wf, `{"triggerType":"form_submission","payload":{"siteId":"site-a"}}`, "", "site-a", 0},
		{"Webflow v2 top level is not the payload", wf, `{"triggerType":"x","siteId":"site-b","payload":{"siteId":"site-a"}}`, "", "site-a", 0},
		{"Webflow v1 form", wf, `{"name":"Contact","site":"site-c","data":{}}`, "", "site-c", 0},
		{"Webflow order: the URL's", wf, `{"triggerType":"ecomm_new_order","payload":{"orderId":"1"}}`, "site-d", "site-d", 0},
		{"Webflow payload and URL disagree", wf, `{"triggerType":"form_submission","payload":{"siteId":"site-a"}}`, "site-b", "", hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST},
		{"Webflow two sites in the payload", wf, `{"triggerType":"x","payload":{"siteId":"a","site":"b"}}`, "", "", hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD},
		{"URL tenant with a line break", wf, `{}`, "a\nb", "", hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := verify.TenantOf(c.source, []byte(c.body), c.given)
			if c.reason == 0 {
				if err != nil || got != c.want {
					t.Fatalf("TenantOf = %q, %v; want %q", got, err, c.want)
				}
				return
			}
			if r, ok := rejection.As(err); !ok || r.Reason != c.reason {
				t.Fatalf("TenantOf = %q, %v; want a refusal %v", got, err, c.reason)
			}
		})
	}
}
