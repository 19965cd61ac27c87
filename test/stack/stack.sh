# The real chain for tests, the demo and the benchmark: a single-node KRaft Kafka broker, Kafka
# Connect standalone with Debezium's MySQL connector, and a MariaDB server, each in a throwaway
# directory on free loopback ports. Source this file; it starts nothing by itself.
#
# Why the MySQL connector: Maven Central, as reached here, serves neither
# debezium-connector-mariadb nor debezium-connector-jdbc. Debezium's MySQL connector 3.6.1 reads
# Debian's MariaDB 10.11 with three adjustments (see mariadb_start and connect_mysql_source):
# MariaDB reports itself as 8.0.36 (the connector takes "10.11" for a MySQL >= 8.4 and asks for
# SHOW BINARY LOG STATUS, which MariaDB lacks); MariaDB's own JDBC driver (MySQL's Connector/J
# asks for 'transaction_isolation', which 10.11 lacks); a real snapshot fetch size (the MySQL
# streaming fetch size is refused by MariaDB's driver). Kafka is 4.3.0, the version Debezium
# 3.6.1 is built against: 4.4 removed classes it uses.
#
#   stack_fetch                 jars into $STACK_CACHE (once; later runs reuse them)
#   kafka_start DIR             broker; sets KAFKA_BOOTSTRAP            kafka_stop DIR
#   kafka_kill DIR              SIGKILL (a crash)    kafka_launch DIR   restart: same port, same logs
#   mariadb_start DIR           server; sets MARIADB_PORT, MARIADB_SOCK  mariadb_stop DIR
#   connect_start DIR           worker; sets CONNECT_URL                 connect_stop DIR
#   connect_add FILE            adds a connector (JSON) and waits until it and its task run
#   connect_mysql_source ...    writes the JSON of a Debezium source for the MariaDB above
#   kafka_tool CLASS ARGS...    runs a Kafka CLI tool (e.g. ConsumerGroupCommand)
#
# Every wait has a timeout and names what it waited for; a missing Java or Maven, an unreachable
# Maven Central or a failed start prints one line saying so and returns non-zero.

STACK_DIR=${STACK_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
# Outside the clone, reused between runs; keyed by the pom so a version change fetches anew.
STACK_CACHE_ROOT=${CDC_STACK_CACHE:-/var/cache/cdc_sync}
STACK_CACHE=$STACK_CACHE_ROOT/stack-$(sha1sum "$STACK_DIR/pom.xml" | cut -c1-12)
STACK_JAVA=${JAVA:-java}
STACK_JVM_OPTS=${STACK_JVM_OPTS:-"-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true"}

stack_say() { echo "stack: $*" >&2; }

# Waits until `cmd...` succeeds, at most `seconds`; says what it waited for when it gives up.
stack_wait() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      stack_say "gave up after ${seconds}s waiting for $what"
      return 1
    fi
    sleep 0.2
  done
}

# A free TCP port on 127.0.0.1.
stack_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Copies each profile's runtime classpath of pom.xml into $STACK_CACHE (atomically, once).
stack_fetch() {
  if [ -f "$STACK_CACHE/.complete" ]; then return 0; fi
  command -v "$STACK_JAVA" >/dev/null || { stack_say "no java: install default-jdk-headless (OpenJDK 17)"; return 1; }
  command -v mvn >/dev/null || { stack_say "no mvn: install maven"; return 1; }
  local tmp="$STACK_CACHE.tmp.$$" dep=org.apache.maven.plugins:maven-dependency-plugin:3.8.1 log
  rm -rf "$tmp" && mkdir -p "$tmp"
  log="$tmp/fetch.log"
  stack_say "fetching Kafka and Debezium jars from Maven Central into $STACK_CACHE (the first time takes minutes)"
  if ! mvn -B -q -f "$STACK_DIR/pom.xml" -P kafka "$dep:copy-dependencies" -DincludeScope=runtime \
         -DoutputDirectory="$tmp/lib/kafka" >>"$log" 2>&1 ||
     ! mvn -B -q -f "$STACK_DIR/pom.xml" -P dbz-mysql "$dep:copy-dependencies" -DincludeScope=runtime \
         -DexcludeGroupIds=org.apache.kafka -DoutputDirectory="$tmp/plugins/debezium-connector-mysql" >>"$log" 2>&1; then
    stack_say "Maven could not fetch the jars (is Maven Central reachable?): $(grep -m1 ERROR "$log" | cut -c1-300)"
    return 1
  fi
  touch "$tmp/.complete"
  rm -rf "$STACK_CACHE" && mv "$tmp" "$STACK_CACHE"
}

# Writes the log4j2 configuration the JVMs use (Kafka's POMs ship none).
stack_log_config() {
  local file=$1 level=$2
  cat >"$file" <<EOF
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = $level
rootLogger.appenderRef.out.ref = OUT
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
EOF
}

# Starts a process in the background with its pid in DIR/NAME.pid and output in DIR/NAME.log.
stack_spawn() {
  local dir=$1 name=$2
  shift 2
  nohup "$@" >"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
  disown $!  # a later kill is no job news for the caller's shell
}

# Stops the process of DIR/NAME.pid: SIGTERM, then SIGKILL after `grace` seconds.
stack_kill() {
  local dir=$1 name=$2 grace=${3:-30} pid
  [ -f "$dir/$name.pid" ] || return 0
  pid=$(cat "$dir/$name.pid")
  kill "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/$name.pid"
}

# True while the process of DIR/NAME.pid runs.
stack_alive() { [ -f "$1/$2.pid" ] && kill -0 "$(cat "$1/$2.pid")" 2>/dev/null; }

# ---------------------------------------------------------------------------------------- Kafka

kafka_start() {
  local dir=$1 port controller
  stack_fetch || return 1
  mkdir -p "$dir"
  port=${KAFKA_PORT:-$(stack_free_port)}
  controller=$(stack_free_port)
  rm -rf "$dir/data"
  stack_log_config "$dir/log4j2.properties" INFO
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.check.interval.ms=5000
num.network.threads=2
num.io.threads=2
EOF
  local cp="$STACK_CACHE/lib/kafka/*" log="-Dlog4j2.configurationFile=$dir/log4j2.properties"
  if ! "$STACK_JAVA" $STACK_JVM_OPTS "$log" -cp "$cp" kafka.tools.StorageTool format -t ldlg5yhkQeWtnUrZrC6edg \
         -c "$dir/server.properties" >"$dir/format.log" 2>&1; then
    stack_say "formatting the Kafka log directory failed: $(tail -1 "$dir/format.log")"
    return 1
  fi
  echo "127.0.0.1:$port" >"$dir/bootstrap"
  kafka_launch "$dir"
}

# Starts the broker of DIR (formatted by kafka_start) and waits until it serves; sets KAFKA_BOOTSTRAP.
kafka_launch() {
  local dir=$1
  local cp="$STACK_CACHE/lib/kafka/*" log="-Dlog4j2.configurationFile=$dir/log4j2.properties"
  stack_spawn "$dir" broker "$STACK_JAVA" -Xms256m -Xmx768m $STACK_JVM_OPTS "$log" -cp "$cp" kafka.Kafka \
    "$dir/server.properties"
  if ! stack_wait "the Kafka broker at $(cat "$dir/bootstrap") to start (see $dir/broker.log)" 120 \
         grep -q 'Kafka Server started' "$dir/broker.log"; then
    grep -m3 -E 'ERROR|Exception' "$dir/broker.log" >&2
    return 1
  fi
  KAFKA_BOOTSTRAP=$(cat "$dir/bootstrap")
  export KAFKA_BOOTSTRAP
}

kafka_stop() { stack_kill "$1" broker 60; }

# Kills the broker of DIR with SIGKILL (a crash: no controlled shutdown); kafka_launch restarts it
# on the same port with the same logs.
kafka_kill() {
  [ -f "$1/broker.pid" ] || return 0
  kill -9 "$(cat "$1/broker.pid")" 2>/dev/null || true
  while stack_alive "$1" broker; do sleep 0.1; done
  rm -f "$1/broker.pid"
}

# Runs a Kafka CLI tool class against the broker (its log on stderr at WARN).
kafka_tool() {
  local class=$1
  shift
  local conf=${STACK_TOOL_LOG:-/tmp/cdc_stack_tools_log4j2.properties}
  [ -f "$conf" ] || stack_log_config "$conf" WARN
  "$STACK_JAVA" -Xmx256m $STACK_JVM_OPTS -Dlog4j2.configurationFile="$conf" -cp "$STACK_CACHE/lib/kafka/*" \
    "$class" "$@"
}

# ---------------------------------------------------------------------------------------- MariaDB

mariadb_start() {
  local dir=$1 port
  command -v mariadbd >/dev/null || { stack_say "no mariadbd: install mariadb-server"; return 1; }
  port=${MARIADB_PORT:-$(stack_free_port)}
  rm -rf "$dir/data" && mkdir -p "$dir/data" "$dir/run"
  chown -R mysql:mysql "$dir" 2>/dev/null || true
  if ! mariadb-install-db --no-defaults --user=mysql --datadir="$dir/data" --skip-test-db \
         --auth-root-authentication-method=socket >"$dir/install.log" 2>&1; then
    stack_say "mariadb-install-db failed: $(tail -1 "$dir/install.log")"
    return 1
  fi
  # ROW binlog with full row images: what Debezium needs. The server refuses to run as root.
  stack_spawn "$dir" mariadb mariadbd --no-defaults --user=mysql --datadir="$dir/data" \
    --socket="$dir/run/mysqld.sock" --pid-file="$dir/run/mysqld.pid" --port="$port" --bind-address=127.0.0.1 \
    --skip-name-resolve --server-id=1 --log-bin=mysql-bin --binlog-format=ROW --binlog-row-image=FULL \
    --log-bin-compress=OFF --binlog-expire-logs-seconds=86400 --innodb-buffer-pool-size=256M \
    --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_general_ci --version="8.0.36-MariaDB-$(mariadbd --version | grep -o '10\.[0-9.]*' | head -1)" \
    ${MARIADB_EXTRA_OPTS:-}
  if ! stack_wait "MariaDB on port $port to accept connections (see $dir/mariadb.log)" 60 \
         mariadb-admin --socket="$dir/run/mysqld.sock" -uroot ping; then
    tail -3 "$dir/mariadb.log" >&2
    return 1
  fi
  MARIADB_PORT=$port
  MARIADB_SOCK=$dir/run/mysqld.sock
  export MARIADB_PORT MARIADB_SOCK
  mariadb_sql "CREATE USER 'debezium'@'%' IDENTIFIED BY 'dbz';
               GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT, LOCK TABLES ON *.* TO 'debezium'@'%';"
}

# Runs SQL as MariaDB's root (over the socket).
mariadb_sql() { mariadb --socket="$MARIADB_SOCK" -uroot --batch --skip-column-names -e "$1"; }

mariadb_stop() { stack_kill "$1" mariadb 60; }

# ---------------------------------------------------------------------------------------- Connect

connect_start() {
  local dir=$1 port
  stack_fetch || return 1
  mkdir -p "$dir"
  port=$(stack_free_port)
  stack_log_config "$dir/log4j2.properties" INFO
  cat >"$dir/worker.properties" <<EOF
bootstrap.servers=$KAFKA_BOOTSTRAP
listeners=http://127.0.0.1:$port
plugin.path=$STACK_CACHE/plugins
plugin.discovery=service_load
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
offset.storage.file.filename=$dir/connect.offsets
offset.flush.interval.ms=1000
EOF
  stack_spawn "$dir" connect "$STACK_JAVA" -Xms256m -Xmx1g $STACK_JVM_OPTS \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$STACK_CACHE/lib/kafka/*" \
    org.apache.kafka.connect.cli.ConnectStandalone "$dir/worker.properties"
  CONNECT_URL=http://127.0.0.1:$port
  export CONNECT_URL
  if ! stack_wait "Kafka Connect's REST API on port $port (see $dir/connect.log)" 120 curl -fsS "$CONNECT_URL/"; then
    grep -m3 -E 'ERROR|Exception' "$dir/connect.log" >&2
    return 1
  fi
}

# True when connector $1 and all its tasks run; fails loudly (exit 2) when one failed.
connect_running() {
  local status
  status=$(curl -fsS "$CONNECT_URL/connectors/$1/status") || return 1
  if grep -q '"state":"FAILED"' <<<"$status"; then
    stack_say "connector $1 failed: $(cut -c1-600 <<<"$status")"
    return 2
  fi
  [ "$(grep -o '"state":"RUNNING"' <<<"$status" | wc -l)" -ge 2 ]
}

# Adds the connector in JSON file $1 ({"name": ..., "config": {...}}) and waits until it runs.
connect_add() {
  local file=$1 name
  name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$file")
  if ! curl -fsS -X POST -H 'Content-Type: application/json' --data @"$file" "$CONNECT_URL/connectors" >/dev/null; then
    stack_say "Kafka Connect refused connector $name: $(curl -sS -X POST -H 'Content-Type: application/json' \
      --data @"$file" "$CONNECT_URL/connectors" | cut -c1-400)"
    return 1
  fi
  local deadline=$((SECONDS + 120)) rc
  while :; do
    rc=0
    connect_running "$name" || rc=$?
    [ $rc = 0 ] && return 0
    [ $rc = 2 ] && return 1
    if ((SECONDS >= deadline)); then
      stack_say "gave up after 120s waiting for connector $name to run"
      return 1
    fi
    sleep 0.3
  done
}

connect_stop() { stack_kill "$1" connect 60; }

# Writes to $1 the JSON of a Debezium MySQL source connector named $2 for the MariaDB of
# mariadb_start: topics "<$3>.<db>.<table>" for the databases matching $4; more '"key": "value"'
# config pairs may follow (e.g. '"value.converter.schemas.enable": "false"').
connect_mysql_source() {
  local file=$1 name=$2 prefix=$3 databases=$4
  shift 4
  local extra="" pair
  for pair in "$@"; do extra="$extra, $pair"; done
  cat >"$file" <<JSON
{"name": "$name", "config": {
  "connector.class": "io.debezium.connector.mysql.MySqlConnector",
  "tasks.max": "1",
  "database.hostname": "127.0.0.1", "database.port": "$MARIADB_PORT",
  "database.user": "debezium", "database.password": "dbz",
  "database.jdbc.driver": "org.mariadb.jdbc.Driver", "database.protocol": "jdbc:mariadb",
  "database.ssl.mode": "disabled",
  "database.server.id": "$((100000 + RANDOM))", "topic.prefix": "$prefix",
  "database.include.list": "$databases",
  "include.schema.changes": "false",
  "snapshot.locking.mode": "none", "snapshot.fetch.size": "10000",
  "schema.history.internal.kafka.bootstrap.servers": "$KAFKA_BOOTSTRAP",
  "schema.history.internal.kafka.topic": "schemahistory.$prefix"$extra
}}
JSON
}
