#!/usr/bin/env bash
# Throughput benchmark of cdc_sync against its floor (psql \copy + one MERGE), on one server.
#
# Usage: bench/run.sh [--rows N] [--partitions P] [--batch-max-rows B] [--batch-max-ms MS]
#                     [--parallelism W] [--options JSON] [--repeat R] [--build] [--keep] [--profile]
#   --rows N            events per phase (env BENCH_ROWS, default 200000)
#   --partitions P      Kafka partitions of each topic (env BENCH_PARTITIONS, default 64)
#   --batch-max-rows B  the pipeline's batch_max_rows (env BENCH_BATCH_MAX_ROWS, default 20000)
#   --batch-max-ms MS   the pipeline's batch_max_ms (env BENCH_BATCH_MAX_MS, default: the pipeline's own)
#   --parallelism W     the pipeline's parallelism (env BENCH_PARALLELISM, default 1)
#   --options JSON      more pipeline options, merged over the above (env BENCH_OPTIONS), e.g.
#                       '{"kafka": {"queued.max.messages.kbytes": 1048576}}'
#   --repeat R          measurements per phase; the median is reported (env BENCH_REPEAT, default 3)
#   --build             run test/build.sh first (builds and installs the extension); by default the
#                       tools in build/ and the installed extension are used as they are
#   --keep              leave PostgreSQL and Kafka running at the end (for investigation)
#   --profile           also log the worker's statements with auto_explain and print, per pipeline
#                       run, the time of its count queries and MERGEs and what remains (start-up,
#                       Kafka fetch, decoding, COPY, commits); adds some overhead to the figures
# Instances: CDC_RUN_DIR (default /tmp/cdc_bench), CDC_PGPORT (default 55450).
#
# What it does:
#   1. Generates with `gen_events bench` N insert events and N update events of the same keys for a
#      23-column store_sales-like table (source bench.store_sales), plus the after-images as CSV.
#   2. Produces them (timed, but not part of any measurement) to two topics, bench_insert and
#      bench_update, of P partitions each, once, on a real single-node Kafka 4.3 broker (with
#      BENCH_KAFKA=mock on librdkafka's mock cluster, which keeps only about 5 MB per partition: the
#      script then refuses to run when the largest partition would come near that).
#   3. R times, each into fresh tables (schemas rK for the pipeline, fK for the floor):
#      insert phase  - pipeline: a new pipeline on bench_insert into an empty rK.store_sales, timed
#                      from start_pipeline() until wait_for_catchup() returns true (one psql session,
#                      clock_timestamp()); the worker's start-up is part of the time.
#                    - floor: \copy of the insert CSV into a fresh UNLOGGED table + one MERGE into an
#                      empty fK.store_sales, timed together (one psql session, clock_timestamp()).
#      update phase  - the same with a second pipeline on bench_update (the first one is stopped)
#                      and the update CSV, both targets starting from their insert-phase contents.
#      After each phase the pipeline's table must equal the phase's CSV (and so the floor's table),
#      and the pipeline must have consumed exactly N messages (none lost on the way).
#      Autovacuum is off for the benchmark tables; both targets get VACUUM (ANALYZE) and every
#      measurement starts after a CHECKPOINT, so background work hits both sides alike.
#   4. Prints per phase: events, pipeline seconds and rows/s, floor seconds and rows/s, ratio
#      (pipeline rows/s / floor rows/s), medians of R runs, a summary line and the status rows.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

ROWS=${BENCH_ROWS:-200000}
PARTITIONS=${BENCH_PARTITIONS:-64}
BATCH_MAX_ROWS=${BENCH_BATCH_MAX_ROWS:-20000}
BATCH_MAX_MS=${BENCH_BATCH_MAX_MS:-}
PARALLELISM=${BENCH_PARALLELISM:-1}
EXTRA_OPTIONS=${BENCH_OPTIONS:-}
REPEAT=${BENCH_REPEAT:-3}
DO_BUILD=0
KEEP=0
PROFILE=0

usage() { sed -n '2,/^# Instances/p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --partitions) PARTITIONS=$2; shift 2 ;;
    --batch-max-rows) BATCH_MAX_ROWS=$2; shift 2 ;;
    --batch-max-ms) BATCH_MAX_MS=$2; shift 2 ;;
    --parallelism) PARALLELISM=$2; shift 2 ;;
    --options) EXTRA_OPTIONS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --build) DO_BUILD=1; shift ;;
    --keep) KEEP=1; shift ;;
    --profile) PROFILE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
for v in ROWS PARTITIONS BATCH_MAX_ROWS PARALLELISM REPEAT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
[[ -z $BATCH_MAX_MS || $BATCH_MAX_MS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BATCH_MAX_MS must be a positive integer" >&2; exit 2; }
OPTIONS="{\"batch_max_rows\": $BATCH_MAX_ROWS, \"parallelism\": $PARALLELISM${BATCH_MAX_MS:+, \"batch_max_ms\": $BATCH_MAX_MS}}"

# A real single-node broker (test/stack/stack.sh) unless BENCH_KAFKA=mock; the broker's JVM gets
# its full JIT here (the test stack stops at C1 to start faster).
export CDC_KAFKA=${BENCH_KAFKA:-real}
export STACK_JVM_OPTS=${STACK_JVM_OPTS:-"-XX:+UseSerialGC -Djava.awt.headless=true"}
export CDC_RUN_DIR=${CDC_RUN_DIR:-/tmp/cdc_bench}
export CDC_PGPORT=${CDC_PGPORT:-55450}
export CDC_E2E_DB=${CDC_E2E_DB:-cdc_bench}
source test/harness/common.sh
source bench/lib.sh

if [ "$DO_BUILD" = 1 ]; then bash test/build.sh; fi
for tool in gen_events kafka_produce kafka_admin mock_kafka; do
  [ -x "$BUILD/$tool" ] || { echo "bench: $BUILD/$tool is missing; run with --build or bash test/build.sh" >&2; exit 1; }
done

# Stops the instances (unless --keep) and drops the generated events (~450 MB at the default N).
cleanup() {
  if [ "$KEEP" = 1 ]; then
    echo "bench: kept running (RUN_DIR=$RUN_DIR, PGPORT=$PGPORT)"
  else
    stop_all
    rm -f "$RUN_DIR"/data/*.events
  fi
}
trap cleanup EXIT

now() { date +%s.%N; }
bpsql() { tpsql -d "$E2E_DB" -At "$@"; }
export PGOPTIONS='-c client_min_messages=warning'

fresh_instances
if [ "$PROFILE" = 1 ]; then
  # auto_explain logs the duration of every statement, the worker's SPI statements included.
  cat >>"$RUN_DIR/pgdata/postgresql.conf" <<CONF
shared_preload_libraries = 'cdc_sync,auto_explain'
auto_explain.log_min_duration = 0
auto_explain.log_nested_statements = on
CONF
  as_postgres "$PGBIN/pg_ctl" -D "$RUN_DIR/pgdata" -l "$RUN_DIR/postgres.log" -w restart >/dev/null
fi
DATA=$RUN_DIR/data
mkdir -p "$DATA"

# --- 1. events and CSVs ------------------------------------------------------------------------
log "generating $ROWS insert and $ROWS update events in $PARTITIONS partitions"
for phase in insert update; do
  "$BUILD/gen_events" bench --rows "$ROWS" --partitions "$PARTITIONS" --phase "$phase" --db bench \
    --table store_sales --csv "$DATA/$phase.csv" >"$DATA/$phase.events" 2>"$DATA/$phase.gen.log"
  # The mock (librdkafka's rd_kafka_mock_msgset_new) deletes a partition's oldest message sets
  # once it holds more than 5 MiB of record batches; a v2 record adds ~10-16 bytes of framing to
  # its key and value. Stay below 95% of that (the run also checks that nothing was lost).
  read -r maxp maxbytes < <(awk -F'\t' '{b[$1] += length($2) + length($3) + 16} END {
      m = -1; for (p in b) if (b[p] > m) {m = b[p]; mp = p} print mp, m}' "$DATA/$phase.events")
  limit=$((5 * 1024 * 1024 * 95 / 100))
  if [ "$CDC_KAFKA" = mock ] && [ "$maxbytes" -gt "$limit" ]; then
    echo "bench: the $phase phase puts ~$maxbytes bytes into partition $maxp, beyond what the mock Kafka" \
         "keeps ($limit bytes used as the limit); use more --partitions" >&2
    exit 1
  fi
  log "  $phase: $(wc -l <"$DATA/$phase.events") events, $(du -m "$DATA/$phase.events" | cut -f1) MB," \
      "largest partition $maxp ~$((maxbytes / 1024)) KiB"
done
chown -R postgres: "$RUN_DIR"

# --- 2. produce once --------------------------------------------------------------------------
declare -A PRODUCE_SECS
for phase in insert update; do
  t0=$(now)
  create_topic "bench_$phase" "$PARTITIONS" || exit 1
  "$BUILD/kafka_produce" --brokers "$BROKERS" --topic "bench_$phase" <"$DATA/$phase.events" \
    2>"$DATA/$phase.produce.log" || { cat "$DATA/$phase.produce.log"; exit 1; }
  PRODUCE_SECS[$phase]=$(echo "$(now) - $t0" | bc -l)
  log "  produced to bench_$phase in $(printf %.1f "${PRODUCE_SECS[$phase]}") s: $(tail -1 "$DATA/$phase.produce.log")"
done

# --- 3. measurements ---------------------------------------------------------------------------
bpsql -c "CREATE EXTENSION IF NOT EXISTS cdc_sync" >/dev/null
if [ -n "$EXTRA_OPTIONS" ]; then
  OPTIONS=$(echo "SELECT (:'a'::jsonb || :'b'::jsonb)::text" | bpsql -v a="$OPTIONS" -v b="$EXTRA_OPTIONS")
fi
# Wait for the launcher (it restarts a few seconds later when it started before the database
# existed), so its start-up is not part of the first measurement.
for _ in $(seq 1 300); do
  [ "$(bpsql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'cdc_sync launcher'")" -gt 0 ] && break
  sleep 0.1
done
ddl() { "$BUILD/gen_events" bench --rows 1 --partitions 1 --phase insert --table store_sales --ddl --ddl-schema "$1" 2>/dev/null; }
# Column lists for the floor's MERGE, from the generator's DDL.
bpsql -c "CREATE SCHEMA probe" -c "$(ddl probe)" >/dev/null
COLS=$(bpsql -c "SELECT string_agg(quote_ident(attname), ',' ORDER BY attnum) FROM pg_attribute
                 WHERE attrelid = 'probe.store_sales'::regclass AND attnum > 0 AND NOT attisdropped")
KEYS=$(bpsql -c "SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.ord) FROM pg_index i
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                 WHERE i.indrelid = 'probe.store_sales'::regclass AND i.indisprimary")
bpsql -c "DROP SCHEMA probe CASCADE" >/dev/null
ON=$(tr ',' '\n' <<<"$KEYS" | awk '{printf "%st.%s = s.%s", (NR > 1 ? " AND " : ""), $1, $1}')
SET=$(tr ',' '\n' <<<"$COLS" | grep -vxF -f <(tr ',' '\n' <<<"$KEYS") | awk '{printf "%s%s = s.%s", (NR > 1 ? ", " : ""), $1, $1}')
VALUES=$(tr ',' '\n' <<<"$COLS" | awk '{printf "%ss.%s", (NR > 1 ? ", " : ""), $1}')

# Runs a psql script (as postgres) that \echo-es "RESULT ..." and prints what follows RESULT.
run_timed() {
  local file=$1
  chown postgres: "$file"
  bpsql -f "$file" | sed -n 's/^RESULT //p'
}

# The pipeline for one phase of repetition $1: seconds until caught up.
pipeline_phase() {
  local rep=$1 phase=$2 name="bench_${2}_$1" file=$RUN_DIR/pipeline_${2}_$1.sql
  cat >"$file" <<SQL
\set ON_ERROR_STOP 1
SELECT cdc_sync.create_pipeline('$name', '$BROKERS', ARRAY['bench_$phase'], 'debezium', '${OPTIONS//\'/\'\'}');
SELECT cdc_sync.add_sync_table('$name', 'bench.store_sales', 'r$rep.store_sales');
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT cdc_sync.start_pipeline('$name');
SELECT cdc_sync.wait_for_catchup('$name', '1800 s') AS caught_up \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
-- The workers' peak resident memory (VmHWM) so far, in kB, before they exit.
SELECT coalesce(max((regexp_match(pg_read_file('/proc/' || p || '/status'), 'VmHWM:\s+(\d+) kB'))[1]::bigint), 0)
       AS rss FROM cdc_sync.status, unnest(worker_pids) p WHERE pipeline = '$name' \gset
SELECT cdc_sync.stop_pipeline('$name');
\echo RESULT :caught_up :secs :rss
SQL
  local out
  out=$(run_timed "$file")
  echo "$phase ${out##* }" >>"$RUN_DIR/peak_rss.txt"
  out=${out% *}
  [ "${out%% *}" = t ] || { echo "bench: pipeline $name did not catch up: $out" >&2; tail -30 "$RUN_DIR/postgres.log" >&2; exit 1; }
  echo "${out#* }"
}

# The floor for one phase of repetition $1: seconds of \copy + MERGE.
floor_phase() {
  local rep=$1 phase=$2 file=$RUN_DIR/floor_${2}_$1.sql
  cat >"$file" <<SQL
\set ON_ERROR_STOP 1
DROP TABLE IF EXISTS f$rep.stage;
CREATE UNLOGGED TABLE f$rep.stage (LIKE f$rep.store_sales) WITH (autovacuum_enabled = false);
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
\copy f$rep.stage FROM '$DATA/$phase.csv' (FORMAT csv)
MERGE INTO f$rep.store_sales t USING f$rep.stage s ON $ON
  WHEN MATCHED THEN UPDATE SET $SET
  WHEN NOT MATCHED THEN INSERT ($COLS) VALUES ($VALUES);
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
\echo RESULT :secs
SQL
  run_timed "$file"
}

# Checks that rK.store_sales holds exactly the phase's CSV (loaded in fK.stage by the floor), that
# the floor's table does too, and that the pipeline consumed exactly N messages.
verify_phase() {
  local rep=$1 phase=$2 name="bench_${2}_$1"
  local got
  got=$(bpsql -c "SELECT (SELECT count(*) FROM r$rep.store_sales) || ' ' ||
                         (SELECT count(*) FROM f$rep.stage) || ' ' ||
                         (SELECT count(*) FROM (TABLE r$rep.store_sales EXCEPT TABLE f$rep.stage) x) || ' ' ||
                         (SELECT count(*) FROM (TABLE f$rep.stage EXCEPT TABLE r$rep.store_sales) x) || ' ' ||
                         (SELECT count(*) FROM (TABLE f$rep.store_sales EXCEPT TABLE f$rep.stage) x) || ' ' ||
                         (SELECT count(*) FROM f$rep.store_sales) || ' ' ||
                         (SELECT messages_consumed FROM cdc_sync.status WHERE pipeline = '$name') || ' ' ||
                         (SELECT sum(next_offset) FROM cdc_sync.offsets WHERE pipeline = '$name')")
  local want="$ROWS $ROWS 0 0 0 $ROWS $ROWS $ROWS"
  if [ "$got" != "$want" ]; then
    echo "bench: $phase phase of run $rep is wrong. got: $got" >&2
    echo "  want: $want (pipeline rows, CSV rows, pipeline-CSV, CSV-pipeline, floor-CSV, floor rows," \
         "messages consumed, offsets)" >&2
    exit 1
  fi
}

declare -A SECS
for rep in $(seq 1 "$REPEAT"); do
  bpsql -c "CREATE SCHEMA r$rep" -c "$(ddl r$rep)" -c "CREATE SCHEMA f$rep" -c "$(ddl f$rep)" \
        -c "ALTER TABLE r$rep.store_sales SET (autovacuum_enabled = false)" \
        -c "ALTER TABLE f$rep.store_sales SET (autovacuum_enabled = false)" >/dev/null
  for phase in insert update; do
    if [ "$phase" = update ]; then bpsql -c "VACUUM (ANALYZE) r$rep.store_sales, f$rep.store_sales" >/dev/null; fi
    log_mark=$(wc -l <"$RUN_DIR/postgres.log")
    p=$(pipeline_phase "$rep" "$phase")
    if [ "$PROFILE" = 1 ]; then
      # Sums the durations auto_explain logged for the worker's statements, by kind.
      tail -n +"$((log_mark + 1))" "$RUN_DIR/postgres.log" | awk -v total="$p" -v what="$phase run $rep" '
        /cdc_sync worker LOG:  duration: / { split($0, a, "duration: "); ms = a[2] + 0; want = 1; next }
        want && /Query Text:/ {
          k = /Query Text: MERGE/ ? "merge" : /Query Text: SELECT count\(\*\) FILTER/ ? "count" :
              /Query Text: (DELETE|INSERT INTO [^c]|UPDATE [^c])/ ? "apply-other" : "bookkeeping"
          t[k] += ms; n[k]++; sql += ms; want = 0; join = (k != "bookkeeping"); next }
        join && /(Hash|Nested Loop|Merge)( Left| Right| Anti| Semi)? Join|Nested Loop/ {
          j = /Nested Loop/ ? "nestloop" : /Merge/ ? "mergejoin" : "hash"; plans[k] = plans[k] " " j; join = 0 }
        /^[0-9]{4}-/ { join = 0 }
        END {
          line = sprintf("profile %s: pipeline %.2f s =", what, total)
          for (k in t) {
            split(plans[k], js, " "); delete c; desc = ""
            for (i in js) c[js[i]]++
            for (j in c) desc = desc sprintf(", %d %s", c[j], j)
            line = line sprintf(" %s %.2f s (%d%s),", k, t[k] / 1000, n[k], desc)
          }
          printf "%s rest %.2f s (start-up, Kafka fetch, decoding, COPY into the stage, commits)\n", line, total - sql / 1000
        }' | tee -a "$RUN_DIR/profile.txt" >&2
    fi
    f=$(floor_phase "$rep" "$phase")
    verify_phase "$rep" "$phase"
    SECS[$phase,pipeline,$rep]=$p
    SECS[$phase,floor,$rep]=$f
    log "run $rep/$REPEAT $phase: pipeline $(printf %.2f "$p") s ($(printf %.0f "$(echo "$ROWS / $p" | bc -l)") rows/s)," \
        "floor $(printf %.2f "$f") s ($(printf %.0f "$(echo "$ROWS / $f" | bc -l)") rows/s), ratio $(printf %.2f "$(echo "$f / $p" | bc -l)"); checked"
  done
  # Free the previous repetition's tables (the pipelines stay, stopped, for the status view).
  if [ "$rep" -gt 1 ]; then bpsql -c "DROP SCHEMA r$((rep - 1)), f$((rep - 1)) CASCADE" >/dev/null; fi
done

# --- 4. report ---------------------------------------------------------------------------------
runs() { for r in $(seq 1 "$REPEAT"); do printf '%s ' "${SECS[$1,$2,$r]}"; done; }
declare -A MED RATE RATIO
for phase in insert update; do
  for side in pipeline floor; do
    MED[$phase,$side]=$(runs "$phase" "$side" | median)
    RATE[$phase,$side]=$(echo "$ROWS / ${MED[$phase,$side]}" | bc -l)
  done
  # Ratio of the median rows/s; the same rows on both sides, so it is floor_s / pipeline_s.
  RATIO[$phase]=$(echo "${MED[$phase,floor]} / ${MED[$phase,pipeline]}" | bc -l)
done
so=$(pg_config --pkglibdir)/cdc_sync.so
echo
echo "cdc_sync benchmark: $ROWS events/phase, $PARTITIONS partitions, options $OPTIONS, median of $REPEAT runs"
echo "($(nproc) CPUs, PostgreSQL $(bpsql -c 'SHOW server_version'), $so of $(date -r "$so" '+%F %T')," \
     "repository at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
printf '%-7s %9s %12s %12s %12s %12s %7s\n' phase events pipeline_s pipeline_r/s floor_s floor_r/s ratio
for phase in insert update; do
  printf '%-7s %9d %12.2f %12.0f %12.2f %12.0f %7.2f\n' "$phase" "$ROWS" "${MED[$phase,pipeline]}" \
    "${RATE[$phase,pipeline]}" "${MED[$phase,floor]}" "${RATE[$phase,floor]}" "${RATIO[$phase]}"
  printf '        runs: pipeline %s s; floor %s s\n' "$(runs "$phase" pipeline | xargs printf '%.2f ' | sed 's/ $//')" \
    "$(runs "$phase" floor | xargs printf '%.2f ' | sed 's/ $//')"
done
echo "worker peak RSS (VmHWM, max over runs): $(awk '{ if ($2 > m[$1]) m[$1] = $2 } END {
  for (p in m) printf "%s %d MB  ", p, m[p] / 1024 }' "$RUN_DIR/peak_rss.txt")"
echo "(producing, not measured: insert $(printf %.1f "${PRODUCE_SECS[insert]}") s," \
     "update $(printf %.1f "${PRODUCE_SECS[update]}") s)"
echo
echo "pipeline status (run $REPEAT):"
tpsql -d "$E2E_DB" -c "SELECT pipeline, state, messages_consumed, messages_skipped, rows_inserted, rows_updated,
                              rows_deleted, batches, last_error FROM cdc_sync.status
                       WHERE pipeline LIKE 'bench\_%\_$REPEAT' ORDER BY pipeline DESC"
worst=$(printf '%s\n' "${RATIO[insert]}" "${RATIO[update]}" | sort -g | head -1)
verdict=$(awk -v w="$worst" 'BEGIN {print (w >= 0.8 ? "meets 0.8" : w >= 0.5 ? "meets 0.5, not 0.8" : "BELOW the 0.5 goal")}')
printf 'SUMMARY rows=%d insert_ratio=%.2f update_ratio=%.2f (pipeline %.0f / %.0f rows/s, floor %.0f / %.0f rows/s): %s\n' \
  "$ROWS" "${RATIO[insert]}" "${RATIO[update]}" "${RATE[insert,pipeline]}" "${RATE[update,pipeline]}" \
  "${RATE[insert,floor]}" "${RATE[update,floor]}" "$verdict"
