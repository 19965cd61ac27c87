#!/usr/bin/env bash
# A database whose encoding is not UTF8. Messages are UTF-8 (JSON), so the worker converts values
# to the database encoding; a character the database cannot hold is a bad message (here a dead
# letter, its raw message kept as hex), never mojibake. For LATIN1 and SQL_ASCII (which stores the
# UTF-8 bytes as they are), each in a PostgreSQL cluster of its own, against the harness's Kafka
# (started here when none runs).
#   bash test/encoding/run.sh
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/test/harness/common.sh"
MAIN_RUN_DIR=$RUN_DIR
STARTED_KAFKA=0
N=0 FAILED=0
check() {  # check DESCRIPTION GOT WANT
  N=$((N + 1))
  if [ "$2" = "$3" ]; then echo "ok $N - $1"; else FAILED=$((FAILED + 1)); echo "not ok $N - $1"; echo "#   got:  '$2'"; echo "#   want: '$3'"; fi
}
cleanup() {
  for enc in LATIN1 SQL_ASCII; do
    (export CDC_RUN_DIR=$MAIN_RUN_DIR-enc-$enc; source "$ROOT/test/harness/common.sh"; stop_pg)
  done
  if [ "$STARTED_KAFKA" = 1 ]; then stop_kafka; fi
}
trap cleanup EXIT
if ! kafka_running; then
  start_kafka || { echo "Bail out! cannot start Kafka"; exit 1; }
  STARTED_KAFKA=1
fi
BROKERS=$(cat "$RUN_DIR/kafka/bootstrap")

port=55490
for enc in LATIN1 SQL_ASCII; do
  port=$((port + 1))
  topic="enc_${enc}_$(date +%s)_$$"
  create_topic "$topic" 1 || { echo "Bail out! cannot create topic $topic"; exit 1; }
  # 1 café, 2 naïve, 3 €5 (no LATIN1 equivalent), 4 日本 (none either), 5 plain
  printf '0\t\\N\t{"op":"c","after":{"id":%s,"v":"%s"},"source":{"db":"s","table":"t"}}\n' \
    1 'café' 2 'naïve' 3 '€5' 4 '日本' 5 'plain' | "$BUILD/kafka_produce" --brokers "$BROKERS" --topic "$topic" 2>/dev/null \
    || { echo "Bail out! producing failed"; exit 1; }
  out=$(
    export CDC_RUN_DIR=$MAIN_RUN_DIR-enc-$enc CDC_PGPORT=$port CDC_PG_ENCODING=$enc BROKERS
    source "$ROOT/test/harness/common.sh"
    stop_pg >/dev/null 2>&1
    start_pg || { echo "START FAILED"; exit 1; }
    export PGCLIENTENCODING=UTF8
    tpsql -d "$E2E_DB" -tA >/dev/null <<SQL
CREATE EXTENSION cdc_sync;
CREATE TABLE t (id int PRIMARY KEY, v text);
SELECT cdc_sync.create_pipeline('enc', '$BROKERS', ARRAY['$topic'], 'debezium', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('enc', 's.t', 't');
SELECT cdc_sync.start_pipeline('enc');
SELECT cdc_sync.wait_for_catchup('enc', '60 s');
SQL
    tpsql -d "$E2E_DB" -tA -F'|' <<'SQL'
SELECT 'encoding', pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database();
SELECT 'rows', string_agg(id || '=' || v || '=' || encode(convert_to(v, getdatabaseencoding()), 'hex'), ' ' ORDER BY id) FROM t;
SELECT 'dead', count(*), bool_and(error LIKE '%has no equivalent in encoding "LATIN1"%'),
       bool_and(left(value, 2) = '\x') FROM cdc_sync.dead_letters;
SELECT 'state', state || '/' || coalesce(last_error, '') FROM cdc_sync.status;
SQL
  )
  echo "$out" | grep -q "START FAILED" && { echo "Bail out! PostgreSQL ($enc) did not start"; exit 1; }
  get() { echo "$out" | grep "^$1|" | cut -d'|' -f2- | tr '|' ' '; }
  check "$enc: the database is $enc" "$(get encoding)" "$enc"
  check "$enc: the pipeline runs without error" "$(get state)" "running/"
  if [ "$enc" = LATIN1 ]; then
    check "LATIN1: representable characters arrive converted (café = 63 61 66 e9 in LATIN1)" \
      "$(get rows)" "1=café=636166e9 2=naïve=6e61ef7665 5=plain=706c61696e"
    check "LATIN1: characters LATIN1 cannot hold are dead letters that say so, raw kept as hex" \
      "$(get dead)" "2 t t"
  else
    check "SQL_ASCII: every value is stored as its UTF-8 bytes" \
      "$(get rows)" "1=café=636166c3a9 2=naïve=6e61c3af7665 3=€5=e282ac35 4=日本=e697a5e69cac 5=plain=706c61696e"
    check "SQL_ASCII: no dead letter" "$(get dead | cut -d' ' -f1)" "0"
  fi
done
echo "$((N - FAILED)) passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
