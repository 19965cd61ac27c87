#!/usr/bin/env bash
# What one bad message costs: a pipeline applies 10,000 Debezium inserts in one batch, clean, and
# the same with one bad message in the middle (a qty that overflows int: it decodes, PostgreSQL
# refuses it, so the slow path must find it); under on_error 'dead_letter' the other 9,999 are
# applied. Each is timed from start_pipeline() to wait_for_catchup() (one psql session,
# clock_timestamp()), fresh topic and table per run, on a real single-node Kafka broker.
#   bash bench/bad_message.sh [--rows N] [--repeat R]      (defaults 10000, 5; medians reported)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ROWS=10000 REPEAT=5
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    *) echo "usage: bash bench/bad_message.sh [--rows N] [--repeat R]" >&2; exit 2 ;;
  esac
done
export CDC_KAFKA=real CDC_RUN_DIR=${CDC_RUN_DIR:-/tmp/cdc_bench_bad} CDC_PGPORT=${CDC_PGPORT:-55452} CDC_E2E_DB=bench
source test/harness/common.sh
trap stop_all EXIT
start_all
tpsql -d "$E2E_DB" -qc "CREATE EXTENSION cdc_sync" >/dev/null

# Produces ROWS inserts to topic $1; with $2 = bad, the middle one carries a qty out of int's range.
produce() {
  local topic=$1 bad=$2
  create_topic "$topic" 1
  awk -v n="$ROWS" -v bad="$bad" 'BEGIN { for (i = 0; i < n; i++) {
      q = (bad == "bad" && i == int(n / 2)) ? "99999999999" : i
      printf "0\t\\N\t{\"op\":\"c\",\"after\":{\"id\":%d,\"qty\":%s,\"v\":\"value %d\"},\"source\":{\"db\":\"s\",\"table\":\"t\"}}\n", i, q, i } }' |
    "$BUILD/kafka_produce" --brokers "$BROKERS" --topic "$topic" 2>/dev/null
}
# Seconds from start_pipeline() to wait_for_catchup() for a new pipeline on topic $1.
measure() {
  local name=$1
  tpsql -d "$E2E_DB" -qtA <<SQL
CREATE TABLE $name (id int PRIMARY KEY, qty int, v text);
SELECT cdc_sync.create_pipeline('$name', '$BROKERS', ARRAY['$name'], 'debezium',
       '{"on_error": "dead_letter", "batch_max_rows": $((ROWS + 1)), "batch_max_ms": 10000}') \\gset
SELECT cdc_sync.add_sync_table('$name', 's.t', '$name') \\gset
SELECT clock_timestamp() AS t0 \\gset
SELECT cdc_sync.start_pipeline('$name') \\gset
SELECT cdc_sync.wait_for_catchup('$name', '300 s') AS ok \\gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric(10,3) || ' ' || (SELECT count(*) FROM $name)
       || ' ' || (SELECT count(*) FROM cdc_sync.dead_letters WHERE pipeline = '$name');
SELECT cdc_sync.stop_pipeline('$name') \\gset
SQL
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: >"$RUN_DIR/clean.txt"
: >"$RUN_DIR/bad.txt"
for r in $(seq 1 "$REPEAT"); do
  for kind in clean bad; do
    produce "b_${kind}_$r" "$kind"
    read -r secs rows dead < <(measure "b_${kind}_$r")
    want_rows=$ROWS want_dead=0
    [ "$kind" = bad ] && want_rows=$((ROWS - 1)) want_dead=1
    [ "$rows/$dead" = "$want_rows/$want_dead" ] || { echo "bench: $kind run $r applied $rows rows, $dead dead letters" >&2; exit 1; }
    echo "$secs" >>"$RUN_DIR/$kind.txt"
    echo "run $r $kind: $secs s ($rows rows, $dead dead letter)" >&2
  done
done
clean=$(median <"$RUN_DIR/clean.txt")
bad=$(median <"$RUN_DIR/bad.txt")
echo "$ROWS messages in one batch, medians of $REPEAT: clean $clean s, one bad message $bad s," \
     "ratio $(echo "scale=2; $bad / $clean" | bc -l)"
grep -o 'slow path: [^"]*' "$RUN_DIR/postgres.log" | sort | uniq -c | head -3
