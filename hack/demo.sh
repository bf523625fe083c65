#!/usr/bin/env bash
# make demo: the operator at work on a local control plane and a demo CRM.
#
# Builds the manager and the kubectl plugin, starts etcd + kube-apiserver (the envtest
# binaries hack/envtest.sh builds), seeds a CRM with fictitious contacts, runs the
# operator, applies the samples, and shows the plan, one enforced run, the database after
# it, the register, an objection and an access request with its export.
#
#   make demo                 the CRM is an embedded SQLite file (.demo/crm.sqlite)
#   make demo CRM=postgres    the CRM is a throwaway PostgreSQL server on 127.0.0.1; the demo
#                             also applies the AccessRole sample and shows its grants, as the
#                             operator reports them and as PostgreSQL itself sees them
#
# Everything it starts stops on exit or Ctrl-C (the PostgreSQL server too, its data directory
# removed); KEEP=1 keeps it all running to explore until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO="$PWD/.demo"
CRM="${CRM:-sqlite}"
KEEP="${KEEP:-}"
NS=sales

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

case "$CRM" in
sqlite) ;;
postgres)
	# The PostgreSQL server binaries of Debian's package (the newest installed major);
	# PG_BINDIR overrides.
	PG_BINDIR="${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
	PSQL="$(command -v psql || true)"
	if [ ! -x "${PG_BINDIR:-/nonexistent}/initdb" ] || [ ! -x "$PG_BINDIR/postgres" ] || [ -z "$PSQL" ]; then
		die "CRM=postgres needs the PostgreSQL server and psql: apt-get install -y postgresql"
	fi
	# initdb and postgres refuse to run as root: run them as the postgres system user.
	AS_PG=()
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "running as root needs the postgres system user: apt-get install -y postgresql"
		AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups --)
	fi
	;;
*)
	echo "make demo CRM=$CRM: unknown CRM; use CRM=sqlite (the default) or CRM=postgres" >&2
	exit 2
	;;
esac

step "Building the manager, the kubectl plugin and the demo tools"
ASSETS="$(hack/envtest.sh)"
export KUBEBUILDER_ASSETS="$ASSETS"
KUBECTL="$ASSETS/kubectl"
make --no-print-directory build >/dev/null
go build -o bin/localcluster ./hack/localcluster
go build -o bin/democrm ./hack/democrm
rm -rf "$DEMO" && mkdir -p "$DEMO"

pids=()
PGDIR="" PGPID=""
cleanup() {
	trap - EXIT
	trap "" INT TERM # a second Ctrl-C does not interrupt the cleanup
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "$PGPID" ]; then
		# Fast shutdown: disconnect the clients, stop cleanly.
		kill -INT "$PGPID" 2>/dev/null || true
		for _ in $(seq 1 60); do kill -0 "$PGPID" 2>/dev/null || break; sleep 0.5; done
		kill -KILL "$PGPID" 2>/dev/null || true
		wait "$PGPID" 2>/dev/null || true
	fi
	[ -n "$PGDIR" ] && rm -rf "$PGDIR"
	echo "demo: stopped everything it started (logs in .demo/)"
}
# Ctrl-C or kill: exit, which runs cleanup (a trap that only cleaned up would let the script
# carry on without its servers).
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# free_port prints a TCP port of 127.0.0.1 nothing listens on.
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found on 127.0.0.1"
}

# start_postgres initialises a data directory in a new temporary directory and starts a
# server on it, listening on 127.0.0.1 only, with its unix socket in that directory (mode
# 0700: only its owner and root reach the superuser's trust login there).
start_postgres() {
	PGDIR="$(mktemp -d "${TMPDIR:-/tmp}/crm-demo-postgres.XXXXXX")"
	[ "${#AS_PG[@]}" -eq 0 ] || chown postgres:postgres "$PGDIR"
	(cd "$PGDIR" && "${AS_PG[@]}" "$PG_BINDIR/initdb" -D "$PGDIR/data" -U postgres \
		--auth-local=trust --auth-host=scram-sha-256 --no-locale --encoding=UTF8 --no-sync) \
		>"$DEMO/postgres-initdb.log" 2>&1 || die "initdb failed; see .demo/postgres-initdb.log"
	for _ in 1 2 3; do
		PGPORT="$(free_port)"
		(cd "$PGDIR" && exec "${AS_PG[@]}" "$PG_BINDIR/postgres" -D "$PGDIR/data" -p "$PGPORT" -k "$PGDIR" \
			-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off) \
			>>"$DEMO/postgres.log" 2>&1 &
		PGPID=$!
		for _ in $(seq 1 120); do
			kill -0 "$PGPID" 2>/dev/null || break
			"$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" && return 0
			sleep 0.5
		done
		# Not ready: another process may have taken the port in between; try another.
		kill -INT "$PGPID" 2>/dev/null || true
		wait "$PGPID" 2>/dev/null || true
		PGPID=""
	done
	tail -n 20 "$DEMO/postgres.log" >&2
	die "PostgreSQL did not start; see .demo/postgres.log"
}

# psql_admin runs psql as the server's superuser, through the unix socket. No pager in
# psql_admin and psql_as: the demo must not stop for a key press in a small terminal.
psql_admin() { "$PSQL" -X -q -P pager=off -v ON_ERROR_STOP=1 -h "$PGDIR" -p "$PGPORT" -U postgres "$@"; }

# psql_as USER PASSWORD ARGS… logs in over TCP with a password, as a CRM user would.
psql_as() {
	local user=$1 password=$2
	shift 2
	PGPASSWORD="$password" "$PSQL" -X -P pager=off -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U "$user" -d crm "$@"
}

# democrm runs the demo CRM tool on the demo database.
democrm() {
	local cmd=$1
	shift
	if [ "$CRM" = postgres ]; then
		PGPASSWORD="$OPERATOR_PASSWORD" bin/democrm "$cmd" -engine postgres \
			-db "postgres://$OPERATOR_USER@127.0.0.1:$PGPORT/crm?sslmode=disable" "$@"
	else
		bin/democrm "$cmd" -db "$DEMO/crm.sqlite" "$@"
	fi
}

step "Starting a local control plane (etcd + kube-apiserver) with the CRDs"
bin/localcluster -write-kubeconfig "$DEMO/kubeconfig" >"$DEMO/controlplane.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do [ -s "$DEMO/kubeconfig" ] && break; sleep 1; done
[ -s "$DEMO/kubeconfig" ] || die "the control plane did not start; see .demo/controlplane.log"
export KUBECONFIG="$DEMO/kubeconfig"
k() { "$KUBECTL" "$@"; }

if [ "$CRM" = postgres ]; then
	step "Starting a throwaway PostgreSQL server ($("$PG_BINDIR/postgres" --version | sed 's/^postgres (PostgreSQL) //')) on 127.0.0.1"
	start_postgres
	echo "PostgreSQL listens on 127.0.0.1:$PGPORT; data directory $PGDIR/data (removed on exit)"
	# The operator's own login: it owns the database and the CRM tables (it grants on them
	# and puts the AccessRole's row filter on contacts), has CREATEROLE (it creates the
	# AccessRole's group role and the members' logins), may switch statement logging off
	# while it sends a password verifier, and may end the sessions of the logins it locks
	# (pg_signal_backend). Not a superuser: config/samples/crm/operator-grants-postgres.sql.
	OPERATOR_USER=crm_privacy_operator
	OPERATOR_PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
	psql_admin -d postgres <<SQL
CREATE ROLE $OPERATOR_USER LOGIN CREATEROLE PASSWORD '$OPERATOR_PASSWORD';
CREATE DATABASE crm OWNER $OPERATOR_USER;
GRANT SET ON PARAMETER log_statement, log_min_duration_statement, log_min_duration_sample,
  log_transaction_sample_rate, log_min_error_statement TO $OPERATOR_USER;
GRANT pg_signal_backend TO $OPERATOR_USER;
SQL
	echo "created database crm and the operator's login $OPERATOR_USER (LOGIN CREATEROLE, owner of crm)"
	step "Seeding the demo CRM (PostgreSQL, fictitious contacts; the tables are owned by $OPERATOR_USER)"
else
	step "Seeding the demo CRM (SQLite, fictitious contacts)"
fi
democrm seed -contacts 3000
democrm count

step "Starting the operator (logs in .demo/manager.log)"
bin/manager --leader-elect=false --metrics-bind-address=0 --health-probe-bind-address=0 \
	--recheck-interval=10s --zap-encoder=console >"$DEMO/manager.log" 2>&1 &
pids+=($!)

LEDGER_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n')"
k create namespace "$NS" >/dev/null
if [ "$CRM" = postgres ]; then
	step "Applying the samples to namespace $NS, with the AccessRole (the CRM database points at the demo server)"
	k apply -n "$NS" -f - <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: crm-db-credentials
stringData:
  host: 127.0.0.1
  port: "$PGPORT"
  user: $OPERATOR_USER
  password: $OPERATOR_PASSWORD
  database: crm
---
apiVersion: v1
kind: Secret
metadata:
  name: crm-db-ledger-key
stringData:
  hmac-key: $LEDGER_KEY
YAML
	# The sample's CRMDatabase as it is, but without TLS: the throwaway server listens on
	# loopback only and has no certificate. Its Secrets are the demo's, above.
	crmdb="$(awk 'BEGIN { RS = "\n---\n" } /(^|\n)kind: CRMDatabase\n/' config/samples/privacy_v1alpha1_crmdatabase.yaml |
		sed 's/^\( *mode:\) verify-full$/\1 disable/')"
	grep -q '^ *mode: disable$' <<<"$crmdb" || die "config/samples/privacy_v1alpha1_crmdatabase.yaml changed: cannot set its tls mode for the demo"
	k apply -n "$NS" -f - <<<"$crmdb"
	k apply -n "$NS" -f config/samples/privacy_v1alpha1_legitimateinterestassessment.yaml \
		-f config/samples/privacy_v1alpha1_processingactivity.yaml \
		-f config/samples/privacy_v1alpha1_retentionpolicy.yaml \
		-f config/samples/privacy_v1alpha1_accessrole.yaml
else
	step "Applying the samples to namespace $NS (the CRM database points at the demo CRM)"
	k apply -n "$NS" -f - <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: crm-db-credentials
stringData:
  path: $DEMO/crm.sqlite
---
apiVersion: v1
kind: Secret
metadata:
  name: crm-db-ledger-key
stringData:
  hmac-key: $LEDGER_KEY
---
apiVersion: privacy.crmoperator.io/v1alpha1
kind: CRMDatabase
metadata:
  name: crm-db
spec:
  engine: sqlite
  connection:
    secretRef:
      name: crm-db-credentials
  preset: generic
  ledger:
    hmacKeySecretRef:
      name: crm-db-ledger-key
      key: hmac-key
YAML
	k apply -n "$NS" -f config/samples/privacy_v1alpha1_legitimateinterestassessment.yaml \
		-f config/samples/privacy_v1alpha1_processingactivity.yaml \
		-f config/samples/privacy_v1alpha1_retentionpolicy.yaml
fi
k wait -n "$NS" --for=condition=Ready crmdatabase/crm-db --timeout=120s
# Run the enforced sample policy at the next minute instead of 02:30.
k patch -n "$NS" retentionpolicy prospects-retention --type merge -p '{"spec":{"schedule":"* * * * *","timeZone":"UTC"}}' >/dev/null
k wait -n "$NS" --for=jsonpath='{.status.pending}' retentionpolicy/prospects-retention --timeout=60s >/dev/null 2>&1 || true
[ "$CRM" != postgres ] || k wait -n "$NS" --for=condition=Ready accessrole/sales-team --timeout=120s

step "kubectl get crmprivacy -n $NS"
k get crmprivacy -n "$NS"

step "kubectl gdpr plan -n $NS   (what each rule would erase now)"
bin/kubectl-gdpr plan -n "$NS" || true

# access_status prints what the operator recorded in the AccessRole's status.
access_status() {
	local granted revoked active audited
	IFS='|' read -r granted revoked active audited < <(k get accessrole -n "$NS" sales-team \
		-o jsonpath='{.status.granted}|{.status.revoked}|{.status.activeMembers}|{.status.lastAuditAt}{"\n"}')
	echo "status: ${granted:-0} privileges granted, ${revoked:-0} revoked by the last pass, ${active:-0} active member(s); audited at $audited"
	k get accessrole -n "$NS" sales-team -o jsonpath='{range .status.members[*]}{.user}|{.state}|{.reason}|{.message}{"\n"}{end}' |
		while IFS='|' read -r user state reason message; do
			printf '  %-13s %s%s\n' "$user" "$state" "${reason:+ ($reason: $message)}"
		done
}

# server_privileges prints what PostgreSQL itself says crm_sales may do with the tables.
server_privileges() {
	echo "Privileges of crm_sales on the tables of crm (has_table_privilege, has_column_privilege):"
	psql_admin -d crm -P footer=off <<'SQL'
SELECT c.relname AS "table",
       COALESCE(string_agg(DISTINCT p.priv, ', ') FILTER (WHERE has_table_privilege('crm_sales', c.oid, p.priv)), '') AS "on the whole table",
       -- Columns have no DELETE privilege.
       COALESCE(string_agg(DISTINCT p.priv, ', ') FILTER (WHERE NOT has_table_privilege('crm_sales', c.oid, p.priv)
                AND CASE WHEN p.priv = 'DELETE' THEN false ELSE has_column_privilege('crm_sales', c.oid, a.attnum, p.priv) END), '')
         AS "on some columns only"
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p(priv)
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
GROUP BY c.oid, c.relname ORDER BY c.relname;
SQL
	local readable hidden
	IFS='|' read -r readable hidden < <(psql_admin -d crm -tA -F '|' -c "
SELECT string_agg(attname, ', ' ORDER BY attnum) FILTER (WHERE has_column_privilege('crm_sales', attrelid, attnum, 'SELECT')),
       string_agg(attname, ', ' ORDER BY attnum) FILTER (WHERE NOT has_column_privilege('crm_sales', attrelid, attnum, 'SELECT'))
FROM pg_attribute WHERE attrelid = 'contacts'::regclass AND attnum > 0 AND NOT attisdropped")
	echo "Columns of contacts crm_sales may SELECT:" && fold -s -w 96 <<<"$readable" | sed 's/^/  /; s/ *$//'
	echo "Columns of contacts crm_sales may NOT SELECT:" && fold -s -w 96 <<<"$hidden" | sed 's/^/  /; s/ *$//'
}

# server_members prints the logins holding crm_sales and its row filter.
server_members() {
	echo "Logins holding crm_sales (pg_auth_members, pg_roles) and its row filter (pg_policy):"
	psql_admin -d crm -P footer=off <<'SQL'
SELECT m.rolname AS member, m.rolcanlogin AS "can log in",
       (SELECT p.polname || ': ' || pg_get_expr(p.polqual, p.polrelid) FROM pg_policy p
        WHERE p.polrelid = 'contacts'::regclass AND p.polroles @> ARRAY['crm_sales'::regrole::oid]) AS "row filter on contacts"
FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member
WHERE am.roleid = 'crm_sales'::regrole ORDER BY 1;
SQL
}

# latest_revision prints the number of the newest RegisterRevision (0 when none).
latest_revision() {
	k get registerrevisions -o jsonpath='{range .items[*]}{.spec.revision}{"\n"}{end}' | sort -n | tail -n 1 | grep . || echo 0
}

if [ "$CRM" = postgres ]; then
	step "The AccessRole: kubectl get accessroles -n $NS -o wide"
	k get accessroles -n "$NS" -o wide
	access_status

	step "kubectl gdpr audit access --database crm-db -n $NS   (who can read which personal columns)"
	rc=0
	bin/kubectl-gdpr audit access --database crm-db -n "$NS" || rc=$?
	[ "$rc" = 0 ] || echo "(kubectl gdpr audit access exited with $rc: a role is not in sync or reads a restricted field)"

	step "PostgreSQL's own view of role crm_sales (psql as the server's superuser)"
	server_privileges
	server_members

	ALICE_PASSWORD="$(k get secret -n "$NS" sales-team-passwords -o jsonpath='{.data.alice}' | base64 -d)"
	step "Logging in as alice_martin (designated member of crm_sales; password from the sample's Secret)"
	IFS='|' read -r total b2c < <(psql_admin -d crm -tA -F '|' -c "SELECT count(*), count(*) FILTER (WHERE contact_type = 'B2C') FROM contacts")
	echo "The CRM holds $total contacts, $b2c of them B2C (consumers); the row filter lets the sales team see business (B2B) contacts only."
	echo "$ psql -U alice_martin -c 'SELECT count(*) …'"
	psql_as alice_martin "$ALICE_PASSWORD" -P footer=off \
		-c "SELECT count(*) AS \"contacts alice_martin sees\", count(*) FILTER (WHERE contact_type = 'B2B') AS \"of which B2B\" FROM contacts"
	echo "$ psql -U alice_martin -c 'SELECT id, company, job_role, lifecycle_stage FROM contacts …'   (granted columns)"
	psql_as alice_martin "$ALICE_PASSWORD" -P footer=off \
		-c "SELECT id, company, job_role, lifecycle_stage FROM contacts ORDER BY id LIMIT 3"
	echo "$ psql -U alice_martin -c 'SELECT birth_date FROM contacts …'   (a private column, not granted)"
	if psql_as alice_martin "$ALICE_PASSWORD" -c "SELECT birth_date FROM contacts LIMIT 1" 2>"$DEMO/psql.err"; then
		die "alice_martin could read contacts.birth_date: the grants are wrong"
	fi
	sed 's/^/  /' "$DEMO/psql.err"

	step "A DBA grants SELECT on contacts.birth_date to crm_sales by hand; the operator revokes it"
	psql_admin -d crm -c "GRANT SELECT (birth_date) ON contacts TO crm_sales"
	echo "granted out of band at $(date -u +%H:%M:%S); waiting for the operator's next check (every 10 s in this demo)"
	revoked=""
	for _ in $(seq 1 60); do
		if [ "$(psql_admin -d crm -tA -c "SELECT has_column_privilege('crm_sales', 'contacts', 'birth_date', 'SELECT')")" = f ]; then
			revoked=yes
			break
		fi
		sleep 1
	done
	[ -n "$revoked" ] || die "the out-of-band grant was not revoked within 60 s; see .demo/manager.log"
	echo "revoked by $(date -u +%H:%M:%S): has_column_privilege('crm_sales', 'contacts', 'birth_date', 'SELECT') is false again"
	k get events -n "$NS" --field-selector involvedObject.name=sales-team,reason=DriftCorrected \
		-o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message
	access_status

	step "bruno_leroy's designation ends (validUntil set to a minute ago): he loses the role"
	until_ts="$(date -u -d '1 minute ago' +%Y-%m-%dT%H:%M:%SZ)"
	for _ in $(seq 1 30); do [ "$(latest_revision)" -gt 0 ] && break; sleep 1; done
	rev_before="$(latest_revision)"
	k patch -n "$NS" accessrole sales-team --type json \
		-p "[{\"op\":\"replace\",\"path\":\"/spec/members/1/designation/validUntil\",\"value\":\"$until_ts\"}]" >/dev/null
	k wait -n "$NS" --for=jsonpath='{.status.members[?(@.user=="bruno_leroy")].state}'=Suspended accessrole/sales-team --timeout=60s >/dev/null
	access_status
	BRUNO_PASSWORD="$(k get secret -n "$NS" sales-team-passwords -o jsonpath='{.data.bruno}' | base64 -d)"
	echo "$ psql -U bruno_leroy -c 'SELECT 1'"
	if psql_as bruno_leroy "$BRUNO_PASSWORD" -c "SELECT 1" >/dev/null 2>"$DEMO/psql.err"; then
		die "bruno_leroy could still log in after his designation ended"
	fi
	sed 's/^/  /' "$DEMO/psql.err"
	server_members
	echo "The designation is part of the register: the change makes a new revision."
	for _ in $(seq 1 60); do [ "$(latest_revision)" -gt "$rev_before" ] && break; sleep 1; done
	[ "$(latest_revision)" -gt "$rev_before" ] || die "no register revision recorded the change within 60 s; see .demo/manager.log"
	echo "$ kubectl gdpr register diff $rev_before $(latest_revision)"
	bin/kubectl-gdpr register diff "$rev_before" "$(latest_revision)"
fi

step "The DPO approves this one run: runID and specHash come from status.awaitingApproval"
# The plan is larger than the budget: the due run waits for an approval of exactly that run
# and that spec (a later run, or a changed rule, needs a new one).
k wait -n "$NS" --for=jsonpath='{.status.awaitingApproval.runID}' retentionpolicy/prospects-retention --timeout=90s >/dev/null
read -r run_id spec_hash planned < <(k get retentionpolicy -n "$NS" prospects-retention \
	-o jsonpath='{.status.awaitingApproval.runID} {.status.awaitingApproval.specHash} {.status.awaitingApproval.planned}{"\n"}')
echo "run $run_id, spec hash ${spec_hash:0:12}…, $planned contact(s) planned"
k patch -n "$NS" retentionpolicy prospects-retention --type merge -p "$(printf '{"spec":{"approval":{"approvedBy":"dpo@example.com","approvedAt":"%s","runID":"%s","specHash":"%s","maxDeletions":%d,"reason":"Demo: first clean-up of prospects out of touch for two years"}}}' \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$run_id" "$spec_hash" "$planned")"

step "Waiting for the enforced run of prospects-retention"
k wait -n "$NS" --for=jsonpath='{.status.lastRun.result}'=Succeeded retentionpolicy/prospects-retention --timeout=150s
k get retentionpolicy -n "$NS"
k get retentionpolicy -n "$NS" prospects-retention -o jsonpath='{.status.lastRun}{"\n"}'

step "The demo CRM after the run"
democrm count

step "The register: kubectl get registerrevisions"
k get registerrevisions
step "kubectl gdpr register export --format markdown (first lines)"
bin/kubectl-gdpr register export --format markdown | head -40
bin/kubectl-gdpr register verify

step "A customer objects to direct marketing (Art. 21): kubectl gdpr request create objection"
# The email goes to the plugin on standard input (as a DPO would paste it at the prompt),
# never on the command line; the plugin puts it in a Secret and creates the request.
objector_email="$(democrm pick 2>"$DEMO/pick-objection.txt")"
objector="$(sed -n 's/^democrm: contact //p' "$DEMO/pick-objection.txt")"
echo "Before the request:"
democrm person -id "$objector"
printf '%s\n' "$objector_email" | bin/kubectl-gdpr request create objection --database crm-db -n "$NS" --name objection-demo
k wait -n "$NS" --for=condition=Completed dsr/objection-demo --timeout=120s >/dev/null
echo "Completed. The CRM now records the objection:"
democrm person -id "$objector"
echo "The identity Secret is gone, and the request holds counts and a keyed hash only:"
k get secret -n "$NS" objection-demo-identity 2>&1 | sed 's/^/  /' || true
k get dsr -n "$NS" objection-demo -o jsonpath='  identityHash {.status.identityHash}{"\n"}  databases {.status.databases}{"\n"}'

step "A customer asks for their data (Art. 15): request create access, then request export"
democrm pick -skip 1 2>/dev/null | bin/kubectl-gdpr request create access --database crm-db -n "$NS" --name access-demo
k wait -n "$NS" --for=condition=Completed dsr/access-demo --timeout=120s >/dev/null
bin/kubectl-gdpr request export access-demo -n "$NS" -o "$DEMO/access-demo.md"
echo "First lines of .demo/access-demo.md (fictitious data), the document the DPO sends to the person:"
head -n 30 "$DEMO/access-demo.md" | sed 's/^/  /'

step "kubectl gdpr request list -n $NS   (the soonest due first; exit code 2 when one is overdue)"
k get dsr -n "$NS"
bin/kubectl-gdpr request list -n "$NS"

if [ -n "$KEEP" ]; then
	step "Everything keeps running. In another shell:"
	echo "  export KUBECONFIG=$DEMO/kubeconfig PATH=$PWD/bin:$ASSETS:\$PATH"
	echo "  kubectl get crmprivacy -n $NS; kubectl gdpr plan -n $NS; kubectl gdpr scan -n $NS"
	if [ "$CRM" = postgres ]; then
		echo "  kubectl get ar -n $NS -o wide; kubectl gdpr audit access --database crm-db -n $NS"
		echo "The demo's PostgreSQL (throwaway credentials):"
		echo "  PGPASSWORD=$OPERATOR_PASSWORD psql -h 127.0.0.1 -p $PGPORT -U $OPERATOR_USER crm    # the operator's login"
		echo "  PGPASSWORD=$ALICE_PASSWORD psql -h 127.0.0.1 -p $PGPORT -U alice_martin crm    # a member of crm_sales"
		if [ "${#AS_PG[@]}" -gt 0 ]; then
			echo "  psql -h $PGDIR -p $PGPORT -U postgres crm    # the superuser (as root, through the socket)"
		else
			echo "  psql -h $PGDIR -p $PGPORT -U postgres crm    # the superuser (through the socket)"
		fi
	fi
	echo "Ctrl-C stops it all."
	# Here Ctrl-C is the way out, not an interruption.
	trap 'exit 0' INT TERM
	wait
fi
