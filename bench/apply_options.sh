#!/usr/bin/env bash
# What the apply options cost (issue 11): version_column and delete_mode soft against plain upsert,
# measured in the same run on the same events, the variants taking turns in every repetition.
#
# Usage: bench/apply_options.sh [--rows N] [--partitions P] [--repeat R] [--build] [--keep]
#   --rows N        events per phase (env BENCH_ROWS, default 200000)
#   --partitions P  Kafka partitions of each topic (env BENCH_PARTITIONS, default 16)
#   --repeat R      measurements per phase and variant; the median is reported (default 3)
#   --build         run test/build.sh first
#   --keep          leave PostgreSQL and Kafka running at the end
# Instances: CDC_RUN_DIR (default /tmp/cdc_bench_options), CDC_PGPORT (default 55452).
#
# What it does:
#   1. gen_events bench: N inserts, N updates and N deletes of one 23-column store_sales table,
#      produced once to topics bench_insert, bench_update and bench_delete (real Kafka).
#   2. R times, for each variant in turn -- plain (no option), version ("version_column":
#      "_cdc_source_ts"), soft ("delete_mode": "soft") -- a pipeline per phase into the variant's
#      own table, timed from start_pipeline() until wait_for_catchup() returns.
#   3. Checks: after the update phase the three tables hold the same rows; after the delete phase
#      plain and version are empty and soft holds N rows marked deleted.
#   4. Prints the median seconds per phase and variant, and each variant's time over plain's.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ROWS=${BENCH_ROWS:-200000}
PARTITIONS=${BENCH_PARTITIONS:-16}
REPEAT=${BENCH_REPEAT:-3}
DO_BUILD=0
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --partitions) PARTITIONS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --build) DO_BUILD=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^# Instances/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in ROWS PARTITIONS REPEAT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done

export CDC_KAFKA=real
export STACK_JVM_OPTS=${STACK_JVM_OPTS:-"-XX:+UseSerialGC -Djava.awt.headless=true"}
export CDC_RUN_DIR=${CDC_RUN_DIR:-/tmp/cdc_bench_options}
export CDC_PGPORT=${CDC_PGPORT:-55452}
export CDC_E2E_DB=${CDC_E2E_DB:-cdc_bench}
source test/harness/common.sh
source bench/lib.sh
if [ "$DO_BUILD" = 1 ]; then bash test/build.sh; fi
[ -x "$BUILD/gen_events" ] || { echo "bench: $BUILD/gen_events is missing; run with --build" >&2; exit 1; }
cleanup() { if [ "$KEEP" = 1 ]; then echo "bench: kept running (PGPORT=$PGPORT)"; else stop_all; rm -rf "$RUN_DIR/data"; fi; }
trap cleanup EXIT
bpsql() { tpsql -d "$E2E_DB" -At -v ON_ERROR_STOP=1 "$@"; }
export PGOPTIONS='-c client_min_messages=warning'

fresh_instances
DATA=$RUN_DIR/data
mkdir -p "$DATA"
PHASES="insert update delete"
VARIANTS="plain version soft"
declare -A OPTS=([plain]='{}' [version]='{"version_column": "_cdc_source_ts"}' [soft]='{"delete_mode": "soft"}')

log "generating and producing $ROWS events per phase ($PARTITIONS partitions)"
for phase in $PHASES; do
  "$BUILD/gen_events" bench --rows "$ROWS" --partitions "$PARTITIONS" --phase "$phase" --db bench \
    --table store_sales >"$DATA/$phase.events" 2>"$DATA/$phase.gen.log"
  create_topic "bench_$phase" "$PARTITIONS" || exit 1
  "$BUILD/kafka_produce" --brokers "$BROKERS" --topic "bench_$phase" <"$DATA/$phase.events" 2>"$DATA/$phase.produce.log" ||
    { cat "$DATA/$phase.produce.log"; exit 1; }
done
bpsql -c "CREATE EXTENSION IF NOT EXISTS cdc_sync" >/dev/null
DDL=$("$BUILD/gen_events" bench --rows 1 --partitions 1 --phase insert --table store_sales --ddl --ddl-schema SCHEMA 2>/dev/null)

# Seconds for the pipeline of `phase` into the table of `variant` in repetition `rep` to catch up.
run_phase() {
  local rep=$1 variant=$2 phase=$3 name="b_${2}_${3}_$1" file=$RUN_DIR/$2_$3_$1.sql
  cat >"$file" <<SQL
\set ON_ERROR_STOP 1
SELECT cdc_sync.create_pipeline('$name', '$BROKERS', ARRAY['bench_$phase'], 'debezium', '{"batch_max_rows": 20000}');
SELECT cdc_sync.add_sync_table('$name', 'bench.store_sales', '${variant}_$rep.store_sales', NULL, '${OPTS[$variant]}');
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT cdc_sync.start_pipeline('$name');
SELECT cdc_sync.wait_for_catchup('$name', '1800 s') AS caught_up \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
SELECT cdc_sync.stop_pipeline('$name');
\echo RESULT :caught_up :secs
SQL
  chown postgres: "$file"
  local out
  out=$(bpsql -f "$file" | sed -n 's/^RESULT //p')
  [ "${out%% *}" = t ] || { echo "bench: $name did not catch up: $out" >&2; exit 1; }
  echo "${out#* }"
}

declare -A SECS
for rep in $(seq 1 "$REPEAT"); do
  for variant in $VARIANTS; do
    # The options' columns exist beforehand, so every variant starts from a ready table.
    bpsql -c "CREATE SCHEMA ${variant}_$rep" -c "${DDL//SCHEMA/${variant}_$rep}" \
          -c "ALTER TABLE ${variant}_$rep.store_sales SET (autovacuum_enabled = false)" >/dev/null
    case $variant in
      version) bpsql -c "ALTER TABLE version_$rep.store_sales ADD COLUMN _cdc_source_ts timestamptz" >/dev/null ;;
      soft) bpsql -c "ALTER TABLE soft_$rep.store_sales ADD COLUMN _cdc_deleted boolean NOT NULL DEFAULT false,
                      ADD COLUMN _cdc_deleted_at timestamptz" >/dev/null ;;
    esac
  done
  for phase in $PHASES; do
    for variant in $VARIANTS; do
      SECS[$phase,$variant,$rep]=$(run_phase "$rep" "$variant" "$phase")
      log "run $rep $phase $variant: ${SECS[$phase,$variant,$rep]} s"
    done
    cols=$(bpsql -c "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                     WHERE attrelid = 'plain_$rep.store_sales'::regclass AND attnum > 0 AND NOT attisdropped")
    if [ "$phase" = update ]; then
      diff=$(bpsql -c "SELECT (SELECT count(*) FROM (SELECT $cols FROM version_$rep.store_sales EXCEPT SELECT $cols FROM plain_$rep.store_sales) x)
                            + (SELECT count(*) FROM (SELECT $cols FROM soft_$rep.store_sales EXCEPT SELECT $cols FROM plain_$rep.store_sales) x)
                            + (SELECT count(*) FROM (SELECT $cols FROM plain_$rep.store_sales EXCEPT SELECT $cols FROM version_$rep.store_sales) x)
                            || ' ' || (SELECT count(*) FROM plain_$rep.store_sales)")
      [ "$diff" = "0 $ROWS" ] || { echo "bench: after the updates the variants differ (differences, rows: $diff)" >&2; exit 1; }
    elif [ "$phase" = delete ]; then
      left=$(bpsql -c "SELECT (SELECT count(*) FROM plain_$rep.store_sales) || ' ' || (SELECT count(*) FROM version_$rep.store_sales)
                       || ' ' || (SELECT count(*) FILTER (WHERE _cdc_deleted) FROM soft_$rep.store_sales)")
      [ "$left" = "0 0 $ROWS" ] || { echo "bench: after the deletes: plain, version rows, soft deleted rows: $left" >&2; exit 1; }
    fi
  done
  if [ "$rep" -gt 1 ]; then
    for variant in $VARIANTS; do bpsql -c "DROP SCHEMA ${variant}_$((rep - 1)) CASCADE" >/dev/null; done
  fi
done

runs() { for r in $(seq 1 "$REPEAT"); do printf '%s ' "${SECS[$1,$2,$r]}"; done; }
echo
echo "cdc_sync apply options: $ROWS events/phase, $PARTITIONS partitions, median of $REPEAT runs, $(nproc) CPUs," \
     "repository at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
printf '%-7s %10s %10s %10s %14s %14s\n' phase plain_s version_s soft_s version/plain soft/plain
for phase in $PHASES; do
  p=$(runs "$phase" plain | median); v=$(runs "$phase" version | median); s=$(runs "$phase" soft | median)
  printf '%-7s %10.2f %10.2f %10.2f %14.2f %14.2f\n' "$phase" "$p" "$v" "$s" "$(echo "$v / $p" | bc -l)" "$(echo "$s / $p" | bc -l)"
done
