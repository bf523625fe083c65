// Package retention holds the decisions of a retention policy that need no database: when a
// run is due (cron schedule in a time zone, with at most one catch-up run after downtime),
// how long a retention term is ("24m" → a cutoff time), and whether a plan stays within the
// safety budget or needs an approval. The SQL side of a sweep lives in internal/crm.
package retention
