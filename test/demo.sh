#!/usr/bin/env bash
# The quick start, on the real chain: MariaDB -> Debezium (Kafka Connect) -> Apache Kafka -> cdc_sync.
#
# Installs and builds everything, starts MariaDB with TPC-DS store_sales and store_returns in
# database business_db, Kafka, Kafka Connect with Debezium's connector (which snapshots both
# tables, then streams their binlog changes, one topic per table) and PostgreSQL with two cdc_sync
# pipelines. Once the snapshot is in Kafka a workload generator makes inserts, updates, deletes and
# key changes in MariaDB while the progress is printed every second. At the end it waits until
# Debezium has written every change and cdc_sync has applied it, then compares each PostgreSQL
# table with MariaDB (row count and a checksum over all columns): exit 0 only when they are equal.
#
#   bash test/demo.sh                 run the demo; leaves everything running to explore
#   bash test/demo.sh compare         compare the tables again
#   bash test/demo.sh consume TOPIC [N]   print N (default 5) messages of a topic, from its start
#   bash test/demo.sh stop            stop everything and remove the demo's directory
#
# Sizes (environment): SALES_ROWS (200000), RETURNS_ROWS (50000; at most SALES_ROWS),
# WORKLOAD_CHANGES (60000 row changes), WORKLOAD_RATE (1000 row changes/s; 0 = no cap),
# WORKLOAD_SEED (42), TOPIC_PARTITIONS (2).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CDC_RUN_DIR=${CDC_RUN_DIR:-/tmp/cdc_sync_demo} CDC_PGPORT=${CDC_PGPORT:-55460} CDC_E2E_DB=${CDC_E2E_DB:-demo}
source test/harness/common.sh
source test/stack/stack.sh
STACK_RUN=$RUN_DIR/stack     # Kafka, MariaDB and Connect (PostgreSQL is in $RUN_DIR/pgdata)
PREFIX=mariadb               # Debezium's topic.prefix: topics are mariadb.business_db.<table>
TABLES=(store_sales store_returns)
topic() { echo "$PREFIX.business_db.$1"; }

say() { echo "== $*"; }
fail() { echo "demo: $*" >&2; exit 1; }

# Stops whatever a previous run left (also the mock Kafka of the old demo) and removes its files.
stop_demo() {
  connect_stop "$STACK_RUN/connect"
  stop_all
  kafka_stop "$STACK_RUN/kafka"
  mariadb_stop "$STACK_RUN/mariadb"
  rm -rf "$RUN_DIR"
}

load_env() {
  [ -f "$STACK_RUN/env" ] || fail "the demo is not running (start it with: bash test/demo.sh)"
  source "$STACK_RUN/env"
}

# ------------------------------------------------------------------------------------ comparison

# The columns of business_db.$1, in order.
columns() {
  mariadb_sql "SELECT column_name FROM information_schema.columns
               WHERE table_schema = 'business_db' AND table_name = '$1' ORDER BY ordinal_position"
}

# The expression of a row's normalised text on side $2 (mariadb or postgres) for table $1: its
# columns' text joined by '|', decimals as written (-12.50), NULL as the word NULL (which no
# integer or decimal prints as).
row_text() {
  local table=$1 side=$2 col parts=()
  for col in $(columns "$table"); do
    if [ "$side" = mariadb ]; then parts+=("COALESCE(CAST($col AS CHAR), 'NULL')"); else parts+=("coalesce($col::text, 'NULL')"); fi
  done
  echo "CONCAT_WS('|', $(IFS=,; echo "${parts[*]}"))"
}

# Prints "<rows> <checksum>" of table $1 on side $2: the checksum is the sum over the rows of the
# first 60 bits of the MD5 of each row's text. Both sides compute exactly this.
table_sum() {
  local table=$1 side=$2 row
  row=$(row_text "$table" "$side")
  if [ "$side" = mariadb ]; then
    mariadb_sql "SELECT COUNT(*), COALESCE(SUM(CAST(CONV(LEFT(MD5($row), 15), 16, 10) AS UNSIGNED)), 0)
                 FROM business_db.$table" | tr '\t' ' '
  else
    tpsql -d "$E2E_DB" -At -F ' ' -c "SELECT count(*), coalesce(sum(('x' || left(md5($row), 15))::bit(60)::bigint), 0)
                                      FROM public.$table"
  fi
}

# Prints up to 10 rows of table $1 that only one side has (in that form), to see what differs.
show_differences() {
  local table=$1
  mariadb_sql "SELECT $(row_text "$table" mariadb) FROM business_db.$table" | LC_ALL=C sort >"$RUN_DIR/$table.mariadb"
  tpsql -d "$E2E_DB" -At -c "SELECT $(row_text "$table" postgres) FROM public.$table" | LC_ALL=C sort >"$RUN_DIR/$table.postgres"
  LC_ALL=C comm -3 "$RUN_DIR/$table.mariadb" "$RUN_DIR/$table.postgres" | head -10 |
    sed -e 's/^\t/    only in PostgreSQL: /' -e 's/^\([^ ]\)/    only in MariaDB:    \1/'
}

# Compares every table; prints both sides; false when one differs.
compare() {
  local table m p ok=0
  printf '  %-14s %-38s %-38s\n' table "MariaDB (rows, checksum)" "PostgreSQL (rows, checksum)"
  for table in "${TABLES[@]}"; do
    m=$(table_sum "$table" mariadb) p=$(table_sum "$table" postgres)
    [ -n "$m" ] && [ -n "$p" ] || fail "could not compute the checksums of $table"
    if [ "$m" = "$p" ]; then
      printf '  %-14s %-38s %-38s equal\n' "$table" "$m" "$p"
    else
      printf '  %-14s %-38s %-38s DIFFERENT\n' "$table" "$m" "$p"
      show_differences "$table"
      ok=1
    fi
  done
  return $ok
}

# ------------------------------------------------------------------------------------ progress

# The number of messages in each topic: "<topic> <messages>" lines (end offsets summed over
# partitions; nobody deletes or compacts, so that is every message Debezium wrote).
topic_messages() {
  kafka_tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$KAFKA_BOOTSTRAP" \
    --topic "$(sed 's/\./\\./g' <<<"$PREFIX.business_db.").*" 2>/dev/null |
    awk -F: '{ n[$1] += $3 } END { for (t in n) print t, n[t] }'
}

# 1234567 -> 1,234,567
commas() {
  local n=$1 out=""
  while ((${#n} > 3)); do out=",${n: -3}$out" n=${n:0:${#n}-3}; done
  echo "$n$out"
}

# One progress line: the workload's committed row changes, then per pipeline the rows applied to
# its table (inserted + updated + deleted), its lag (messages in Kafka not applied yet) and the
# rows applied per second since the previous line. Fails when a pipeline failed.
declare -A LAST_ROWS=()
LAST_AT=0
progress() {
  local now pipeline state ins upd del lag err out="" rate applied
  now=$(date +%s%N)
  if [ -s "$RUN_DIR/workload.committed" ]; then
    out=" workload $(commas "$(tail -1 "$RUN_DIR/workload.committed")")/$(commas "$WORKLOAD_CHANGES") |"
  fi
  while IFS='|' read -r pipeline state ins upd del lag err; do
    [ "$state" = failed ] && fail "pipeline $pipeline failed: $err"
    applied=$((ins + upd + del))
    rate=0
    if [ "$LAST_AT" != 0 ] && [ -n "${LAST_ROWS[$pipeline]:-}" ]; then
      rate=$(( (applied - LAST_ROWS[$pipeline]) * 1000000000 / (now - LAST_AT) ))
    fi
    LAST_ROWS[$pipeline]=$applied
    out="$out $pipeline $(commas "$applied") rows applied, lag $lag, $(commas "$rate") rows/s |"
  done < <(tpsql -d "$E2E_DB" -At -c "SELECT pipeline, state, rows_inserted, rows_updated, rows_deleted,
                                              coalesce(lag_messages::text, '?'), coalesce(last_error, '')
                                       FROM cdc_sync.status ORDER BY pipeline DESC")
  LAST_AT=$now
  echo "  $(date +%T)${out%|}"
}

# Prints progress every second until `cmd...` succeeds, at most `seconds`; then fails naming what.
wait_progress() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || fail "gave up after ${seconds}s waiting for $what"
    progress
    sleep 1
  done
}

# True once Debezium's log says the snapshot ended (fails when the connector failed).
snapshot_done() {
  local rc=0
  connect_running business_db >/dev/null 2>&1 || rc=$?
  [ $rc = 2 ] && fail "the Debezium connector failed: see $STACK_RUN/connect/connect.log"
  grep -q 'Snapshot ended with SnapshotResult \[status=COMPLETED' "$STACK_RUN/connect/connect.log"
}

# True once every topic holds at least the messages expected in $RUN_DIR/expected.
topics_complete() {
  topic_messages >"$RUN_DIR/topics.now" || return 1
  local table want have
  while read -r table want; do
    have=$(awk -v t="$(topic "$table")" '$1 == t { print $2 }' "$RUN_DIR/topics.now")
    [ "${have:-0}" -ge "$want" ] || return 1
  done <"$RUN_DIR/expected"
}

# ------------------------------------------------------------------------------------ commands

case "${1:-run}" in
  stop)
    stop_demo
    echo "demo stopped"
    exit 0 ;;
  compare)
    load_env
    compare && echo "equal" || { echo "the tables differ"; exit 1; }
    exit 0 ;;
  consume)
    load_env
    [ -n "${2:-}" ] || fail "usage: bash test/demo.sh consume TOPIC [N]   (topics: $(topic store_sales), $(topic store_returns))"
    kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_BOOTSTRAP" --topic "$2" \
      --from-beginning --max-messages "${3:-5}" --timeout-ms 10000 --formatter-property print.key=true \
      --formatter-property key.separator=' => ' 2> >(grep -v -e KIP-848 -e 'Processed a total' >&2)
    exit 0 ;;
  run) ;;
  *) fail "unknown command '$1' (run, compare, consume, stop)" ;;
esac

SALES_ROWS=${SALES_ROWS:-200000}
RETURNS_ROWS=${RETURNS_ROWS:-50000}
WORKLOAD_CHANGES=${WORKLOAD_CHANGES:-60000}
WORKLOAD_RATE=${WORKLOAD_RATE:-1000}
WORKLOAD_SEED=${WORKLOAD_SEED:-42}
TOPIC_PARTITIONS=${TOPIC_PARTITIONS:-2}
((RETURNS_ROWS >= 1 && SALES_ROWS >= RETURNS_ROWS)) || fail "RETURNS_ROWS must be between 1 and SALES_ROWS"
started=$SECONDS

say "installing dependencies and building (log: build.log)"
[ "$(id -u)" = 0 ] && bash test/install_deps.sh
bash test/build.sh
stack_fetch || fail "could not fetch the Kafka and Debezium jars"
built=$SECONDS

say "stopping what a previous run left"
stop_demo

say "starting PostgreSQL (database '$E2E_DB', socket $PGHOST, port $PGPORT), Kafka and MariaDB"
# Kafka's port is chosen first: start_pg records it in the server's configuration (cdc_test.brokers).
KAFKA_PORT=$(stack_free_port)
BROKERS=127.0.0.1:$KAFKA_PORT
start_pg
mkdir -p "$STACK_RUN"   # after start_pg, which hands all of $RUN_DIR to the postgres user
kafka_start "$STACK_RUN/kafka" || fail "Kafka did not start"
mariadb_start "$STACK_RUN/mariadb" || fail "MariaDB did not start"
cat >"$STACK_RUN/env" <<EOF
KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP
MARIADB_PORT=$MARIADB_PORT
MARIADB_SOCK=$MARIADB_SOCK
EOF

say "loading $SALES_ROWS store_sales and $RETURNS_ROWS store_returns rows into MariaDB's business_db"
t=$SECONDS
mariadb_sql "$(cat test/demo/mariadb_schema.sql)"
mariadb_sql "$(sed -e "s/@SALES_ROWS@/$SALES_ROWS/g" -e "s/@RETURNS_ROWS@/$RETURNS_ROWS/g" \
                   -e "s/@RETURNS_STEP@/$((SALES_ROWS / RETURNS_ROWS))/g" test/demo/mariadb_load.sql)"
echo "  loaded in $((SECONDS - t)) s"

say "creating the topics ($TOPIC_PARTITIONS partition(s) each), the target tables and two pipelines"
for table in "${TABLES[@]}"; do
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --create \
    --topic "$(topic "$table")" --partitions "$TOPIC_PARTITIONS" --replication-factor 1 >/dev/null 2>"$RUN_DIR/topic.err" ||
    fail "could not create topic $(topic "$table"): $(cat "$RUN_DIR/topic.err")"
done
{
  cat test/demo/pg_schema.sql
  cat <<SQL
CREATE EXTENSION cdc_sync;
SELECT cdc_sync.create_pipeline('sales', '$KAFKA_BOOTSTRAP', ARRAY['$(topic store_sales)'], 'debezium',
                                '{"batch_max_rows": 20000}');
SELECT cdc_sync.add_sync_table('sales', 'business_db.store_sales', 'public.store_sales');
SELECT cdc_sync.create_pipeline('returns', '$KAFKA_BOOTSTRAP', ARRAY['$(topic store_returns)']);
SELECT cdc_sync.add_sync_table('returns', 'business_db.store_returns', 'public.store_returns');
SELECT cdc_sync.start_pipeline('sales');
SELECT cdc_sync.start_pipeline('returns');
SQL
} | tpsql -d "$E2E_DB" >/dev/null

say "starting Kafka Connect with Debezium's connector for business_db (snapshot, then the binlog)"
connect_start "$STACK_RUN/connect" || fail "Kafka Connect did not start"
echo "CONNECT_URL=$CONNECT_URL" >>"$STACK_RUN/env"
# Schemaless JSON (the schema envelope makes every message about 9 times larger) and decimals as
# strings ("12.50"), which cdc_sync reads exactly (its decimal_handling_mode default).
connect_mysql_source "$STACK_RUN/source.json" business_db "$PREFIX" business_db \
  '"decimal.handling.mode": "string"' \
  '"key.converter": "org.apache.kafka.connect.json.JsonConverter"' '"key.converter.schemas.enable": "false"' \
  '"value.converter": "org.apache.kafka.connect.json.JsonConverter"' '"value.converter.schemas.enable": "false"'
connect_add "$STACK_RUN/source.json" || fail "the Debezium connector did not start (see $STACK_RUN/connect/connect.log)"
# Changes made while the snapshot reads the tables could be sent twice (by the snapshot and from
# the binlog): the workload starts once Debezium says the snapshot ended.
wait_progress "Debezium's snapshot to end (see $STACK_RUN/connect/connect.log)" 600 snapshot_done
progress

say "workload: $WORKLOAD_CHANGES row changes in MariaDB ($([ "$WORKLOAD_RATE" = 0 ] && echo "no rate cap" ||
    echo "at most $WORKLOAD_RATE/s"), seed $WORKLOAD_SEED) while cdc_sync applies them"
python3 test/demo/workload.py --socket "$MARIADB_SOCK" --changes "$WORKLOAD_CHANGES" --rate "$WORKLOAD_RATE" \
  --seed "$WORKLOAD_SEED" --committed "$RUN_DIR/workload.committed" --expect "$RUN_DIR/workload.expect" \
  2>"$RUN_DIR/workload.log" &
workload_pid=$!
trap 'kill "$workload_pid" 2>/dev/null || true' EXIT   # should the demo fail meanwhile
# Twice the time the rate allows (uncapped: at least 200 changes/s), plus two minutes.
limit=$(( (WORKLOAD_RATE > 0 ? 2 * WORKLOAD_CHANGES / WORKLOAD_RATE : WORKLOAD_CHANGES / 200) + 120 ))
deadline=$((SECONDS + limit))
while kill -0 "$workload_pid" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "gave up after ${limit}s waiting for the workload to end (see $RUN_DIR/workload.log)"
  progress
  sleep 1
done
wait "$workload_pid" || fail "the workload failed: $(cat "$RUN_DIR/workload.log")"
trap - EXIT
sed 's/^workload: /  /' "$RUN_DIR/workload.log"

say "waiting until Debezium has written every change to Kafka"
# Every message Debezium must write: the snapshot's rows plus the workload's changes (an insert
# or update is one message, a delete two, a key change three).
: >"$RUN_DIR/expected"
for table in "${TABLES[@]}"; do
  rows=$([ "$table" = store_sales ] && echo "$SALES_ROWS" || echo "$RETURNS_ROWS")
  echo "$table $((rows + $(awk -v t="$table" '$1 == t { print $2 }' "$RUN_DIR/workload.expect")))" >>"$RUN_DIR/expected"
done
wait_progress "the topics to hold the expected messages ($(tr '\n' ' ' <"$RUN_DIR/expected"))" 300 topics_complete
while read -r table want; do
  have=$(awk -v t="$(topic "$table")" '$1 == t { print $2 }' "$RUN_DIR/topics.now")
  echo "  $(topic "$table"): $(commas "$have") messages (snapshot + changes)"
  [ "$have" = "$want" ] || echo "  note: $((have - want)) more than the $want expected: Debezium sent some changes twice"
done <"$RUN_DIR/expected"

say "waiting for both pipelines to apply everything in the topics"
t=$(date +%s%N)
tpsql -d "$E2E_DB" -At -c "SELECT cdc_sync.wait_for_catchup('sales', '300 s') AND cdc_sync.wait_for_catchup('returns', '300 s')" |
  grep -q t || { progress; fail "the pipelines did not catch up within 300 s"; }
echo "  caught up $(( ($(date +%s%N) - t) / 1000000 )) ms after the topics were complete"
progress

say "final status (messages_skipped: the tombstone Debezium writes after each delete)"
tpsql -d "$E2E_DB" -c "SELECT pipeline, state, messages_consumed, messages_skipped, rows_inserted, rows_updated,
                              rows_deleted, lag_messages, batches, last_error
                       FROM cdc_sync.status ORDER BY pipeline DESC"

say "comparing each PostgreSQL table with MariaDB"
if ! compare; then
  echo "demo: the PostgreSQL tables differ from MariaDB" >&2
  exit 1
fi
echo "  PostgreSQL and MariaDB are equal ($((SECONDS - built)) s, after $((built - started)) s of installing and building)"

cat <<EOF

Left running to explore (bash test/demo.sh stop stops them all and removes $RUN_DIR):
  PostgreSQL  psql -h $PGHOST -p $PGPORT -U postgres $E2E_DB
              try: SELECT * FROM cdc_sync.status; SELECT * FROM cdc_sync.table_stats;
  MariaDB     mariadb --socket=$MARIADB_SOCK -uroot business_db
              changes made there show up in PostgreSQL within a second
  Kafka       $KAFKA_BOOTSTRAP, topics $(topic store_sales) and $(topic store_returns)
              bash test/demo.sh consume $(topic store_returns) 3
  Connect     curl -s $CONNECT_URL/connectors/business_db/status   (log: $STACK_RUN/connect/connect.log)
  Compare     bash test/demo.sh compare
EOF
