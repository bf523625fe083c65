#!/usr/bin/env bash
# Makes sure the database servers the tests start are installed: PostgreSQL (initdb, postgres)
# and MariaDB (mariadb-install-db, mariadbd) from Debian's packages, and promtool (Debian's
# prometheus package), which unit-tests the chart's alerting rules. As root it installs what
# is missing with apt-get; otherwise it stops with the command to run.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps: missing ${missing[*]}; install with: sudo sh -c '$cmd'" >&2
  exit 1
fi
echo "test-deps: installing ${missing[*]}" >&2
# Debian's packages try to start a system server; the tests never use it, and in containers
# policy-rc.d usually refuses, which is fine.
sh -c "$cmd" >&2
