#!/usr/bin/env bash
# A full load racing the real stream: MariaDB -> Debezium -> Kafka -> cdc_sync, with writes going
# on at MariaDB while cdc_sync.full_load() reads the same table directly. Afterwards the target must
# equal the source (cdc_sync.verify, and a digest of every row).
#
#   1. MariaDB table race.items, 200,000 rows, made before the connector starts (it snapshots no
#      data: the stream carries only what changes afterwards).
#   2. A pipeline on the connector's topic, started and caught up.
#   3. full_load(parallelism 2, chunks of 5,000) while a writer updates, deletes and inserts rows
#      (random keys, also in chunks already loaded and not yet loaded) until the load is done.
#   4. A last change (a marker row) is waited for in the target, then wait_for_catchup, then verify.
#   5. Three more pipelines read the same stream with other apply options (issue 11): delete_mode
#      soft with version_column _cdc_source_ts, delete_mode archive with version_column _cdc_offset,
#      and mode changelog. Each must agree with the verified target: a soft-deleted row is a row
#      MariaDB no longer has, any other row equals MariaDB's; the archive holds each deleted row once
#      and the live rows equal MariaDB's; the change log has a row per change, and its last row per
#      key is the row's state.
#
#   bash test/stack/load_race.sh [RUN_DIR]     (default /tmp/cdc_load_race; the extension installed)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/test/stack/env.sh" "${1:-/tmp/cdc_load_race}" "${CDC_RACE_PGPORT:-55472}" cdc_race
ROWS=${CDC_RACE_ROWS:-200000}

say() { echo "load_race: $*"; }
fail() { echo "load_race: FAILED: $*" >&2; exit 1; }
stop() {
  [ -n "${WRITER:-}" ] && kill "$WRITER" 2>/dev/null || true
  connect_stop "$RUN/connect"
  stop_pg
  kafka_stop "$RUN/kafka"
  mariadb_stop "$RUN/mariadb"
}
trap stop EXIT
msql() { mariadb --socket="$MARIADB_SOCK" -uroot --batch --skip-column-names "$@"; }
psql_db() { tpsql -d "$E2E_DB" -v ON_ERROR_STOP=1 -qtA "$@"; }

t0=$SECONDS
kafka_start "$RUN/kafka"
mariadb_start "$RUN/mariadb"
msql -e "CREATE USER 'cdc'@'127.0.0.1' IDENTIFIED BY 'cdc'; GRANT ALL ON *.* TO 'cdc'@'127.0.0.1';
         CREATE DATABASE race; CREATE TABLE race.items (id INT PRIMARY KEY, v VARCHAR(40), n INT);
         INSERT INTO race.items SELECT seq, CONCAT('item ', seq), seq FROM race.seq_1_to_$ROWS;"
BROKERS=$KAFKA_BOOTSTRAP start_pg
psql_db -c "CREATE EXTENSION cdc_sync" >/dev/null
connect_start "$RUN/connect"
connect_mysql_source "$RUN/source.json" race race race '"snapshot.mode": "no_data"'
connect_add "$RUN/source.json"
say "services up in $((SECONDS - t0))s"

# The connector streams: a change reaches its topic (changed again at each look, as the connector
# reads the binlog only from where it started).
topic_has_messages() {
  msql -e "UPDATE race.items SET n = n - 1 WHERE id = 1"
  kafka_tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$KAFKA_BOOTSTRAP" --topic race.race.items 2>/dev/null |
    awk -F: '{ s += $3 } END { exit !(s > 0) }'
}
stack_wait "the connector's first event in race.race.items" 120 topic_has_messages || fail "no event from the connector"

psql_db >/dev/null <<EOF
SELECT cdc_sync.create_pipeline('race', '$KAFKA_BOOTSTRAP', ARRAY['race.race.items']);
SELECT cdc_sync.add_sync_table('race', 'race.items', 'items');
SELECT cdc_sync.create_mysql_connection('race', jsonb_build_object('host', '127.0.0.1', 'port', $MARIADB_PORT,
                                                                   'user', 'cdc', 'password', 'cdc'));
SELECT cdc_sync.start_pipeline('race');
SELECT cdc_sync.create_pipeline('race_soft', '$KAFKA_BOOTSTRAP', ARRAY['race.race.items']);
SELECT cdc_sync.add_sync_table('race_soft', 'race.items', 'items_soft', NULL,
    '{"delete_mode": "soft", "version_column": "_cdc_source_ts", "metadata_columns": ["_cdc_op", "_cdc_offset"]}');
SELECT cdc_sync.start_pipeline('race_soft');
SELECT cdc_sync.create_pipeline('race_arch', '$KAFKA_BOOTSTRAP', ARRAY['race.race.items']);
SELECT cdc_sync.add_sync_table('race_arch', 'race.items', 'items_arch', NULL,
    '{"delete_mode": "archive", "version_column": "_cdc_offset"}');
SELECT cdc_sync.start_pipeline('race_arch');
SELECT cdc_sync.create_pipeline('race_log', '$KAFKA_BOOTSTRAP', ARRAY['race.race.items']);
SELECT cdc_sync.add_sync_table('race_log', 'race.items', 'items_log', NULL, '{"mode": "changelog", "metadata_columns": ["_cdc_offset"]}');
SELECT cdc_sync.start_pipeline('race_log');
EOF
[ "$(psql_db -c "SELECT cdc_sync.wait_for_catchup('race', '60 s')")" = t ] || fail "the pipeline did not catch up"

# The writer: random changes, each its own transaction, a hundred per client call, until told to stop.
writer() {
  local i=0 id sql
  while [ ! -f "$RUN/stop_writer" ]; do
    sql=""
    for _ in $(seq 1 100); do
      id=$(( (RANDOM * 32768 + RANDOM) % ROWS + 1 ))
      case $((i % 4)) in
        0|1) sql+="UPDATE race.items SET v = CONCAT('changed ', $i), n = $i WHERE id = $id;" ;;
        2) sql+="DELETE FROM race.items WHERE id = $id;" ;;
        3) sql+="INSERT INTO race.items VALUES ($ROWS + $i, 'new $i', $i) ON DUPLICATE KEY UPDATE v = 'again';" ;;
      esac
      i=$((i + 1))
    done
    msql -e "$sql"
    echo "$i" >"$RUN/writes"
  done
}
writer &
WRITER=$!
t0=$SECONDS
psql_db -c "SELECT cdc_sync.full_load('race', 'race.items', 'race', '{\"parallelism\": 2, \"chunk_rows\": 5000}')" >/dev/null
[ "$(psql_db -c "SELECT cdc_sync.wait_for_load('race', '10 min')")" = t ] || fail "the load did not end"
writes_during=$(cat "$RUN/writes")
touch "$RUN/stop_writer"
wait "$WRITER"
WRITER=
say "loaded $(psql_db -c "SELECT rows || ' rows in ' || chunks_total || ' chunks' FROM cdc_sync.loads") in $((SECONDS - t0))s; $writes_during changes were written at MariaDB meanwhile, $(cat "$RUN/writes") in all"
[ "$writes_during" -gt 0 ] || fail "no change was written during the load"

msql -e "INSERT INTO race.items VALUES (0, 'marker', 0)"
marker_arrived() { [ "$(psql_db -c "SELECT count(*) FROM items WHERE id = 0")" = 1 ]; }
stack_wait "the marker row in the target" 120 marker_arrived || fail "the marker did not arrive"
[ "$(psql_db -c "SELECT cdc_sync.wait_for_catchup('race', '60 s')")" = t ] || fail "the pipeline did not catch up"

verdict=$(psql_db -c "SELECT source_rows || ' ' || target_rows || ' ' || missing || ' ' || extra || ' ' || changed || ' ' || equal
                      FROM cdc_sync.verify('race', 'race.items', 'race')")
digest_my=$(msql -e "SET SESSION group_concat_max_len = 100000000;
                     SELECT MD5(GROUP_CONCAT(CONCAT(id, ':', v, ':', n) ORDER BY id SEPARATOR ',')) FROM race.items")
digest_pg=$(psql_db -c "SELECT md5(string_agg(id || ':' || v || ':' || n, ',' ORDER BY id)) FROM items")
say "verify: source rows, target rows, missing, extra, changed, equal: $verdict"
[ "${verdict##* }" = true ] || fail "verify found differences"
[ "$digest_my" = "$digest_pg" ] || fail "the digests of every row differ"

# The other apply options on the same stream, checked against the verified target.
for p in race_soft race_arch race_log; do
  [ "$(psql_db -c "SELECT cdc_sync.wait_for_catchup('$p', '120 s')")" = t ] || fail "pipeline $p did not catch up"
done
soft=$(psql_db -c "SELECT count(*) FILTER (WHERE s._cdc_deleted) || ' ' || count(*) FILTER (WHERE NOT s._cdc_deleted) || ' ' ||
                          count(*) FILTER (WHERE s._cdc_deleted AND i.id IS NOT NULL) || ' ' ||
                          count(*) FILTER (WHERE NOT s._cdc_deleted AND (i.id IS NULL OR (i.v, i.n) IS DISTINCT FROM (s.v, s.n))) || ' ' ||
                          count(*) FILTER (WHERE s._cdc_source_ts IS NULL OR s._cdc_op IS NULL OR s._cdc_offset IS NULL)
                   FROM items_soft s LEFT JOIN items i ON i.id = s.id")
say "soft: deleted, live, deleted but in MariaDB, live but not MariaDB's row, without metadata: $soft"
read -r deleted live wrong_deleted wrong_live no_meta <<<"$soft"
[ "$deleted" -gt 0 ] && [ "$live" -gt 0 ] || fail "delete_mode soft saw no deletes or no rows"
[ "$wrong_deleted$wrong_live$no_meta" = 000 ] || fail "delete_mode soft disagrees with the source"
arch=$(psql_db -c "SELECT (SELECT count(*) FROM items_arch_deleted) || ' ' || (SELECT count(DISTINCT id) FROM items_arch_deleted) || ' ' ||
                          (SELECT count(*) FROM items_arch_deleted d JOIN items i ON i.id = d.id) || ' ' ||
                          (SELECT count(*) FROM items_arch a LEFT JOIN items i ON i.id = a.id
                           WHERE i.id IS NULL OR (i.v, i.n) IS DISTINCT FROM (a.v, a.n)) || ' ' ||
                          (SELECT count(*) FROM items_soft WHERE _cdc_deleted)")
say "archive: archived rows, distinct keys, archived but in MariaDB, live but not MariaDB's row; soft-deleted rows: $arch"
read -r archived archived_keys wrong_archived wrong_arch_live soft_deleted <<<"$arch"
[ "$archived" = "$archived_keys" ] && [ "$archived" = "$soft_deleted" ] && [ "$wrong_archived$wrong_arch_live" = 00 ] ||
  fail "delete_mode archive disagrees with the source"
log=$(psql_db -c "WITH last AS (SELECT DISTINCT ON (id) * FROM items_log WHERE id IS NOT NULL ORDER BY id, _cdc_offset DESC)
                  SELECT (SELECT count(*) FROM items_log) || ' ' ||
                         (SELECT messages_consumed - messages_skipped FROM cdc_sync.status WHERE pipeline = 'race_log') || ' ' ||
                         (SELECT count(*) FROM items_log WHERE _cdc_op = 'delete') || ' ' ||
                         (SELECT count(*) FROM last l LEFT JOIN items i ON i.id = l.id
                          WHERE (l._cdc_op = 'delete') IS DISTINCT FROM (i.id IS NULL)
                             OR (l._cdc_op <> 'delete' AND (i.v, i.n) IS DISTINCT FROM (l.v, l.n)))")
say "changelog: rows, changes consumed, deletes, keys whose last change disagrees with the source: $log"
read -r log_rows changes log_deletes log_wrong <<<"$log"
[ "$log_rows" = "$changes" ] && [ "$log_deletes" -gt 0 ] && [ "$log_wrong" = 0 ] || fail "the change log disagrees with the source"
say "passed: the target equals the source after a load racing $(cat "$RUN/writes") writes through the real stream"
