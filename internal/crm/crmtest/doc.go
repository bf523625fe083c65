// Package crmtest holds the test helpers the CRM packages share: the engines the
// real-database tests run on, opening a Database on a test database the way the operator
// does, loading the sample schemas of config/samples/crm and small assertions on SQL.
//
// It is for tests only (it imports testing); package crm keeps its own copies in
// main_test.go, as crm's own tests cannot import a package that imports crm.
package crmtest
