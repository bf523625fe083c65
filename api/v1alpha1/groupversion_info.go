// Package v1alpha1 contains the API of crm-privacy-operator, group privacy.crmoperator.io.
// +kubebuilder:object:generate=true
// +groupName=privacy.crmoperator.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "privacy.crmoperator.io", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this package with a runtime.Scheme. scheme.Builder is
	// deprecated only to keep controller-runtime out of API packages imported by other
	// projects; kubebuilder still scaffolds it and every <kind>_types.go registers with it.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion} //nolint:staticcheck // SA1019, see above

	// AddToScheme adds the kinds of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
