package service

import (
	"context"
	"slices"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/catalog"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// ListEventTypes lists the event types the schema defines, of the sources asked for, narrowed to
// those the caller's token may see.
func (w *Webhooks) ListEventTypes(ctx context.Context, req *hooknormv1.ListEventTypesRequest) (*hooknormv1.ListEventTypesResponse, error) {
	var sources []hooknormv1.Source
	for _, source := range req.GetSources() {
		if source != hooknormv1.Source_SOURCE_CLICKFUNNELS && source != hooknormv1.Source_SOURCE_WEBFLOW {
			return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
				"sources lists %s, which is no source hooknorm knows: give SOURCE_CLICKFUNNELS or SOURCE_WEBFLOW (clickfunnels or webflow over HTTP), "+
					"or leave sources out to list the event types of every source", sourceLabel(source)).AtField("sources")
		}
		if !slices.Contains(sources, source) {
			sources = append(sources, source)
		}
	}
	if p := access.FromContext(ctx); p != nil {
		var err error
		if sources, _, err = p.Scope(sources, ""); err != nil {
			return nil, err
		}
	}
	return &hooknormv1.ListEventTypesResponse{EventTypes: catalog.EventTypes(sources)}, nil
}
