#!/usr/bin/env bash
# Smoke test of the real chain alone: MariaDB -> Debezium (Kafka Connect) -> Kafka. Starts the
# stack in a throwaway directory, changes a table, and checks that the topic holds the snapshot,
# insert, update, delete and tombstone Debezium writes for them. Stops everything afterwards.
#   bash test/stack/smoke.sh [RUN_DIR]     (default /tmp/cdc_stack_smoke)
set -euo pipefail
source "$(dirname "$0")/stack.sh"
RUN=${1:-/tmp/cdc_stack_smoke}
rm -rf "$RUN" && mkdir -p "$RUN"
stop() {
  connect_stop "$RUN/connect"
  kafka_stop "$RUN/kafka"
  mariadb_stop "$RUN/mariadb"
}
trap stop EXIT

kafka_start "$RUN/kafka"
mariadb_start "$RUN/mariadb"
mariadb_sql "CREATE DATABASE smoke; CREATE TABLE smoke.t (id int PRIMARY KEY, v varchar(20), d decimal(10,2));
             INSERT INTO smoke.t VALUES (1, 'a', 1.50), (2, 'b', 2.25);"
connect_start "$RUN/connect"
connect_mysql_source "$RUN/source.json" smoke smoke smoke '"decimal.handling.mode": "string"'
connect_add "$RUN/source.json"
# Reads the topic into seen.txt, one line per event ("op row" or "tombstone"); true once $1 came.
seen() {
  kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_BOOTSTRAP" \
    --topic smoke.smoke.t --from-beginning --timeout-ms 3000 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line == "null":
        print("tombstone")
        continue
    p = json.loads(line)["payload"]
    print(p["op"], json.dumps(p["after"] or p["before"], sort_keys=True))' >"$RUN/seen.txt" || true
  [ "$(wc -l <"$RUN/seen.txt")" -ge "$1" ]
}
# Changes only after the snapshot: changes made while it runs may be read by it too.
stack_wait "the snapshot of smoke.t in Kafka" 90 seen 2 || { cat "$RUN/seen.txt"; exit 1; }
mariadb_sql "INSERT INTO smoke.t VALUES (3, 'c', 3.75); UPDATE smoke.t SET v = 'a2' WHERE id = 1;
             DELETE FROM smoke.t WHERE id = 2;"
stack_wait "the six events of smoke.t in Kafka" 90 seen 6 || { cat "$RUN/seen.txt"; exit 1; }

expected='r {"d": "1.50", "id": 1, "v": "a"}
r {"d": "2.25", "id": 2, "v": "b"}
c {"d": "3.75", "id": 3, "v": "c"}
u {"d": "1.50", "id": 1, "v": "a2"}
d {"d": "2.25", "id": 2, "v": "b"}
tombstone'
if [ "$(cat "$RUN/seen.txt")" != "$expected" ]; then
  echo "smoke: unexpected events:"
  cat "$RUN/seen.txt"
  exit 1
fi
echo "smoke: MariaDB -> Debezium -> Kafka: 6 events as expected"
