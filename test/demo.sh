#!/usr/bin/env bash
# The quick start: installs and builds everything, starts a local PostgreSQL and a local (mock)
# Kafka cluster, creates two pipelines for TPC-DS store_sales and store_returns, streams Debezium
# events into them while printing progress, and prints the final status.
#   bash test/demo.sh            run the demo (leaves PostgreSQL and Kafka running to explore)
#   bash test/demo.sh stop       stop them
# Scale with SALES_ROWS / RETURNS_ROWS (defaults 200000 / 50000).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CDC_RUN_DIR=${CDC_RUN_DIR:-/tmp/cdc_sync_demo} CDC_PGPORT=${CDC_PGPORT:-55460} CDC_E2E_DB=${CDC_E2E_DB:-demo}
source test/harness/common.sh
if [ "${1:-}" = stop ]; then stop_all; echo "demo stopped"; exit 0; fi
SALES_ROWS=${SALES_ROWS:-200000}
RETURNS_ROWS=${RETURNS_ROWS:-50000}
# The mock cluster keeps only about 5 MB per partition and drops the oldest messages beyond that:
# with ~1 KB events, 3,000 per partition keep everything even if the workers start late.
partitions_for() { local p=$(( ($1 + 2999) / 3000 )); echo $(( p < 4 ? 4 : p )); }
SALES_PARTS=$(partitions_for "$SALES_ROWS")
RETURNS_PARTS=$(partitions_for "$RETURNS_ROWS")

echo "== installing dependencies and building (log: build.log)"
[ "$(id -u)" = 0 ] && bash test/install_deps.sh
bash test/build.sh

echo "== starting a mock Kafka cluster and PostgreSQL (database '$E2E_DB', socket $PGHOST, port $PGPORT)"
stop_all
stage_tools
start_kafka
start_pg
bin=$RUN_DIR/bin
"$bin/mock_kafka" ctl --state-dir "$RUN_DIR/kafka" create-topic tpcds.store_sales "$SALES_PARTS" >/dev/null
"$bin/mock_kafka" ctl --state-dir "$RUN_DIR/kafka" create-topic tpcds.store_returns "$RETURNS_PARTS" >/dev/null

echo "== creating the target tables and two pipelines"
{
  "$bin/gen_events" tpcds --table store_sales --ddl
  "$bin/gen_events" tpcds --table store_returns --ddl
  cat <<SQL
CREATE EXTENSION cdc_sync;
SELECT cdc_sync.create_pipeline('sales', '$BROKERS', ARRAY['tpcds.store_sales'], 'debezium',
                                '{"batch_max_rows": 20000}');
SELECT cdc_sync.add_sync_table('sales', 'tpcds.store_sales', 'public.store_sales',
                               ARRAY['ss_item_sk', 'ss_ticket_number']);
SELECT cdc_sync.create_pipeline('returns', '$BROKERS', ARRAY['tpcds.store_returns']);
SELECT cdc_sync.add_sync_table('returns', 'tpcds.store_returns', 'public.store_returns');
SELECT cdc_sync.start_pipeline('sales');
SELECT cdc_sync.start_pipeline('returns');
SQL
} | tpsql -d "$E2E_DB" >/dev/null

echo "== streaming $SALES_ROWS store_sales and $RETURNS_ROWS store_returns rows of Debezium events"
"$bin/gen_events" tpcds --table store_sales --rows "$SALES_ROWS" --partitions "$SALES_PARTS" --seed 7 2>"$RUN_DIR/sales.gen" |
  "$bin/kafka_produce" --brokers "$BROKERS" --topic tpcds.store_sales 2>"$RUN_DIR/sales.produce" &
sales_pid=$!
"$bin/gen_events" tpcds --table store_returns --rows "$RETURNS_ROWS" --partitions "$RETURNS_PARTS" --seed 8 2>"$RUN_DIR/returns.gen" |
  "$bin/kafka_produce" --brokers "$BROKERS" --topic tpcds.store_returns 2>"$RUN_DIR/returns.produce" &
returns_pid=$!

progress() {
  tpsql -d "$E2E_DB" -At -F ' ' -c "SELECT format('%-8s %-8s consumed %9s  rows +%s ~%s -%s  lag %s', pipeline, state,
      messages_consumed, rows_inserted, rows_updated, rows_deleted, coalesce(lag_messages::text, '?'))
      FROM cdc_sync.status ORDER BY pipeline"
}
while kill -0 "$sales_pid" 2>/dev/null || kill -0 "$returns_pid" 2>/dev/null; do
  progress | sed "s/^/  $(date +%T) /"
  sleep 1
done
wait "$sales_pid" "$returns_pid"

echo "== waiting for both pipelines to catch up"
start=$(date +%s%N)
tpsql -d "$E2E_DB" -At -c "SELECT cdc_sync.wait_for_catchup('sales', '300 s') AND cdc_sync.wait_for_catchup('returns', '300 s')" |
  grep -q t || { echo "pipelines did not catch up"; progress; exit 1; }
echo "  caught up $(( ($(date +%s%N) - start) / 1000000 )) ms after the last event was produced"

echo "== final status"
tpsql -d "$E2E_DB" -c "SELECT pipeline, state, messages_consumed, rows_inserted, rows_updated, rows_deleted,
                              lag_messages, batches, last_error FROM cdc_sync.status ORDER BY pipeline"
want_sales=$(sed -n 's/^final rows: //p' "$RUN_DIR/sales.gen")
want_returns=$(sed -n 's/^final rows: //p' "$RUN_DIR/returns.gen")
have_sales=$(tpsql -d "$E2E_DB" -At -c "SELECT count(*) FROM store_sales")
have_returns=$(tpsql -d "$E2E_DB" -At -c "SELECT count(*) FROM store_returns")
echo "store_sales:   $have_sales rows (the source has $want_sales)"
echo "store_returns: $have_returns rows (the source has $want_returns)"
[ "$have_sales" = "$want_sales" ] && [ "$have_returns" = "$want_returns" ] || { echo "row counts differ"; exit 1; }
echo
echo "Explore:  psql -h $PGHOST -p $PGPORT -U postgres $E2E_DB   (try: SELECT * FROM cdc_sync.status;)"
echo "Stop:     bash test/demo.sh stop"
