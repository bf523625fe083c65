// Package e2e holds the end-to-end tests: the built manager binary and the kubectl plugin
// against a local control plane and a real PostgreSQL, driven with the real kubectl.
package e2e
