#!/usr/bin/env bash
# Runs the SQL API tests (pg_regress, pg_isolation_regress) and the end-to-end tests (pgTAP, on a
# real broker) against another PostgreSQL major version: a server built from Debian's source
# package (build_server.sh, cached outside the clone), and cdc_sync built against it from a copy of
# this tree (PGXS builds in the source tree, where the PostgreSQL 15 objects are).
#
#   bash test/pgver/run.sh 18
#
# Needs build/ (the test tools) from test/build.sh. The fault, real-chain, encoding and benchmark
# layers stay on the system's PostgreSQL 15 (run_all.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
major=${1:?usage: bash test/pgver/run.sh MAJOR}

pg_config=$(bash test/pgver/build_server.sh "$major" | tail -1)
bindir=$("$pg_config" --bindir)
echo "PostgreSQL $major: $("$bindir/postgres" --version)"

src=${CDC_RUN_DIR:-/tmp/cdc_sync_run}-pg$major-src
rm -rf "$src"
mkdir -p "$src"
git ls-files -co --exclude-standard | grep -v '^build/' | tar -cf - -T - | tar -xf - -C "$src"
log=$src/build.log
{ make -C "$src" -j"$(nproc)" PG_CONFIG="$pg_config" && make -C "$src" install PG_CONFIG="$pg_config"; } >"$log" 2>&1 \
  || { tail -40 "$log"; echo "cdc_sync does not build against PostgreSQL $major (log: $log)"; exit 1; }
echo "cdc_sync built against PostgreSQL $major"

export PATH="$bindir:$PATH" PGBIN=$bindir CDC_KAFKA=real
source test/harness/common.sh
trap stop_all EXIT
start_all

echo "== PostgreSQL $major: SQL API tests (pg_regress, pg_isolation_regress)"
if ! (cd "$src" && PGUSER=postgres make installcheck PG_CONFIG="$pg_config"); then
  cat "$src"/regression.diffs "$src"/output_iso/regression.diffs 2>/dev/null | head -200
  exit 1
fi

echo "== PostgreSQL $major: end-to-end tests (pgTAP)"
tpsql -d "$E2E_DB" -f test/pgtap/helpers.sql >/dev/null
pg_prove -U postgres -h "$PGHOST" -p "$PGPORT" -d "$E2E_DB" --timer test/pgtap/[0-9]*.sql
