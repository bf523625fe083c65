//go:build tools

// Package tools pins the supply-chain check `make vulncheck` runs: govulncheck, and the Go
// vulnerability database as a module (golang.org/x/vulndb, its OSV files and the indexdb
// command that turns them into the database layout govulncheck reads with -db file://).
// Nothing is fetched from vuln.go.dev at run time: the database is as of the pinned version.
package tools

import (
	_ "golang.org/x/vuln/cmd/govulncheck"
	_ "golang.org/x/vulndb/cmd/indexdb"
)
