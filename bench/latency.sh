#!/usr/bin/env bash
# Latency benchmark on the real chain: MariaDB -> Debezium (Kafka Connect) -> Apache Kafka ->
# cdc_sync -> PostgreSQL, at a steady load. For each change: p50/p95/p99/max from the MariaDB
# commit to the PostgreSQL commit that makes the row visible, split at the moment Kafka appended
# the message into the part before Kafka and the part cdc_sync owns.
#
# Usage: bench/latency.sh [--rates "R ..."] [--batch-max-ms "MS ..."] [--seconds S] [--warmup W]
#                         [--txn-size N] [--update-fraction F] [--partitions P] [--debezium-poll-ms MS]
#                         [--options JSON] [--build] [--keep]
#   --rates "R ..."       target changes per second, one phase per rate and batch_max_ms
#                         (env LAT_RATES, default "5000 1000")
#   --batch-max-ms "..."  the pipeline's batch_max_ms per phase; "default" leaves the option unset
#                         (500 ms) (env LAT_BATCH_MAX_MS, default "default 50")
#   --seconds S           measured seconds of load per phase (env LAT_SECONDS, default 60)
#   --warmup W            seconds of load before the measurement, not counted (env LAT_WARMUP, default 5)
#   --txn-size N          changes per MariaDB transaction (env LAT_TXN_SIZE, default 5)
#   --update-fraction F   share of updates among the changes, the rest inserts (env LAT_UPDATE_FRACTION,
#                         default 0.5)
#   --partitions P        partitions of each topic (env LAT_PARTITIONS, default 1)
#   --debezium-poll-ms MS the connector's poll.interval.ms (env LAT_DEBEZIUM_POLL_MS, default: Debezium's
#                         own, 500): how long Debezium waits for more events before it hands a batch
#                         to Kafka Connect's producer
#   --options JSON        more pipeline options, merged over batch_max_ms (env LAT_OPTIONS), e.g.
#                         '{"kafka": {"socket.nagle.disable": "true"}}'
#   --build               run test/build.sh first (builds and installs the extension)
#   --keep                leave everything running at the end (for investigation)
# Instances: CDC_RUN_DIR (default /tmp/cdc_latency), CDC_PGPORT (default 55480); Kafka, Kafka Connect
# and MariaDB take free loopback ports.
#
# What it does:
#   1. Starts a KRaft Kafka broker, PostgreSQL with cdc_sync (track_commit_timestamp on) and MariaDB
#      (test/harness/common.sh, test/stack/stack.sh), all in CDC_RUN_DIR.
#   2. Per phase a MariaDB table lat.tK (id, seq, v, pad, commit_us) with rows 1..N (seq 0) that
#      the load updates in order, each once, while it inserts new ids; the same rows in the target
#      lat.tK in PostgreSQL, with a written_at column that a BEFORE INSERT OR UPDATE trigger sets to
#      clock_timestamp(). Topics lat.lat.tK are created beforehand with
#      message.timestamp.type=LogAppendTime: each message's timestamp is when the broker appended it.
#   3. Kafka Connect with Debezium's MySQL connector (snapshot.mode no_data, schemaless JSON); the
#      load starts once a probe change came through Debezium to Kafka.
#   4. Each phase: a pipeline on its topic (batch_max_ms as given), started and caught up; then
#      bench/latency/load.py writes warm-up + S seconds of paced transactions (each row carries its
#      change number seq and MariaDB's NOW(6) as commit_us); then the script waits until Kafka holds
#      every change and wait_for_catchup() returns true; it dumps the topic with Kafka's console
#      consumer (LogAppendTime, Debezium's ts_us) and the target's rows (seq, commit_us, written_at,
#      pg_xact_commit_timestamp(xmin)), and bench/latency/analyze.py joins them on seq.
#   5. Prints per phase: achieved rate, p50/p95/p99/max of total, before Kafka and cdc_sync (and the
#      finer parts), p50/p99 over time, and a summary table of all phases.
# Everything runs on one machine, so all times come from one clock. See README.md, "Latency".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

RATES=${LAT_RATES:-5000 1000}
BATCH_MAX_MS_LIST=${LAT_BATCH_MAX_MS:-default 50}
SECONDS_MEASURED=${LAT_SECONDS:-60}
WARMUP=${LAT_WARMUP:-5}
TXN_SIZE=${LAT_TXN_SIZE:-5}
UPDATE_FRACTION=${LAT_UPDATE_FRACTION:-0.5}
PARTITIONS=${LAT_PARTITIONS:-1}
DEBEZIUM_POLL_MS=${LAT_DEBEZIUM_POLL_MS:-}
EXTRA_OPTIONS=${LAT_OPTIONS:-}
DO_BUILD=0
KEEP=0

usage() { sed -n '2,/^# Instances/p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rates) RATES=$2; shift 2 ;;
    --batch-max-ms) BATCH_MAX_MS_LIST=$2; shift 2 ;;
    --seconds) SECONDS_MEASURED=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --txn-size) TXN_SIZE=$2; shift 2 ;;
    --update-fraction) UPDATE_FRACTION=$2; shift 2 ;;
    --partitions) PARTITIONS=$2; shift 2 ;;
    --debezium-poll-ms) DEBEZIUM_POLL_MS=$2; shift 2 ;;
    --options) EXTRA_OPTIONS=$2; shift 2 ;;
    --build) DO_BUILD=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "latency: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
for v in SECONDS_MEASURED WARMUP TXN_SIZE PARTITIONS; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || { echo "latency: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
for r in $RATES; do [[ $r =~ ^[1-9][0-9]*$ ]] || { echo "latency: bad rate '$r'" >&2; exit 2; }; done
for b in $BATCH_MAX_MS_LIST; do
  [[ $b = default || $b =~ ^[1-9][0-9]*$ ]] || { echo "latency: bad batch_max_ms '$b'" >&2; exit 2; }
done
[[ -z $DEBEZIUM_POLL_MS || $DEBEZIUM_POLL_MS =~ ^[1-9][0-9]*$ ]] || { echo "latency: bad --debezium-poll-ms" >&2; exit 2; }
[[ $UPDATE_FRACTION =~ ^(0(\.[0-9]+)?|1(\.0*)?)$ ]] || { echo "latency: --update-fraction must be in [0, 1]" >&2; exit 2; }

export CDC_RUN_DIR=${CDC_RUN_DIR:-/tmp/cdc_latency}
export CDC_PGPORT=${CDC_PGPORT:-55480}
export CDC_E2E_DB=${CDC_E2E_DB:-cdc_latency}
export CDC_KAFKA=real
source test/harness/common.sh
source test/stack/stack.sh
export STACK_TOOL_LOG=$RUN_DIR/tools-log4j2.properties
# Debian's python3 (python3-pymysql); a python3 earlier in PATH (pyenv, a venv) may lack the driver.
PY=/usr/bin/python3
"$PY" -c 'import pymysql' 2>/dev/null || { echo "latency: $PY lacks pymysql: bash test/install_deps.sh" >&2; exit 1; }

if [ "$DO_BUILD" = 1 ]; then bash test/build.sh; fi
[ -x "$BUILD/kafka_admin" ] || { echo "latency: $BUILD/kafka_admin is missing; run with --build or bash test/build.sh" >&2; exit 1; }

PREFIX=lat                         # Debezium's topic.prefix: topics lat.lat.tK
LAT_DIR=$RUN_DIR/latency
cleanup() {
  local rc=$?
  if [ "$KEEP" = 1 ]; then
    echo "latency: kept running (RUN_DIR=$RUN_DIR, PGPORT=$PGPORT, Kafka $BROKERS, Connect ${CONNECT_URL:-?}," \
         "MariaDB socket ${MARIADB_SOCK:-?})"
  else
    connect_stop "$RUN_DIR/connect"
    mariadb_stop "$RUN_DIR/mariadb"
    stop_all
    # The servers' data goes; the dumps each figure was computed from and the logs stay.
    rm -rf "$RUN_DIR/kafka/data" "$RUN_DIR/pgdata" "$RUN_DIR/mariadb/data"
    [ -d "$RUN_DIR/latency" ] && echo "latency: the dumps and logs are in $RUN_DIR" >&2
  fi
  exit $rc
}
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { log "latency: $*"; exit 1; }
lpsql() { tpsql -d "$E2E_DB" -At "$@"; }
export PGOPTIONS='-c client_min_messages=warning'
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

[[ -n $RUN_DIR && $RUN_DIR != / ]] || { echo "latency: bad CDC_RUN_DIR '$RUN_DIR'" >&2; exit 2; }
trap cleanup EXIT
trap 'exit 130' INT TERM
connect_stop "$RUN_DIR/connect" 2>/dev/null || true
mariadb_stop "$RUN_DIR/mariadb" 2>/dev/null || true
stop_all
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"

# --- 1. the servers -----------------------------------------------------------------------------
log "starting Kafka, PostgreSQL and MariaDB in $RUN_DIR (load average $(loadavg))"
start_kafka || fail "Kafka did not start"
start_pg
# The commit time of every transaction, for pg_xact_commit_timestamp(xmin): when a row became visible.
echo "track_commit_timestamp = on" >>"$RUN_DIR/pgdata/postgresql.conf"
as_postgres "$PGBIN/pg_ctl" -D "$RUN_DIR/pgdata" -l "$RUN_DIR/postgres.log" -w restart >/dev/null
# The library the server loaded now (shared_preload_libraries) is the one measured, whatever is
# installed later (others may reinstall theirs while this runs).
so=$(pg_config --pkglibdir)/cdc_sync.so
SO_INFO="$so of $(date -r "$so" '+%F %T'), sha1 $(sha1sum "$so" | cut -c1-12), loaded at $(date '+%T')"
if [ -f "$ROOT/cdc_sync.so" ]; then
  if cmp -s "$so" "$ROOT/cdc_sync.so"; then SO_INFO="$SO_INFO, the build of this checkout"
  else SO_INFO="$SO_INFO, WARNING: not the build of this checkout (installed from elsewhere?)"; fi
fi
log "cdc_sync: $SO_INFO"
mariadb_start "$RUN_DIR/mariadb" || fail "MariaDB did not start"
mkdir -p "$LAT_DIR"
RESULTS=$LAT_DIR/results.jsonl
: >"$RESULTS"

# Phases: every rate with every batch_max_ms.
PHASES=()
for r in $RATES; do for b in $BATCH_MAX_MS_LIST; do PHASES+=("$r:$b"); done; done
# Rows to update: more than the phase can reach at its target rate.
prepopulated() { awk -v r="$1" -v s="$((WARMUP + SECONDS_MEASURED))" -v f="$UPDATE_FRACTION" \
  'BEGIN { printf "%d", r * s * f * 1.2 + 1000 }'; }

lpsql -c "CREATE EXTENSION cdc_sync" -c "CREATE SCHEMA lat" >/dev/null
lpsql >/dev/null <<'SQL'
CREATE FUNCTION lat.written() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN NEW.written_at := clock_timestamp(); RETURN NEW; END $$;
SQL
mariadb_sql "CREATE DATABASE lat; CREATE TABLE lat.probe (id int PRIMARY KEY);"
k=0
for phase in "${PHASES[@]}"; do
  k=$((k + 1))
  n=$(prepopulated "${phase%%:*}")
  mariadb_sql "CREATE TABLE lat.t$k (id bigint PRIMARY KEY, seq bigint NOT NULL, v int NOT NULL,
                 pad varchar(64) NOT NULL, commit_us bigint NOT NULL);
               INSERT INTO lat.t$k SELECT seq, 0, 0, REPEAT('x', 64), 0 FROM lat.seq_1_to_$n;"
  lpsql >/dev/null <<SQL
CREATE TABLE lat.t$k (id bigint PRIMARY KEY, seq bigint NOT NULL, v int NOT NULL, pad text NOT NULL,
                      commit_us bigint NOT NULL, written_at timestamptz) WITH (autovacuum_enabled = false);
INSERT INTO lat.t$k SELECT g, 0, 0, repeat('x', 64), 0 FROM generate_series(1, $n) g;
VACUUM (ANALYZE) lat.t$k;
CREATE TRIGGER written BEFORE INSERT OR UPDATE ON lat.t$k FOR EACH ROW EXECUTE FUNCTION lat.written();
SQL
  "$BUILD/kafka_admin" --brokers "$BROKERS" create-topic "$PREFIX.lat.t$k" "$PARTITIONS" \
    message.timestamp.type=LogAppendTime >/dev/null || fail "could not create topic $PREFIX.lat.t$k"
done

# --- 2. Debezium --------------------------------------------------------------------------------
log "starting Kafka Connect with Debezium's MySQL connector"
connect_start "$RUN_DIR/connect" || fail "Kafka Connect did not start"
# No snapshot of the rows (they are in both databases already): only the binlog from now on.
connect_mysql_source "$RUN_DIR/source.json" lat "$PREFIX" lat '"snapshot.mode": "no_data"' \
  '"key.converter": "org.apache.kafka.connect.json.JsonConverter"' '"key.converter.schemas.enable": "false"' \
  '"value.converter": "org.apache.kafka.connect.json.JsonConverter"' '"value.converter.schemas.enable": "false"' \
  ${DEBEZIUM_POLL_MS:+"\"poll.interval.ms\": \"$DEBEZIUM_POLL_MS\""}
connect_add "$RUN_DIR/source.json" || fail "the Debezium connector did not start (see $RUN_DIR/connect/connect.log)"
snapshot_done() { grep -q 'Snapshot ended with SnapshotResult \[status=COMPLETED' "$RUN_DIR/connect/connect.log"; }
stack_wait "Debezium's (schema-only) snapshot to end" 180 snapshot_done || fail "see $RUN_DIR/connect/connect.log"
# Messages in a topic: the sum of its partitions' high watermarks.
topic_messages() {
  "$BUILD/kafka_admin" --brokers "$BROKERS" watermarks "$1" 2>/dev/null | awk -F'\t' '{ n += $3 } END { print n + 0 }'
}
probe_seen() { [ "$(topic_messages "$PREFIX.lat.probe")" -ge 1 ]; }
mariadb_sql "INSERT INTO lat.probe VALUES (1)"
stack_wait "a probe change to come through Debezium into Kafka" 120 probe_seen || fail "Debezium streams nothing"

# --- 3. phases ----------------------------------------------------------------------------------
k=0
for phase in "${PHASES[@]}"; do
  k=$((k + 1))
  rate=${phase%%:*} bmm=${phase#*:}
  name=lat_$k topic=$PREFIX.lat.t$k
  label="phase $k: $rate/s, batch_max_ms $([ "$bmm" = default ] && echo '500 (default)' || echo "$bmm")"
  options='{}'
  [ "$bmm" = default ] || options="{\"batch_max_ms\": $bmm}"
  if [ -n "$EXTRA_OPTIONS" ]; then
    options=$(echo "SELECT (:'a'::jsonb || :'b'::jsonb)::text" | lpsql -v a="$options" -v b="$EXTRA_OPTIONS")
  fi
  lpsql -c "SELECT cdc_sync.create_pipeline('$name', '$BROKERS', ARRAY['$topic'], 'debezium', '${options//\'/\'\'}')" \
        -c "SELECT cdc_sync.add_sync_table('$name', 'lat\\.t$k', 'lat.t$k')" \
        -c "SELECT cdc_sync.start_pipeline('$name')" >/dev/null
  worker_up() { [ "$(lpsql -c "SELECT cardinality(worker_pids) FROM cdc_sync.status WHERE pipeline = '$name'")" -ge 1 ]; }
  stack_wait "the worker of pipeline $name" 60 worker_up || fail "pipeline $name has no worker"
  [ "$(lpsql -c "SELECT cdc_sync.wait_for_catchup('$name', '60 s')")" = t ] || fail "pipeline $name did not catch up"

  log "$label: ${WARMUP} s warm-up + $SECONDS_MEASURED s of load (load average $(loadavg))"
  "$PY" bench/latency/load.py --socket "$MARIADB_SOCK" --table "lat.t$k" --rate "$rate" \
    --seconds "$SECONDS_MEASURED" --warmup "$WARMUP" --txn-size "$TXN_SIZE" --update-fraction "$UPDATE_FRACTION" \
    --prepopulated "$(prepopulated "$rate")" --seed "$k" >"$LAT_DIR/load$k.json" || fail "the load generator failed"
  load_end=$(loadavg)
  changes=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["changes"])' "$LAT_DIR/load$k.json")
  log "  $changes changes committed in MariaDB (load average $load_end); waiting for Kafka and cdc_sync"
  in_kafka() { [ "$(topic_messages "$topic")" -ge "$changes" ]; }
  stack_wait "Debezium to write the $changes changes of lat.t$k to Kafka" 600 in_kafka ||
    fail "Kafka holds $(topic_messages "$topic") of $changes changes"
  [ "$(lpsql -c "SELECT cdc_sync.wait_for_catchup('$name', '600 s')")" = t ] || fail "pipeline $name did not catch up"
  read -r batches consumed < <(lpsql -F' ' -c "SELECT batches, messages_consumed FROM cdc_sync.status WHERE pipeline = '$name'")
  lpsql -c "SELECT cdc_sync.stop_pipeline('$name')" >/dev/null
  in_kafka_now=$(topic_messages "$topic")

  # The topic, with each message's LogAppendTime, and the target's rows.
  kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$BROKERS" --topic "$topic" \
    --from-beginning --max-messages "$in_kafka_now" --timeout-ms 60000 \
    --formatter-property print.timestamp=true >"$LAT_DIR/kafka$k.txt" 2>"$LAT_DIR/kafka$k.err" || true
  got=$(wc -l <"$LAT_DIR/kafka$k.txt")
  [ "$got" -ge "$in_kafka_now" ] || fail "the console consumer read $got of $in_kafka_now messages of $topic"
  lpsql -c "COPY (SELECT seq, commit_us, (extract(epoch FROM written_at) * 1000000)::bigint,
                         (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000000)::bigint
                  FROM lat.t$k WHERE seq > 0) TO STDOUT (FORMAT csv)" >"$LAT_DIR/pg$k.csv"
  "$PY" bench/latency/analyze.py --load "$LAT_DIR/load$k.json" --kafka "$LAT_DIR/kafka$k.txt" \
    --pg "$LAT_DIR/pg$k.csv" --label "$label" --results "$RESULTS" --seconds "$SECONDS_MEASURED" || fail "phase $k: changes missing (see above)"
  echo "  cdc_sync: $consumed messages in $batches batches ($(awk -v c="$consumed" -v b="$batches" \
    'BEGIN { printf "%.0f", b ? c / b : 0 }') per batch); load average at the end of the load: $load_end"
  echo
done

# --- 4. summary ---------------------------------------------------------------------------------
echo "Latency, MariaDB commit -> PostgreSQL commit, in ms (p50 / p99); $SECONDS_MEASURED s measured per phase after" \
     "$WARMUP s warm-up, $TXN_SIZE changes per transaction, $UPDATE_FRACTION updates, $PARTITIONS partition(s)," \
     "Debezium poll.interval.ms ${DEBEZIUM_POLL_MS:-500 (default)}${EXTRA_OPTIONS:+, pipeline options $EXTRA_OPTIONS}"
echo "($(nproc) CPUs, load average now $(loadavg); PostgreSQL $(lpsql -c 'SHOW server_version'), MariaDB" \
     "$(mariadb_sql 'SELECT VERSION()' | sed 's/^8\.0\.36-MariaDB-//'), Kafka 4.3.0, Debezium 3.6.1;" \
     "repository at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); $SO_INFO)"
"$PY" - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
fmt = "%-38s %9s %9s %15s %15s %15s %8s"
print(fmt % ("phase", "target/s", "achieved", "total", "before Kafka", "cdc_sync", "drain s"))
for r in rows:
    s = r["stats"]
    def pp(k):
        return "%.0f / %.0f" % (s[k]["p50"], s[k]["p99"])
    print(fmt % (r["label"].split(": ", 1)[1], "%g" % r["load"]["target_rate"], "%.0f" % r["load"]["achieved_rate"],
                 pp("total: MariaDB commit -> PG commit"), pp("before Kafka: commit -> Kafka append"),
                 pp("cdc_sync: Kafka append -> PG commit"), "%.2f" % r["drain_s"]))
EOF
