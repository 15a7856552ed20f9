package metrics

import (
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/prometheus/client_golang/prometheus"
)

// OtherTenant is the tenant label of a refusal whose tenant has no entry in the secrets file, was
// not read, or is not known because hooknormd has no secrets file: the label's values are bounded
// by the operator's file, whatever deliveries say.
const OtherTenant = "other"

// newTenantRefusals is hooknorm_tenant_refusals_total.
func newTenantRefusals() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hooknorm_tenant_refusals_total",
		Help: "Deliveries Ingest refused, by source, tenant (the workspace or site read from the delivery when the secrets file lists it, " +
			"\"other\" otherwise) and refusal reason.",
	}, []string{"source", "tenant", "reason"})
}

// TenantRefusal counts a delivery of source refused with reason, for tenant: one the secrets
// file lists, or OtherTenant.
func (m *Metrics) TenantRefusal(source hooknormv1.Source, tenant string, reason hooknormv1.ErrorReason) {
	if m != nil {
		m.tenantRefusals.WithLabelValues(source.String(), tenant, reason.String()).Inc()
	}
}
