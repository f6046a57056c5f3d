#!/usr/bin/env bash
# Starts the local PostgreSQL 15 cluster and makes sure the benchmark's role and
# database exist; prints the URL for `jianguan bench --postgres URL`.
# Idempotent: safe to run again. Needs root (or the postgres user) on a Debian/Ubuntu
# machine with the postgresql-15 package (pg_ctlcluster).
set -euo pipefail

VERSION="${PG_VERSION:-15}"
CLUSTER="${PG_CLUSTER:-main}"
ROLE="${PG_ROLE:-jianguan}"
PASSWORD="${PG_PASSWORD:-jianguan}"
DATABASE="${PG_DATABASE:-jianguan_bench}"
HOST=127.0.0.1

if ! command -v pg_ctlcluster >/dev/null; then
  echo "pg_ctlcluster not found: install postgresql-$VERSION (apt-get install postgresql-$VERSION)" >&2
  exit 2
fi

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else su postgres -c "$(printf '%q ' "$@")"; fi
}

if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  pg_createcluster "$VERSION" "$CLUSTER" >&2
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c && $4 == "online" { found = 1 } END { exit !found }'; then
  pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')"

for _ in $(seq 1 30); do
  if pg_isready -q -h "$HOST" -p "$PORT"; then break; fi
  sleep 1
done
pg_isready -q -h "$HOST" -p "$PORT" || { echo "PostgreSQL did not come up on $HOST:$PORT" >&2; exit 1; }

psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" "$@"; }

if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
  psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
fi
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE"
fi

echo "postgres://$ROLE:$PASSWORD@$HOST:$PORT/$DATABASE"
