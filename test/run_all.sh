#!/usr/bin/env bash
# Builds everything and runs every test layer: unit (ctest, librdkafka's mock cluster where a test
# needs one), fuzz (libFuzzer, bounded time), SQL API (pg_regress), end-to-end (pgTAP via pg_prove),
# the real chain (MariaDB -> Debezium -> Kafka) and fault tests, against a throwaway PostgreSQL 15
# and a real single-node Kafka broker that this script starts and stops; then the SQL API and
# end-to-end layers again on PostgreSQL 18 (test/pgver).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CDC_KAFKA=real  # pgTAP and the fault tests run against a real broker
source test/harness/common.sh
trap stop_all EXIT

echo "== build"
bash test/build.sh

echo "== unit tests (ctest)"
(cd build && ctest --output-on-failure -j"$(nproc)")

echo "== fuzz"
# libFuzzer + ASan/UBSan on the decoders and the batch, for a bounded time (CDC_FUZZ_SECONDS,
# default 60; 0 skips). Any crash, sanitizer report or leak fails the run.
if [ "${CDC_FUZZ_SECONDS:-60}" -gt 0 ]; then
  bash test/fuzz/run.sh "${CDC_FUZZ_SECONDS:-60}"
else
  echo "fuzz: skipped (CDC_FUZZ_SECONDS=0)"
fi

echo "== starting Kafka (a real broker) and PostgreSQL"
start_all

echo "== SQL API tests (pg_regress)"
if ! PGUSER=postgres make installcheck; then
  cat regression.diffs 2>/dev/null | head -200
  exit 1
fi

echo "== end-to-end tests (pgTAP)"
tpsql -d "$E2E_DB" -f test/pgtap/helpers.sql >/dev/null
pg_prove -U postgres -h "$PGHOST" -p "$PGPORT" -d "$E2E_DB" --timer test/pgtap/[0-9]*.sql

echo "== real chain smoke test (MariaDB -> Debezium -> Kafka)"
# The jars come from Maven Central once, into a cache outside the clone (test/stack/stack.sh).
bash test/stack/smoke.sh "$RUN_DIR/stack-smoke"
echo "== every MySQL type through the real chain (MariaDB -> Debezium -> Kafka -> cdc_sync)"; bash test/stack/types/run.sh "$RUN_DIR/stack-types"
echo "== a full load racing the real stream (MariaDB -> Debezium -> Kafka -> cdc_sync, and full_load)"
bash test/stack/load_race.sh "$RUN_DIR/stack-load-race"

echo "== database encodings (LATIN1, SQL_ASCII)"
bash test/encoding/run.sh

echo "== fault tests"
for t in test/fault/[0-9]*.sh; do
  [ -e "$t" ] || continue
  bash "$t"
done

# PostgreSQL 18 (built once from Debian's source package into /var/cache/cdc_sync/pg): the SQL API
# and end-to-end layers again. CDC_PG_VERSIONS lists the majors ("" skips); 17 builds the same way
# once Debian's archive serves its source (today it answers 404).
for v in ${CDC_PG_VERSIONS-18}; do
  echo "== PostgreSQL $v"
  stop_all
  bash test/pgver/run.sh "$v"
done
echo "== all test layers passed"
