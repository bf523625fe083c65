// Package controllers holds one reconciler per kind of the privacy.crmoperator.io API.
// Reconcilers read and write Kubernetes objects and call internal/crm for everything that
// touches a CRM database: no SQL is built here.
package controllers
