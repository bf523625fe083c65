// Package metrics declares the operator's Prometheus metrics and registers them with
// controller-runtime's registry, so that the manager's metrics endpoint serves them. Labels
// carry resource names and counts only, never personal data.
package metrics
