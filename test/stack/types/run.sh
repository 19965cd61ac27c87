#!/usr/bin/env bash
# Every MySQL/MariaDB column type through the real chain, value by value:
#   MariaDB 10.11 -> Debezium's MySQL connector (Kafka Connect) -> Kafka -> cdc_sync -> PostgreSQL.
#
# One MariaDB database (mariadb.sql: all_types, a column of every type the connector reads and rows
# of edge values; aux, for TRUNCATE; rejects, values PostgreSQL cannot hold), one Kafka broker, one
# Connect worker running one connector per configuration below (each its own topic prefix), and
# one PostgreSQL with one pipeline and one target schema per configuration (postgres.sql).
#   1. The rows there when the connectors start arrive as snapshot reads (op r); changes.sql then
#      inserts the same edge rows again (op c), updates every column, deletes, changes a primary
#      key and truncates.
#   2. evolve.sql adds a column at the source mid-stream, then changes rows.
#   3. The column is added to the targets by hand, then rows change again.
# After each step a marker row, inserted last into every table, is waited for in every target and
# cdc_sync.wait_for_catchup() called; then every column of every row of every target is compared
# with MariaDB's value (postgres.sql: a canonical form per type, exact), and the differences the
# chain is known to make (known.sql, each with its cause) must be exactly the ones found.
#
#   bash test/stack/types/run.sh [RUN_DIR]     (default /tmp/cdc_types; the extension installed)
#   CDC_TYPES_DUMP=1 ...                       also writes the topics to RUN_DIR/topics/ at the end
#
# Its PostgreSQL is its own (RUN_DIR/pg, socket port CDC_TYPES_PGPORT, default 55470); Kafka,
# Connect and MariaDB take free ports. Everything it started is stopped on exit.
#
# Not covered: MariaDB's own types UUID, INET4 and INET6: the MySQL connector's DDL parser
# refuses a table that has one ("Multiple parsing errors"), and its MariaDB connector is not
# served by the Maven Central reachable here (test/stack/stack.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
source "$ROOT/test/stack/env.sh" "${1:-/tmp/cdc_types}" "${CDC_TYPES_PGPORT:-55470}" cdc_types

say() { echo "types: $*"; }
fail() { echo "types: FAILED: $*" >&2; exit 1; }

# The connector configurations: every decimal.handling.mode and time.precision.mode with and
# without the schema envelope (value/key.converter.schemas.enable), BIGINT UNSIGNED both as
# Debezium's default 'long' and 'precise', and Connect's JsonConverter writing decimals as
# base64 (its default) or as JSON numbers (decimal.format NUMERIC).
#   name                schemas decimal  time                        bigint   decimal.format
CONFIGS=(
  "s_precise_adaptive true    precise  adaptive_time_microseconds  precise  BASE64"
  "s_precise_numeric  true    precise  adaptive_time_microseconds  precise  NUMERIC"
  "s_string_connect   true    string   connect                     precise  NUMERIC"
  "s_double_adaptive  true    double   adaptive_time_microseconds  long     BASE64"
  "n_precise_adaptive false   precise  adaptive_time_microseconds  precise  BASE64"
  "n_string_adaptive  false   string   adaptive_time_microseconds  precise  NUMERIC"
  "n_double_connect   false   double   connect                     long     BASE64"
)
NAMES=()
for c in "${CONFIGS[@]}"; do NAMES+=("${c%% *}"); done
# One configuration evolves its targets (schema_changes 'evolve', with the connector propagating the
# MySQL column types): the column added at the source in phase 2 is added to its target by
# cdc_sync; the others ignore it and have it added by hand in phase 3.
EVOLVE=s_precise_adaptive
TABLES=(all_types aux rejects)  # the tables of database types (mariadb.sql), each with a target

stop() {
  local rc=$? name tbl
  trap - EXIT ERR
  # On request (CDC_TYPES_DUMP=1), what Kafka held, to look into a difference:
  # RUN_DIR/topics/<topic>.json, each line the key, a tab and the value.
  if [ -n "${CDC_TYPES_DUMP:-}" ] && stack_alive "$RUN/kafka" broker; then
    mkdir -p "$RUN/topics"
    for name in "${NAMES[@]}"; do
      for tbl in "${TABLES[@]}"; do
        kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_BOOTSTRAP" \
          --topic "$name.types.$tbl" --from-beginning --timeout-ms 5000 --formatter-property print.key=true \
          2>/dev/null | grep -v '^\[' >"$RUN/topics/$name.types.$tbl.json" || true
      done
    done
  fi
  connect_stop "$RUN/connect" || true
  stop_pg || true
  kafka_stop "$RUN/kafka" || true
  mariadb_stop "$RUN/mariadb" || true
  exit "$rc"
}
trap stop EXIT
set -E
trap 'echo "types: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

msql() { mariadb --socket="$MARIADB_SOCK" -uroot --default-character-set=utf8mb4 --batch --skip-column-names "$@"; }
psql_db() { tpsql -d "$E2E_DB" -v ON_ERROR_STOP=1 "$@"; }

# ------------------------------------------------------------------------------ the services
t0=$SECONDS
kafka_start "$RUN/kafka"
# Both servers away from UTC (and from each other), so a value read in the wrong zone shows.
MARIADB_EXTRA_OPTS="--default-time-zone=+02:00" mariadb_start "$RUN/mariadb"
BROKERS=$KAFKA_BOOTSTRAP start_pg  # (BROKERS: the harness's cdc_test.brokers, unused here)
psql_db -qc "ALTER SYSTEM SET timezone = 'Asia/Kathmandu'" -c "SELECT pg_reload_conf()" >/dev/null
psql_db -c "CREATE EXTENSION cdc_sync" -f "$HERE/postgres.sql" -f "$HERE/known.sql" >/dev/null
msql <"$HERE/mariadb.sql"
connect_start "$RUN/connect"
say "services up in $((SECONDS - t0))s"

# ------------------------------------------------------------------------------ the connectors
# Debezium's MySQL connector reads DATE, TIME and DATETIME columns in the snapshot with
# ResultSet.getBlob() (its text and binary protocol field readers), which MariaDB's JDBC driver
# refuses for temporal columns ("Data type DATE cannot be decoded as Blob"); MySQL's Connector/J,
# which returns the value's text bytes there, cannot connect to MariaDB 10.11 (test/stack/stack.sh).
# So the snapshot SELECT casts those columns to CHAR: the same text bytes MySQL's text protocol
# sends, parsed by Debezium's own code. This needs the text protocol reader, which Debezium uses
# when snapshot.fetch.size is 0 (MariaDB's driver then reads the whole result, fine at this size).
# And YEAR: MariaDB's driver returns it as a java.sql.Date unless yearIsDateType=false, and fails on
# YEAR 0000 (not a date); Debezium reads the number either way. And TIMESTAMP: by default MariaDB's
# driver reads the server's wall-clock text in the JVM's zone, so with MariaDB at +02:00 and the JVM
# in UTC every snapshot TIMESTAMP came two hours late; connectionTimeZone=SERVER with
# preserveInstants=true reads it in the server's zone (the binlog carries instants: unaffected).
snapshot_select() {
  msql -e "SELECT CONCAT('SELECT ', GROUP_CONCAT(
             IF(DATA_TYPE IN ('date', 'time', 'datetime'),
                CONCAT('CAST(\`', COLUMN_NAME, '\` AS CHAR) AS \`', COLUMN_NAME, '\`'),
                CONCAT('\`', COLUMN_NAME, '\`')) ORDER BY ORDINAL_POSITION SEPARATOR ', '),
             ' FROM types.', TABLE_NAME)
           FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'types' AND TABLE_NAME = '$1'"
}
t0=$SECONDS
for c in "${CONFIGS[@]}"; do
  read -r name schemas decimal time bigint decimal_format <<<"$c"
  connect_mysql_source "$RUN/$name.json" "$name" "$name" types
  selects=()
  for tbl in "${TABLES[@]}"; do selects+=("types.$tbl" "$(snapshot_select "$tbl")"); done
  python3 - "$RUN/$name.json" "$schemas" "$decimal" "$time" "$bigint" "$decimal_format" "$([ "$name" = "$EVOLVE" ] && echo 1 || echo 0)" "${selects[@]}" <<'EOF'
import json, sys
path, schemas, decimal, time, bigint, decimal_format, propagate = sys.argv[1:8]
selects = dict(zip(sys.argv[8::2], sys.argv[9::2]))  # table -> its snapshot SELECT
connector = json.load(open(path))
connector["config"].update({
    "decimal.handling.mode": decimal,
    "time.precision.mode": time,
    "bigint.unsigned.handling.mode": bigint,
    "skipped.operations": "none",            # emit TRUNCATE (skipped by default)
    # Connect applies a connector's converter settings only with the converter class itself.
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": schemas,
    "value.converter.schemas.enable": schemas,
    "value.converter.decimal.format": decimal_format,
    "snapshot.fetch.size": "0",
    "driver.yearIsDateType": "false",
    "driver.connectionTimeZone": "SERVER",
    "driver.preserveInstants": "true",
    "snapshot.select.statement.overrides": ",".join(selects),
})
connector["config"].update({"snapshot.select.statement.overrides." + t: q for t, q in selects.items()})
if propagate == "1":
    connector["config"]["column.propagate.source.type"] = ".*"  # the MySQL types, for schema evolution
json.dump(connector, open(path, "w"), indent=1)
EOF
  connect_add "$RUN/$name.json"
done
# Changes only after every snapshot has ended: one made while a snapshot runs may be read by it and
# streamed as well. (Also true as soon as a connector failed: said below.)
snapshots_ended() {
  local name
  for name in "${NAMES[@]}"; do
    connect_running "$name" || [ $? = 1 ] || return 0
  done
  [ "$(grep -c 'Snapshot ended with SnapshotResult \[status=COMPLETED' "$RUN/connect/connect.log")" -ge ${#NAMES[@]} ]
}
stack_wait "the snapshots of ${#NAMES[@]} connectors" 120 snapshots_ended || fail "snapshots did not end"
for name in "${NAMES[@]}"; do
  connect_running "$name" || fail "connector $name does not run (see $RUN/connect/connect.log)"
done
say "${#NAMES[@]} connectors ran their snapshots in $((SECONDS - t0))s"

# Each configuration took effect: the snapshot row 1 of aux, as each connector wrote it, has (or
# lacks) the schema envelope, and its DECIMAL(5,2) 1.50, BIGINT UNSIGNED 2^64-1 and TIME(6)
# 12:34:56.789012 in the configured forms. (A snapshot's records may still be on their way to
# Kafka when it has ended: read again, for a bounded time, until every connector's is there.)
check_forms() {
  kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_BOOTSTRAP" \
    --include '.*\.types\.aux' --from-beginning --timeout-ms 2000 2>/dev/null >"$RUN/aux_topics.json" || true
  python3 - "$RUN/aux_topics.json" "${CONFIGS[@]}" <<'EOF'
import json, sys
seen = {}
for line in open(sys.argv[1]):
    try:
        message = json.loads(line)
    except ValueError:
        continue  # the tool's own output
    payload = message["payload"] if "schema" in message else message
    if payload["op"] == "r" and payload["after"]["id"] == 1:
        after = payload["after"]
        seen[payload["source"]["name"]] = ("schema" in message, after["d"], after["u"], after["t"])
missing, bad = 0, 0
for config in sys.argv[2:]:
    name, schemas, decimal, time, bigint, decimal_format = config.split()
    expected = (schemas == "true",
                {"precise": "AJY=" if decimal_format == "BASE64" else 1.5, "string": "1.50", "double": 1.5}[decimal],
                -1 if bigint == "long" else "AP//////////" if decimal_format == "BASE64" else 18446744073709551615,
                45296789012 if time == "adaptive_time_microseconds" else 45296789)
    if name not in seen:
        missing += 1
    elif seen[name] != expected:
        print(f"types: {name}: (envelope, d, u, t) is {seen[name]}, expected {expected}")
        bad += 1
sys.exit(1 if bad else 2 if missing else 0)
EOF
}
deadline=$((SECONDS + 60))
while :; do
  rc=0
  check_forms || rc=$?
  if [ $rc != 2 ] || ((SECONDS >= deadline)); then break; fi
done
[ $rc = 0 ] || fail "a connector configuration did not take effect (above), or its messages are missing"

# ------------------------------------------------------------------------------ the pipelines
for c in "${CONFIGS[@]}"; do
  read -r name schemas decimal time bigint decimal_format <<<"$c"
  changes=ignore
  [ "$name" = "$EVOLVE" ] && changes=evolve
  psql_db -v name="$name" -v brokers="$KAFKA_BOOTSTRAP" -v decimal="$decimal" -v tables="${TABLES[*]}" \
    -v changes="$changes" >/dev/null <<'EOF'
SELECT types_check.create_target(:'name', :'decimal' = 'double');
SELECT cdc_sync.create_pipeline(:'name', :'brokers',
                                (SELECT array_agg(:'name' || '.types.' || t) FROM unnest(string_to_array(:'tables', ' ')) t),
                                'debezium', jsonb_build_object('decimal_handling_mode', :'decimal',
                                                               'on_error', 'dead_letter', 'batch_max_ms', 200));
-- schema_changes: 'evolve' for $EVOLVE, 'ignore' for the others (phases 2 and 3 below).
SELECT cdc_sync.add_sync_table(:'name', 'types\.' || t, :'name' || '.' || t,
                               options => jsonb_build_object('schema_changes', :'changes'))
FROM unnest(string_to_array(:'tables', ' ')) t;
SELECT cdc_sync.start_pipeline(:'name');
EOF
done

# ------------------------------------------------------------------------------ sync and compare
# Waits until marker row 1000 + $1 (inserted last into every table: each topic has its own order)
# is in every target, then until every pipeline has caught up with its topics.
marker_everywhere() {
  local name tbl count
  for name in "${NAMES[@]}"; do
    for tbl in "${TABLES[@]}"; do
      count=$(psql_db -tAc "SELECT count(*) FROM $name.$tbl WHERE id = $1")
      [ "$count" = 1 ] || return 1
    done
  done
}
sync_all() {
  local id=$((1000 + $1)) name tbl
  for tbl in "${TABLES[@]}"; do msql types -e "INSERT INTO $tbl (id) VALUES ($id)"; done
  if ! stack_wait "marker row $id in every target" 90 marker_everywhere "$id"; then
    psql_db -c "SELECT pipeline, state, last_error, kafka_problem, messages_consumed FROM cdc_sync.status" >&2
    psql_db -c "SELECT pipeline, topic, \"offset\", left(error, 300) FROM cdc_sync.dead_letters" >&2
    for name in "${NAMES[@]}"; do curl -sS "$CONNECT_URL/connectors/$name/status" | cut -c1-400 >&2; echo >&2; done
    fail "marker $id did not arrive"
  fi
  for name in "${NAMES[@]}"; do
    [ "$(psql_db -tAc "SELECT cdc_sync.wait_for_catchup('$name', '60 s')")" = t ] || fail "$name did not catch up"
  done
}

# MariaDB's values: one JSON object per row, each value as MariaDB prints it (FLOAT widened to
# DOUBLE, BIT as bits, binary as hex, spatial as WKB hex '/' SRID, TIMESTAMP in UTC).
truth_query() {
  cat <<EOF
SET time_zone = '+00:00';
SET SESSION group_concat_max_len = 1000000;
SELECT CONCAT('SELECT JSON_OBJECT(', GROUP_CONCAT(CONCAT('''', COLUMN_NAME, ''', ', CASE
           WHEN DATA_TYPE = 'float' THEN CONCAT('CAST(CAST(\`', COLUMN_NAME, '\` AS DOUBLE) AS CHAR)')
           WHEN DATA_TYPE = 'bit' THEN CONCAT('LPAD(BIN(\`', COLUMN_NAME, '\`), ', NUMERIC_PRECISION, ', ''0'')')
           WHEN DATA_TYPE IN ('binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob')
             THEN CONCAT('LOWER(HEX(\`', COLUMN_NAME, '\`))')
           WHEN DATA_TYPE IN ('geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring',
                              'multipolygon', 'geometrycollection')
             THEN CONCAT('CONCAT(LOWER(HEX(ST_AsWKB(\`', COLUMN_NAME, '\`))), ''/'', ST_SRID(\`', COLUMN_NAME, '\`))')
           -- (a string, also for JSON, which JSON_OBJECT would embed; NUL, which no PostgreSQL text
           -- holds, as the two characters \0)
           WHEN CHARACTER_SET_NAME IS NOT NULL
             THEN CONCAT('REPLACE(CAST(\`', COLUMN_NAME, '\` AS CHAR CHARACTER SET utf8mb4), CHAR(0), CHAR(92, 48 USING utf8mb4))')
           ELSE CONCAT('CAST(\`', COLUMN_NAME, '\` AS CHAR)') END)
         ORDER BY ORDINAL_POSITION SEPARATOR ', '), ') FROM types.$1 ORDER BY id')
INTO @q FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'types' AND TABLE_NAME = '$1';
EXECUTE IMMEDIATE @q;
EOF
}
load_truth() {
  msql -e "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'types'" \
    >"$RUN/columns.tsv"
  psql_db -q -c "TRUNCATE types_check.truth, types_check.source_columns" \
    -c "\\copy types_check.source_columns FROM '$RUN/columns.tsv'"
  local tbl
  for tbl in "${TABLES[@]}"; do
    msql --raw <<<"$(truth_query "$tbl")" >"$RUN/truth.$tbl.json"
    psql_db -q -c "TRUNCATE types_check.truth_raw" \
      -c "\\copy types_check.truth_raw FROM '$RUN/truth.$tbl.json' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')" \
      -c "INSERT INTO types_check.truth SELECT '$tbl', (line::jsonb->>'id')::int, line::jsonb FROM types_check.truth_raw"
  done
}

# Compares every target with MariaDB; prints every failure and fails if there is one ($1: when).
compare_all() {
  local name tbl cells
  load_truth
  for name in "${NAMES[@]}"; do
    for tbl in "${TABLES[@]}"; do psql_db -tAc "SELECT types_check.compare('$name', '$tbl')" >/dev/null; done
  done
  psql_db -qc "INSERT INTO types_check.known_used SELECT DISTINCT rule FROM types_check.cells WHERE rule IS NOT NULL
              ON CONFLICT DO NOTHING"
  cells=$(psql_db -tAc "SELECT count(*) FILTER (WHERE NOT differs) || ' cells equal, '
                               || count(*) FILTER (WHERE differs AND rule IS NOT NULL) || ' known differences'
                        FROM types_check.cells")
  say "compared: $cells"
  local failures
  failures=$(psql_db -tAc "
    SELECT format('%s.%s row %s %s (%s): MariaDB %s | PostgreSQL %s%s', config, tbl, coalesce(id::text, '-'), col, kind,
                  coalesce(left(mariadb, 100), 'NULL')
                    || CASE WHEN mariadb_text <> mariadb THEN format(' (%s)', left(mariadb_text, 100)) ELSE '' END,
                  coalesce(left(postgres, 100), 'NULL'),
                  CASE WHEN rule IS NULL THEN '' ELSE format(' | known difference #%s expects %s', rule,
                                                                 coalesce(left(expected, 100), 'NULL')) END)
    FROM types_check.failures ORDER BY config, tbl, id, col")
  # Dead letters: only the two rows of rejects that PostgreSQL cannot hold (known.sql), one each.
  local dead
  dead=$(psql_db -tAc "
    WITH expected(id, error) AS (VALUES (2, 'field \"txt\" contains a NUL character%'),
                                        (3, 'unsupported Unicode escape sequence%'))
    SELECT format('%s %s@%s: %s (key %s)', pipeline, topic, \"offset\", left(error, 300), left(key, 100))
    FROM cdc_sync.dead_letters d
    WHERE NOT (topic = pipeline || '.types.rejects'
               AND EXISTS (SELECT FROM expected e WHERE d.error LIKE e.error AND d.key ~ ('\"id\":' || e.id || '}')))
    UNION ALL
    SELECT format('%s: %s dead letters for row %s of rejects, expected 1', p.pipeline, count(d.pipeline), e.id)
    FROM cdc_sync.status p CROSS JOIN expected e
    LEFT JOIN cdc_sync.dead_letters d ON d.pipeline = p.pipeline AND d.topic = p.pipeline || '.types.rejects'
                                       AND d.error LIKE e.error AND d.key ~ ('\"id\":' || e.id || '}')
    GROUP BY p.pipeline, e.id HAVING count(d.pipeline) <> 1")
  local states
  states=$(psql_db -tAc "SELECT format('%s is %s: %s', pipeline, state, last_error) FROM cdc_sync.status WHERE state <> 'running'")
  [ -z "$failures" ] && [ -z "$dead" ] && [ -z "$states" ] && return 0
  if [ -n "$failures" ]; then
    echo "types: values that differ ($(wc -l <<<"$failures"), the first 300):"
    head -300 <<<"$failures"
  fi
  if [ -n "$dead" ]; then echo "types: dead letters:"; echo "$dead"; fi
  if [ -n "$states" ]; then echo "types: pipelines not running:"; echo "$states"; fi
  fail "$1, PostgreSQL does not hold what MariaDB holds (above)"
}

# ------------------------------------------------------------------------------ phase 1: changes
t0=$SECONDS
msql <"$HERE/changes.sql"
sync_all 1
say "snapshot + streamed changes applied by ${#NAMES[@]} pipelines in $((SECONDS - t0))s"
compare_all "after the snapshot and the streamed changes"
# The TRUNCATE was applied as one (not as deletes), and every message field found its column.
stats=$(psql_db -tAc "SELECT string_agg(format('%s %s: %s truncates, %s values unmatched %s', pipeline, target,
                                               truncates, values_unmatched, unmatched_fields), '; ')
                      FROM cdc_sync.table_stats
                      WHERE truncates <> CASE WHEN target::text LIKE '%.aux' THEN 1 ELSE 0 END OR values_unmatched <> 0")
[ -z "$stats" ] || fail "unexpected table_stats: $stats"

# The comparison can fail: a copy of one target with one value changed and one row gone must show
# exactly those (its name matches the known differences of the original's).
psql_db -q <<'EOF'
SET client_min_messages = warning;
CREATE SCHEMA s_precise_adaptive_tampered;
CREATE TABLE s_precise_adaptive_tampered.all_types AS SELECT * FROM s_precise_adaptive.all_types;
UPDATE s_precise_adaptive_tampered.all_types SET dec_65_30_c = dec_65_30_c - 1e-30 WHERE id = 3;
DELETE FROM s_precise_adaptive_tampered.all_types WHERE id = 4;
EOF
psql_db -tAc "SELECT types_check.compare('s_precise_adaptive_tampered', 'all_types')" >/dev/null
s_precise_adaptive_tampered=$(psql_db -tAc "SELECT count(*) FILTER (WHERE id = 3 AND col = 'dec_65_30_c')
                                || '/' || count(*) FILTER (WHERE id = 4 AND postgres = '(no row)')
                                || '/' || count(*) FILTER (WHERE id NOT IN (3, 4))
                         FROM types_check.failures WHERE config = 's_precise_adaptive_tampered'")
columns=$(psql_db -tAc "SELECT count(*) - 1 FROM pg_attribute WHERE attrelid = 's_precise_adaptive_tampered.all_types'::regclass AND attnum > 0")
[ "$s_precise_adaptive_tampered" = "1/$columns/0" ] ||
  fail "the comparison did not see the changed value and the missing row of s_precise_adaptive_tampered.all_types ($s_precise_adaptive_tampered)"
psql_db -q -c "SET client_min_messages = warning" \
  -c "DELETE FROM types_check.cells WHERE config = 's_precise_adaptive_tampered'; DROP SCHEMA s_precise_adaptive_tampered CASCADE"
say "self-check: a changed value and a missing row are found"

# ------------------------------------------------------------------------------ phase 2: a column added at the source
t0=$SECONDS
msql <"$HERE/evolve.sql"
sync_all 2
say "changes after ALTER TABLE ADD COLUMN applied in $((SECONDS - t0))s"
compare_all "after a column was added at the source"
# The pipelines go on; with schema_changes 'ignore' the new column's values are not applied, and
# are counted and named (README, table_stats).
unmatched=$(psql_db -tAc "SELECT string_agg(format('%s: %s values of %s', pipeline, values_unmatched, unmatched_fields), '; ')
                          FROM cdc_sync.table_stats
                          WHERE target::text LIKE '%.all_types' AND pipeline <> '$EVOLVE'
                            AND NOT (values_unmatched > 0 AND unmatched_fields = '{added_c}')")
[ -z "$unmatched" ] || fail "table_stats should name added_c as unmatched in every pipeline that ignores it: $unmatched"
say "every pipeline kept running; added_c is counted in table_stats.values_unmatched where ignored"
# ... and $EVOLVE added it, with MariaDB's own type (propagated by the connector), once.
evolved=$(psql_db -tAc "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                        WHERE attrelid = '$EVOLVE.all_types'::regclass AND attname = 'added_c'")
history=$(psql_db -tAc "SELECT string_agg(ddl, '; ') FROM cdc_sync.schema_history WHERE pipeline = '$EVOLVE'")
[ "$evolved" = "character varying(20)" ] || fail "$EVOLVE: added_c should be character varying(20), is '$evolved'"
[ "$history" = "ALTER TABLE $EVOLVE.all_types ADD COLUMN IF NOT EXISTS added_c character varying(20)" ] ||
  fail "$EVOLVE: schema_history holds '$history'"
say "$EVOLVE added added_c as character varying(20), recorded in schema_history"

# ------------------------------------------------------------------------------ phase 3: the column added at the target too
# By hand, as an operator does with schema_changes 'ignore'. Rows not changed since keep NULL (no
# backfill).
t0=$SECONDS
for name in "${NAMES[@]}"; do
  [ "$name" = "$EVOLVE" ] || psql_db -qc "ALTER TABLE $name.all_types ADD COLUMN added_c varchar(20)"
done
msql types -e "UPDATE all_types SET added_c = 'set later' WHERE id = 20;"
sync_all 3
for name in "${NAMES[@]}"; do
  psql_db -qc "SELECT cdc_sync.alter_pipeline('$name', '{}')" >/dev/null
  # (returns once the workers use the configuration committed before it: the reloaded one)
  [ "$(psql_db -tAc "SELECT cdc_sync.wait_for_catchup('$name', '60 s')")" = t ] || fail "$name did not catch up"
done
msql types -e "UPDATE all_types SET added_c = 'first value' WHERE id = 4;"
sync_all 4
say "changes after ALTER TABLE ADD COLUMN at the target applied in $((SECONDS - t0))s"
compare_all "after the column was added at the target too"
unused=$(psql_db -tAc "SELECT format('#%s %s %s %s: %s', n, config_re, col_re, id_re, why) FROM types_check.unused_known")
[ -z "$unused" ] || fail "known differences that no longer occur (remove or fix them in known.sql): $unused"
say "passed: every column of every row equal in ${#NAMES[@]} configurations, up to the known differences in known.sql"

# ------------------------------------------------------------------------------ phase 4: a mirror that creates its targets
# One more pipeline reads $EVOLVE's topics from their start through one target template: each
# table gets its own sync table and a target created from the messages (auto_create), its
# columns in MariaDB's order with the types the connector propagates, added_c added by evolution
# (at the end) when it comes. Every value must compare as in the hand-made targets (the schema's name shares
# their known differences).
MIRROR=${EVOLVE}_mirror
t0=$SECONDS
psql_db -q -v name="$MIRROR" -v brokers="$KAFKA_BOOTSTRAP" -v src="$EVOLVE" >/dev/null <<'EOF2'
CREATE SCHEMA :"name";
SELECT cdc_sync.create_pipeline(:'name', :'brokers', ARRAY['^' || :'src' || '\.types\..*'], 'debezium',
                                '{"decimal_handling_mode": "precise", "on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table(:'name', 'types\..*', :'name' || '.{table}');
SELECT cdc_sync.start_pipeline(:'name');
EOF2
[ "$(psql_db -tAc "SELECT cdc_sync.wait_for_catchup('$MIRROR', '120 s')")" = t ] || fail "$MIRROR did not catch up"
say "$MIRROR: every change mirrored into created targets in $((SECONDS - t0))s"
made=$(psql_db -tAc "SELECT string_agg(source || ' ' || target_name, ', ' ORDER BY source) FROM cdc_sync.sync_tables
                     WHERE pipeline = '$MIRROR' AND template_id IS NOT NULL")
[ "$made" = "types.all_types $MIRROR.all_types, types.aux $MIRROR.aux, types.rejects $MIRROR.rejects" ] ||
  fail "$MIRROR: the template made these sync tables: $made"
for tbl in "${TABLES[@]}"; do
  # (added_c, added AFTER int_c in phase 2, comes last: PostgreSQL adds a column at the end.)
  source_order=$(msql -e "SET SESSION group_concat_max_len = 1000000;
                          SELECT GROUP_CONCAT(column_name ORDER BY column_name = 'added_c', ordinal_position)
                          FROM information_schema.columns WHERE table_schema = 'types' AND table_name = '$tbl'")
  target_order=$(psql_db -tAc "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
                               WHERE attrelid = '$MIRROR.$tbl'::regclass AND attnum > 0 AND NOT attisdropped")
  [ "$source_order" = "$target_order" ] || fail "$MIRROR.$tbl: columns $target_order, MariaDB has $source_order"
  psql_db -tAc "SELECT types_check.compare('$MIRROR', '$tbl')" >/dev/null
done
types=$(psql_db -tAc "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
                      FROM pg_attribute WHERE attrelid = '$MIRROR.all_types'::regclass
                        AND attname IN ('id', 'tiny_un_c', 'int_un_c', 'big_un_c', 'dec_c', 'dec_65_30_c', 'bit1_c',
                                        'bit10_c', 'datetime6_c', 'added_c')")
expected_types="id integer, tiny_un_c smallint, int_un_c bigint, big_un_c numeric(20,0), dec_c numeric(10,2), dec_65_30_c numeric(65,30), bit1_c boolean, bit10_c bit(10), datetime6_c timestamp(6) without time zone, added_c character varying(20)"
[ "$types" = "$expected_types" ] || fail "$MIRROR.all_types: created as $types; expected $expected_types"
failures=$(psql_db -tAc "SELECT format('%s row %s %s (%s): MariaDB %s | PostgreSQL %s', tbl, coalesce(id::text, '-'), col, kind,
                                       coalesce(left(mariadb, 80), 'NULL'), coalesce(left(postgres, 80), 'NULL'))
                         FROM types_check.failures WHERE config = '$MIRROR' ORDER BY tbl, id, col")
[ -z "$failures" ] || { echo "$failures" >&2; fail "$MIRROR: values differ from MariaDB's (above)"; }
say "passed: $MIRROR created ${#TABLES[@]} targets in MariaDB's column order with the propagated types; every value equal"
