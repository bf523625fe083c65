package register

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// ListObjects reads the objects the register is built from: of every namespace, or of the
// ones opts select (client.InNamespace).
func ListObjects(ctx context.Context, c client.Reader, opts ...client.ListOption) (Objects, error) {
	var pas v1alpha1.ProcessingActivityList
	var lias v1alpha1.LegitimateInterestAssessmentList
	var rps v1alpha1.RetentionPolicyList
	var ars v1alpha1.AccessRoleList
	var dbs v1alpha1.CRMDatabaseList
	var breaches v1alpha1.DataBreachList
	var dsrs v1alpha1.DataSubjectRequestList
	for _, l := range []client.ObjectList{&pas, &lias, &rps, &ars, &dbs, &breaches, &dsrs} {
		if err := c.List(ctx, l, opts...); err != nil {
			return Objects{}, err
		}
	}
	return Objects{
		ProcessingActivities:          pas.Items,
		LegitimateInterestAssessments: lias.Items,
		RetentionPolicies:             rps.Items,
		AccessRoles:                   ars.Items,
		CRMDatabases:                  dbs.Items,
		DataBreaches:                  breaches.Items,
		DataSubjectRequests:           dsrs.Items,
	}, nil
}
