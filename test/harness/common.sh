# Shared helpers for the test harness: a throwaway PostgreSQL and a Kafka cluster, either a real
# single-node broker (CDC_KAFKA=real, test/stack/stack.sh) or librdkafka's mock (CDC_KAFKA=mock,
# the default; for the tools and faults that need it). Source this file; it never starts anything
# by itself.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
RUN_DIR=${CDC_RUN_DIR:-/tmp/cdc_sync_run}
PGBIN=${PGBIN:-$(pg_config --bindir)}
PGPORT=${CDC_PGPORT:-55432}
PGHOST=$RUN_DIR/sock
E2E_DB=${CDC_E2E_DB:-cdc_e2e}
CDC_KAFKA=${CDC_KAFKA:-mock}
export PGPORT PGHOST CDC_KAFKA

# Runs a command as the postgres system user (the server refuses to run as root), from / : the
# caller's directory (a checkout under /root or mktemp -d) may be closed to that user, and
# PostgreSQL's programs say so ("could not change directory") when it is.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# psql against the test server as the postgres superuser. Clients run as the invoking user (the
# socket allows it), so they can read files in a checkout that the postgres user cannot.
tpsql() {
  psql -X -U postgres -h "$PGHOST" -p "$PGPORT" -v ON_ERROR_STOP=1 -q "$@"
}

# Copies the test tools and the shared samples where the postgres user can read them.
stage_tools() {
  mkdir -p "$RUN_DIR/bin" "$RUN_DIR/samples"
  local tool
  for tool in mock_kafka kafka_produce kafka_admin gen_events; do
    # copy then rename: a running copy of the old binary keeps its inode
    cp "$BUILD/$tool" "$RUN_DIR/bin/.$tool.new" && mv -f "$RUN_DIR/bin/.$tool.new" "$RUN_DIR/bin/$tool"
  done
  if [ -d "$ROOT/../shared/cdc-samples" ]; then cp -r "$ROOT/../shared/cdc-samples/." "$RUN_DIR/samples/"; fi
  chown -R postgres: "$RUN_DIR" 2>/dev/null || true
}

# Starts Kafka: with CDC_KAFKA=real a single-node KRaft broker (jars from Maven Central, cached),
# else the mock cluster (real Kafka protocol on 127.0.0.1). Sets BROKERS.
start_kafka() {
  if [ "$CDC_KAFKA" = real ]; then
    source "$ROOT/test/stack/stack.sh"
    kafka_start "$RUN_DIR/kafka" || return 1
    # Kafka's own consumer-groups tool, for tests that compare what Kafka sees with cdc_sync.
    mkdir -p "$RUN_DIR/bin"
    stack_log_config "$RUN_DIR/kafka/tools-log4j2.properties" WARN
    cat >"$RUN_DIR/bin/kafka-consumer-groups" <<EOF
#!/bin/sh
exec "$STACK_JAVA" -Xmx256m $STACK_JVM_OPTS -Dlog4j2.configurationFile="$RUN_DIR/kafka/tools-log4j2.properties" \\
  -cp "$STACK_CACHE/lib/kafka/*" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "\$@"
EOF
    chmod a+rx "$RUN_DIR/bin/kafka-consumer-groups" "$RUN_DIR/kafka/tools-log4j2.properties"
    BROKERS=$KAFKA_BOOTSTRAP
    export BROKERS
    return 0
  fi
  mkdir -p "$RUN_DIR/kafka"
  chown postgres: "$RUN_DIR/kafka" 2>/dev/null || true
  rm -f "$RUN_DIR/kafka/bootstrap" "$RUN_DIR/kafka/control"
  nohup "$RUN_DIR/bin/mock_kafka" serve --state-dir "$RUN_DIR/kafka" --brokers 3 \
    >"$RUN_DIR/kafka.log" 2>&1 &
  echo $! >"$RUN_DIR/kafka.pid"
  for _ in $(seq 1 100); do
    [ -s "$RUN_DIR/kafka/bootstrap" ] && [ -s "$RUN_DIR/kafka/control" ] && break
    sleep 0.1
  done
  [ -s "$RUN_DIR/kafka/bootstrap" ] || { cat "$RUN_DIR/kafka.log"; echo "mock Kafka did not start" >&2; return 1; }
  chmod -R a+rX "$RUN_DIR/kafka"
  BROKERS=$(cat "$RUN_DIR/kafka/bootstrap")
  export BROKERS
}

# True while the harness's Kafka answers (real: the broker process runs; mock: it answers a ping).
kafka_running() {
  if [ "$CDC_KAFKA" = real ]; then
    source "$ROOT/test/stack/stack.sh"
    [ -s "$RUN_DIR/kafka/bootstrap" ] && stack_alive "$RUN_DIR/kafka" broker
  else
    [ -s "$RUN_DIR/kafka/control" ] && "$BUILD/mock_kafka" ctl --state-dir "$RUN_DIR/kafka" ping >/dev/null 2>&1
  fi
}

# Creates topic $1 with $2 partitions on the harness's Kafka.
create_topic() {
  if [ "$CDC_KAFKA" = real ]; then
    "$BUILD/kafka_admin" --brokers "$(cat "$RUN_DIR/kafka/bootstrap")" create-topic "$1" "$2" >/dev/null
  else
    "$BUILD/mock_kafka" ctl --state-dir "$RUN_DIR/kafka" create-topic "$1" "$2" >/dev/null
  fi
}

stop_kafka() {
  if [ -f "$RUN_DIR/kafka/broker.pid" ]; then
    source "$ROOT/test/stack/stack.sh"
    kafka_stop "$RUN_DIR/kafka"
  fi
  if [ -f "$RUN_DIR/kafka.pid" ]; then
    local pid
    pid=$(cat "$RUN_DIR/kafka.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$RUN_DIR/kafka.pid"
  fi
}

# Creates a throwaway cluster with cdc_sync preloaded, pointed at the mock Kafka.
start_pg() {
  BROKERS=${BROKERS:-$(cat "$RUN_DIR/kafka/bootstrap" 2>/dev/null)}
  rm -rf "$RUN_DIR/pgdata" "$RUN_DIR/postgres.log"
  mkdir -p "$RUN_DIR/pgdata" "$PGHOST"
  chown -R postgres: "$RUN_DIR"
  # CDC_PG_ENCODING (e.g. LATIN1, SQL_ASCII): a cluster in that encoding (C locale); default: the locale's.
  local enc=()
  [ -n "${CDC_PG_ENCODING:-}" ] && enc=(-E "$CDC_PG_ENCODING" --locale=C)
  as_postgres "$PGBIN/initdb" -D "$RUN_DIR/pgdata" -A trust -U postgres --no-sync "${enc[@]}" >"$RUN_DIR/initdb.log" 2>&1
  cat >>"$RUN_DIR/pgdata/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$PGHOST'
port = $PGPORT
shared_preload_libraries = 'cdc_sync'
cdc_sync.database = '$E2E_DB'
max_worker_processes = 32
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = info
log_line_prefix = '%m [%p] %b '
shared_buffers = 256MB
max_wal_size = 4GB
max_prepared_transactions = 2  # pgTAP 03: a pipeline change is refused by PREPARE TRANSACTION
cdc_test.brokers = '${BROKERS:-}'
cdc_test.kafka = '$CDC_KAFKA'
cdc_test.run_dir = '$RUN_DIR'
cdc_test.mysql_port = '${MARIADB_PORT:-}'
CONF
  # Create the pipelines' database before the server (and so the launcher) starts.
  echo "CREATE DATABASE $E2E_DB;" |
    as_postgres "$PGBIN/postgres" --single -D "$RUN_DIR/pgdata" postgres >"$RUN_DIR/single.log" 2>&1
  # -c: a crashing backend leaves a core file in the data directory, for gdb
  as_postgres "$PGBIN/pg_ctl" -D "$RUN_DIR/pgdata" -l "$RUN_DIR/postgres.log" -c -w start >/dev/null
}

stop_pg() {
  if [ -f "$RUN_DIR/pgdata/postmaster.pid" ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$RUN_DIR/pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

# A MariaDB for the full-load tests (pgTAP 26): test/stack/stack.sh's, next to the run directory on a
# free port, with a user cdc (password cdc) that the load workers log in as over TCP.
start_mariadb() {
  # shellcheck source=../stack/stack.sh
  source "$ROOT/test/stack/stack.sh"
  mariadb_start "${RUN_DIR}_mariadb" >/dev/null || return 1  # (not under RUN_DIR: start_pg chowns it)
  mariadb_sql "CREATE USER 'cdc'@'127.0.0.1' IDENTIFIED BY 'cdc'; GRANT ALL ON *.* TO 'cdc'@'127.0.0.1';"
  # Known here (start_pg records the port), not to child processes: the real-chain tests start
  # MariaDBs of their own, on ports of their own.
  export -n MARIADB_PORT MARIADB_SOCK
}

stop_mariadb() {
  [ -d "${RUN_DIR}_mariadb" ] || return 0
  (source "$ROOT/test/stack/stack.sh" && mariadb_stop "${RUN_DIR}_mariadb") >/dev/null 2>&1 || true
}

# Stops everything this harness started.
stop_all() {
  stop_pg
  stop_kafka
  stop_mariadb
}

# Starts afresh: whatever an earlier run left is stopped, then the tools, Kafka, MariaDB and
# PostgreSQL.
start_all() {
  stop_all
  stage_tools
  start_kafka
  start_mariadb
  start_pg
}
