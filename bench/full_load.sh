#!/usr/bin/env bash
# Full-load throughput: cdc_sync.full_load() against the plain way, in the same run, on one machine.
#
# Usage: bench/full_load.sh [--rows N] [--repeat R] [--parallelism W] [--build]
#   --rows N         rows of the source table (env BENCH_ROWS, default 1000000)
#   --repeat R       measurements of each; medians are reported (env BENCH_REPEAT, default 3)
#   --parallelism W  full_load's workers (env BENCH_PARALLELISM, default 2)
#   --chunk-rows C   full_load's chunk_rows (env BENCH_CHUNK_ROWS, default: full_load's, 8192)
#   --build          run test/build.sh first (builds and installs the extension)
# Instances: CDC_RUN_DIR (default /tmp/cdc_bench_load), CDC_PGPORT (default 55451); MariaDB on a
# free port next to the run directory. Everything is stopped at the end.
#
# What it does:
#   1. MariaDB: bench.sales, N rows of 12 columns (BIGINT key, INT, DECIMAL, DATETIME(6), VARCHAR,
#      DOUBLE, ...), made with the sequence engine.
#   2. R times, each into a fresh PostgreSQL table of the same definition (logged, primary key):
#      baseline - `mariadb --batch -e 'SELECT ...' | psql -c '\copy t FROM STDIN'`, timed by the shell;
#      cdc_sync - full_load(..., '{"parallelism": W}') then wait_for_load(), timed by the server
#                 (clock_timestamp() around both, one session); the workers' start-up is included.
#   3. Both tables must hold N rows, and verify() must say the cdc_sync one equals the source.
# Prints the medians and their ratio (baseline time / cdc_sync time: > 1 means cdc_sync is faster).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${BENCH_ROWS:-1000000}
REPEAT=${BENCH_REPEAT:-3}
PARALLELISM=${BENCH_PARALLELISM:-2}
CHUNK_ROWS=${BENCH_CHUNK_ROWS:-8192}
BUILD=0
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --parallelism) PARALLELISM=$2; shift 2 ;;
    --chunk-rows) CHUNK_ROWS=$2; shift 2 ;;
    --build) BUILD=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
export CDC_RUN_DIR=${CDC_RUN_DIR:-/tmp/cdc_bench_load} CDC_PGPORT=${CDC_PGPORT:-55451}
source "$ROOT/test/harness/common.sh"
[ "$BUILD" = 1 ] && bash "$ROOT/test/build.sh"
trap stop_all EXIT
stop_all
start_mariadb
BROKERS=localhost:1  # no Kafka: the pipelines only load
start_pg
say() { echo "bench: $*"; }
my() { mariadb -h127.0.0.1 -P"$MARIADB_PORT" -ucdc -pcdc "$@"; }
psql_db() { tpsql -d "$E2E_DB" -v ON_ERROR_STOP=1 -qtA "$@"; }

COLUMNS="id BIGINT NOT NULL PRIMARY KEY, store INT, item INT, qty SMALLINT, price DECIMAL(9,2), discount DECIMAL(9,2),
  sold DATETIME(6), note VARCHAR(40), weight DOUBLE, code CHAR(8), flag TINYINT, ship_date DATE"
PG_COLUMNS="id bigint PRIMARY KEY, store integer, item integer, qty smallint, price numeric(9,2), discount numeric(9,2),
  sold timestamp(6), note varchar(40), weight double precision, code char(8), flag smallint, ship_date date"
t0=$SECONDS
my -e "CREATE DATABASE bench; CREATE TABLE bench.sales ($COLUMNS);
       INSERT INTO bench.sales SELECT seq, seq % 400, seq % 100000, seq % 100, (seq % 10000) / 100, (seq % 700) / 100,
         TIMESTAMPADD(MICROSECOND, seq * 997, '2024-01-01'), CONCAT('note number ', seq), seq / 7, LPAD(seq % 99999999, 8, '0'),
         seq % 2, DATE_ADD('2024-01-01', INTERVAL seq % 1000 DAY) FROM bench.seq_1_to_$ROWS;"
say "source: $ROWS rows in MariaDB ($((SECONDS - t0)) s)"
psql_db -c "CREATE EXTENSION cdc_sync"
psql_db -c "SELECT cdc_sync.create_mysql_connection('bench', jsonb_build_object('host', '127.0.0.1',
              'port', $MARIADB_PORT, 'user', 'cdc', 'password', 'cdc'))" >/dev/null

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
base_times=() load_times=()
for r in $(seq 1 "$REPEAT"); do
  psql_db -c "CREATE TABLE base_$r ($PG_COLUMNS); CREATE TABLE load_$r ($PG_COLUMNS); CHECKPOINT"
  start=$(date +%s.%N)
  my --batch --skip-column-names -e "SELECT * FROM bench.sales" |
    tpsql -d "$E2E_DB" -v ON_ERROR_STOP=1 -qc "\\copy base_$r FROM STDIN (NULL 'NULL')"
  base_times+=("$(echo "$(date +%s.%N) - $start" | bc)")
  psql_db -c "CHECKPOINT"
  secs=$(psql_db <<EOF
SELECT cdc_sync.create_pipeline('load_$r', 'localhost:1', ARRAY['unused']) \\g /dev/null
SELECT cdc_sync.add_sync_table('load_$r', 'bench.sales', 'load_$r') \\g /dev/null
SELECT clock_timestamp() AS t \\gset
SELECT cdc_sync.full_load('load_$r', 'bench.sales', 'bench', '{"parallelism": $PARALLELISM, "chunk_rows": $CHUNK_ROWS}') \\g /dev/null
SELECT cdc_sync.wait_for_load('load_$r', '30 min') \\g /dev/null
SELECT extract(epoch FROM clock_timestamp() - :'t'::timestamptz);
EOF
)
  load_times+=("$secs")
  counts=$(psql_db -c "SELECT (SELECT count(*) FROM base_$r) || ' ' || (SELECT count(*) FROM load_$r)")
  [ "$counts" = "$ROWS $ROWS" ] || { echo "bench: row counts $counts, expected $ROWS each" >&2; exit 1; }
  equal=$(psql_db -c "SELECT equal FROM cdc_sync.verify('load_$r', 'bench.sales', 'bench')")
  [ "$equal" = t ] || { echo "bench: verify says load_$r differs from the source" >&2; exit 1; }
  say "run $r: baseline ${base_times[-1]} s, full_load ${load_times[-1]} s (verify: equal)"
done
b=$(printf '%s\n' "${base_times[@]}" | median)
l=$(printf '%s\n' "${load_times[@]}" | median)
say "median of $REPEAT: baseline $b s ($(echo "$ROWS / $b" | bc) rows/s), full_load (parallelism $PARALLELISM, chunk_rows $CHUNK_ROWS) $l s ($(echo "$ROWS / $l" | bc) rows/s)"
say "speed-up over the baseline: $(echo "scale=2; $b / $l" | bc)x"
