#!/usr/bin/env bash
# Fault test: crash consistency of the apply loop (exactly-once under crashes).
#
# A random Debezium stream of inserts, updates and deletes over a few thousand keys is produced,
# chunk by chunk, to a 4-partition topic while a pipeline with small batches applies it. While it
# applies, the worker is SIGKILLed (which makes the postmaster crash-restart the whole server) and
# the server is restarted in immediate mode, alternately, several times; on a real broker
# (CDC_KAFKA=real) the broker is also SIGKILLed and restarted, and status must show the problem
# while it is down. At the end the target
# table must equal the model of the stream, no key may have been applied twice or out of order (a
# trigger records every INSERT/UPDATE whose seq does not exceed the highest seq seen for that key),
# and the stored offsets must equal the high-water marks.
#
# Run by test/run_all.sh after the harness started PostgreSQL and Kafka (CDC_KAFKA=real there: a
# real broker; the mock by default); standalone it
# starts (and afterwards stops) its own, e.g.
#   CDC_RUN_DIR=/tmp/cdc_fault_dev CDC_PGPORT=55441 bash test/fault/01_crash_consistency.sh
# Tunables (environment): FAULT_KEYS (3000), FAULT_EVENTS (40000), FAULT_CHUNKS (8), FAULT_SEED (1).
set -uo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../harness/common.sh"

PIPELINE=fault01
KEYS=${FAULT_KEYS:-3000}
EVENTS=${FAULT_EVENTS:-40000}
# Faults in turn: worker SIGKILL, immediate server restart, and on a real broker a broker SIGKILL.
FAULT_KINDS=(kill restart)
[ "$CDC_KAFKA" = real ] && FAULT_KINDS+=(broker)
CHUNKS=${FAULT_CHUNKS:-$((${#FAULT_KINDS[@]} * 3))}
SEED=${FAULT_SEED:-1}
PARTITIONS=4
WAIT_S=60            # bound of every polling loop
T0=$(date +%s)

say() { echo "# [$(($(date +%s) - T0))s] $*"; }
bail() { echo "Bail out! $*"; exit 1; }

# --- servers: reuse the harness's, or start our own ---------------------------------------------
STARTED_PG=0
STARTED_KAFKA=0
poller=
cleanup() {
  if [ -n "$poller" ]; then kill "$poller" 2>/dev/null; fi
  if [ "$STARTED_PG" = 1 ]; then stop_pg; fi
  if [ "$STARTED_KAFKA" = 1 ]; then stop_kafka; fi
}
trap cleanup EXIT

kafka_up() { kafka_running; }
pg_up() { tpsql -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; }

if ! kafka_up || ! pg_up; then
  [ -x "$RUN_DIR/bin/mock_kafka" ] || stage_tools
fi
if ! kafka_up; then
  say "no Kafka ($CDC_KAFKA) in $RUN_DIR: starting one"
  start_kafka || bail "cannot start Kafka ($CDC_KAFKA)"
  STARTED_KAFKA=1
fi
BROKERS=$(cat "$RUN_DIR/kafka/bootstrap")
if ! pg_up; then
  say "no PostgreSQL on $PGHOST:$PGPORT: starting one"
  start_pg || bail "cannot start PostgreSQL"
  STARTED_PG=1
fi
if [ "$(tpsql -d postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = '$E2E_DB'")" != 1 ]; then
  tpsql -d postgres -c "CREATE DATABASE $E2E_DB" >/dev/null || bail "cannot create database $E2E_DB"
fi

PGDATA_DIR=$(tpsql -d postgres -tAc 'SHOW data_directory') || bail "cannot read data_directory"
LOG=$RUN_DIR/postgres.log
LOG_START=$(stat -c %s "$LOG" 2>/dev/null || echo 0)

# psql in the e2e database; quiet, tuples only.
q() { tpsql -d "$E2E_DB" -tA "$@"; }
# Same, but never fails the script (the server may be crashing or recovering).
q_try() { q "$@" 2>/dev/null || true; }

# --- files ------------------------------------------------------------------------------------
WORK=$RUN_DIR/fault01
rm -rf "$WORK"
mkdir -p "$WORK"
MODEL=$WORK/model.txt
STREAM=$WORK/stream.txt
GEN=("$BUILD/gen_events" random --keys "$KEYS" --events "$EVENTS" --partitions "$PARTITIONS"
     --seed "$SEED" --db fault --table items)
"${GEN[@]}" --model "$MODEL" --count 0 >/dev/null 2>"$WORK/gen.log" || bail "gen_events --model failed"
chmod -R a+rX "$WORK"
chown -R postgres: "$WORK" 2>/dev/null || true
MODEL_ROWS=$(wc -l <"$MODEL")
TOPIC="fault01_items_$(date +%s)_$$"   # fresh topic: it starts empty

# --- schema and pipeline ----------------------------------------------------------------------
say "setting up: $EVENTS events over $KEYS keys into $PARTITIONS partitions of $TOPIC, $CHUNKS chunks"
q >/dev/null <<SQL || bail "setup failed"
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cdc_sync;
SELECT cdc_sync.drop_pipeline('$PIPELINE') FROM cdc_sync.status WHERE pipeline = '$PIPELINE';
DROP TABLE IF EXISTS public.fault_items, public.fault_seen, public.fault_violations, public.fault_model;
DROP FUNCTION IF EXISTS public.fault_check_seq(), public.fault_wait_applied(bigint, bigint, int);

CREATE TABLE public.fault_items (id bigint PRIMARY KEY, seq bigint, val text, amount numeric(12,2), note text);
CREATE TABLE public.fault_model (LIKE public.fault_items);
-- Highest seq applied so far per key, and every write that did not raise it.
CREATE TABLE public.fault_seen (id bigint PRIMARY KEY, max_seq bigint NOT NULL);
CREATE TABLE public.fault_violations (id bigint, seq bigint, prev_max_seq bigint, op text,
                                      xid xid8 DEFAULT pg_current_xact_id(), at timestamptz DEFAULT clock_timestamp());

CREATE FUNCTION public.fault_check_seq() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS \$\$
DECLARE
    prev bigint;
BEGIN
    SELECT max_seq INTO prev FROM public.fault_seen WHERE id = NEW.id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO public.fault_seen (id, max_seq) VALUES (NEW.id, NEW.seq);
    ELSIF NEW.seq IS NULL OR NEW.seq <= prev THEN
        INSERT INTO public.fault_violations (id, seq, prev_max_seq, op) VALUES (NEW.id, NEW.seq, prev, TG_OP);
    ELSE
        UPDATE public.fault_seen SET max_seq = NEW.seq WHERE id = NEW.id;
    END IF;
    RETURN NULL;
END \$\$;
CREATE TRIGGER fault_items_seq AFTER INSERT OR UPDATE ON public.fault_items
    FOR EACH ROW EXECUTE FUNCTION public.fault_check_seq();

-- Waits (polling inside the server, so the fault follows within a few ms) until the pipeline has
-- committed at least \`want\` messages, or all \`produced\`, or \`timeout_s\` passed; returns how many.
CREATE FUNCTION public.fault_wait_applied(want bigint, produced bigint, timeout_s int) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS \$\$
DECLARE
    deadline timestamptz := clock_timestamp() + make_interval(secs => timeout_s);
    applied bigint;
BEGIN
    LOOP
        SELECT coalesce(sum(next_offset), 0) INTO applied FROM cdc_sync.offsets WHERE pipeline = '$PIPELINE';
        EXIT WHEN applied >= want OR applied >= produced OR clock_timestamp() >= deadline;
        PERFORM pg_sleep(0.002);
    END LOOP;
    RETURN applied;
END \$\$;

\copy public.fault_model FROM '$MODEL'

SELECT cdc_sync.create_pipeline('$PIPELINE', '$BROKERS', ARRAY['$TOPIC'], 'debezium',
                                '{"batch_max_rows": 500, "batch_max_ms": 50}');
SELECT cdc_sync.add_sync_table('$PIPELINE', 'fault.items', 'public.fault_items', ARRAY['id']);
SQL
create_topic "$TOPIC" "$PARTITIONS" || bail "cannot create topic $TOPIC"
q -c "SELECT cdc_sync.start_pipeline('$PIPELINE')" >/dev/null || bail "start_pipeline failed"

# --- helpers for the fault loop -----------------------------------------------------------------
# First worker pid of the pipeline, or nothing (server down, worker not yet up).
worker_pid() { q_try -c "SELECT worker_pids[1] FROM cdc_sync.status WHERE pipeline = '$PIPELINE'"; }
# Messages whose offsets are committed (the topic started empty), or nothing.
applied() { q_try -c "SELECT coalesce(sum(next_offset), 0) FROM cdc_sync.offsets WHERE pipeline = '$PIPELINE'"; }

# Waits until a worker pid exists and differs from $1; prints it. False on timeout.
wait_new_pid() {
  local old=$1 deadline=$((SECONDS + WAIT_S)) p
  while [ $SECONDS -lt $deadline ]; do
    p=$(worker_pid)
    if [ -n "$p" ] && [ "$p" != "$old" ]; then echo "$p"; return 0; fi
    sleep 0.1
  done
  return 1
}

# True once the progress poller connected as application_name $1 is running its query (bounded wait).
poller_running() {
  local deadline=$((SECONDS + 10))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(q_try -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1' AND state = 'active'
                    AND query LIKE 'SELECT public.fault\_wait\_applied(%'")" = 1 ] && return 0
    sleep 0.01
  done
  return 1
}

# Waits until at least $1 messages are applied (or all $2 produced are); prints how many.
wait_progress() {
  local a
  a=$(q_try -c "SELECT public.fault_wait_applied($1, $2, $WAIT_S)")
  echo "${a:-?}"
  [ -n "$a" ] && { [ "$a" -ge "$1" ] || [ "$a" -ge "$2" ]; }
}

# True once status shows a Kafka problem for the pipeline (bounded wait).
wait_kafka_problem() {
  local deadline=$((SECONDS + WAIT_S))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(q_try -c "SELECT kafka_problem IS NOT NULL FROM cdc_sync.status WHERE pipeline = '$PIPELINE'")" = t ] && return 0
    sleep 0.1
  done
  return 1
}

# True once status shows no Kafka problem for the pipeline (bounded wait).
wait_no_kafka_problem() {
  local deadline=$((SECONDS + WAIT_S))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(q_try -c "SELECT kafka_problem IS NULL FROM cdc_sync.status WHERE pipeline = '$PIPELINE'")" = t ] && return 0
    sleep 0.1
  done
  q_try -c "SELECT '#   kafka_problem: ' || kafka_problem FROM cdc_sync.status WHERE pipeline = '$PIPELINE'"
  return 1
}

KILLS=0 KILLS_OK=0 RESTARTS=0 RESTARTS_OK=0 BROKER_KILLS=0 BROKER_SEEN=0 FAULTS_MIDSTREAM=0
declare -A SEEN_PIDS=()
PID=$(wait_new_pid "") || bail "no worker started for pipeline $PIPELINE within ${WAIT_S}s"
SEEN_PIDS[$PID]=1
say "worker $PID running"

# --- produce in chunks, injecting a fault while each chunk is being applied ---------------------
CHUNK=$(((EVENTS + CHUNKS - 1) / CHUNKS))
FRACTIONS=(10 40 20 50 30 60 15 45)
produced=0
: >"$STREAM"
for ((c = 1; c <= CHUNKS; c++)); do
  count=$((EVENTS - produced < CHUNK ? EVENTS - produced : CHUNK))
  [ "$count" -gt 0 ] || break
  old=$(worker_pid)
  before=$produced
  produced=$((produced + count))
  # Hit the worker once it is some way into this chunk (10%..60%, varying), i.e. mid-stream. The
  # poller runs in the server and is started before producing, so it reacts within a few ms.
  frac=${FRACTIONS[$(((c - 1) % ${#FRACTIONS[@]}))]}
  PGAPPNAME="fault01_poll_${c}_$$" wait_progress $((before + count * frac / 100)) "$produced" >"$WORK/applied" &
  poller=$!
  poller_running "fault01_poll_${c}_$$" || say "chunk $c: the progress poller did not show up"
  "${GEN[@]}" --from-event "$before" --count "$count" 2>/dev/null | tee -a "$STREAM" \
    | "$BUILD/kafka_produce" --brokers "$BROKERS" --topic "$TOPIC" >/dev/null 2>"$WORK/produce.log" \
    || bail "producing chunk $c failed: $(tail -3 "$WORK/produce.log")"
  wait "$poller" || say "chunk $c: progress stalled within ${WAIT_S}s (applied $(cat "$WORK/applied"))"
  poller=
  a=$(cat "$WORK/applied")
  [ -n "$a" ] && [ "$a" != "?" ] && [ "$a" -lt "$produced" ] && FAULTS_MIDSTREAM=$((FAULTS_MIDSTREAM + 1))
  kind=${FAULT_KINDS[$(((c - 1) % ${#FAULT_KINDS[@]}))]}
  if [ "$kind" = broker ]; then
    BROKER_KILLS=$((BROKER_KILLS + 1))
    kafka_kill "$RUN_DIR/kafka"
    if wait_kafka_problem; then BROKER_SEEN=$((BROKER_SEEN + 1)); seen="status showed it"; else seen="status did NOT show it"; fi
    kafka_launch "$RUN_DIR/kafka" >/dev/null || bail "the broker did not come back"
    say "chunk $c: produced $produced, applied $a when the broker was SIGKILLed; $seen; broker back"
    continue
  fi
  if [ "$kind" = kill ]; then
    KILLS=$((KILLS + 1))
    if [ -n "$old" ]; then kill -KILL "$old" 2>/dev/null; fi
    what="SIGKILL worker ${old:-?}"
  else
    RESTARTS=$((RESTARTS + 1))
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOG" -m immediate -w -t "$WAIT_S" restart >/dev/null 2>&1 \
      || say "pg_ctl restart reported failure"
    what="immediate restart"
  fi
  if new=$(wait_new_pid "$old") && [ -n "$old" ] && [ -z "${SEEN_PIDS[$new]:-}" ]; then
    SEEN_PIDS[$new]=1
    if [ "$kind" = kill ]; then KILLS_OK=$((KILLS_OK + 1)); else RESTARTS_OK=$((RESTARTS_OK + 1)); fi
    say "chunk $c: produced $produced, applied $a when hit by $what; worker back as $new"
  else
    say "chunk $c: produced $produced, applied $a when hit by $what; NO new worker within ${WAIT_S}s"
  fi
done

# --- assertions -----------------------------------------------------------------------------------
N=0 PASSED=0 FAILED=0
check() {  # check DESCRIPTION COMMAND...: passes when COMMAND succeeds
  local desc=$1
  shift
  N=$((N + 1))
  if "$@"; then
    PASSED=$((PASSED + 1))
    echo "ok $N - $desc"
  else
    FAILED=$((FAILED + 1))
    echo "not ok $N - $desc"
  fi
}
# is GOT WANT: equality, with a diagnostic on mismatch
is() {
  [ "$1" = "$2" ] && return 0
  echo "#   got:  '$1'"
  echo "#   want: '$2'"
  return 1
}

say "all $produced events produced; waiting for catch-up"
catchup=$(q_try -c "SELECT cdc_sync.wait_for_catchup('$PIPELINE', '120 s')")
check "wait_for_catchup returned true" is "$catchup" t
say "caught up"

check "$KILLS worker SIGKILLs, a new worker came back after each" is "$KILLS_OK/$KILLS" "$KILLS/$KILLS"
check "$RESTARTS immediate restarts, a new worker came back after each" is "$RESTARTS_OK/$RESTARTS" "$RESTARTS/$RESTARTS"
check "at least 3 of each fault injected" test "$KILLS" -ge 3 -a "$RESTARTS" -ge 3
if [ "$CDC_KAFKA" = real ]; then
  check "$BROKER_KILLS broker SIGKILLs, status showed the Kafka problem each time" \
    is "$BROKER_SEEN/$BROKER_KILLS" "$BROKER_KILLS/$BROKER_KILLS"
  # Once more while idle (no batch to clear it): status must follow the broker both ways, and
  # clear well before a stale problem would be forgotten (30 s).
  kafka_kill "$RUN_DIR/kafka"
  check "idle: status shows the broker's SIGKILL" wait_kafka_problem
  kafka_launch "$RUN_DIR/kafka" >/dev/null || bail "the broker did not come back"
  WAIT_S=15 check "idle: the Kafka problem clears within 15 s of the broker's return" wait_no_kafka_problem
fi
# A "broker" that takes connections and never answers: a wait_for_catchup cancelled by
# statement_timeout ends at once, not after its 10 s Kafka call (librdkafka is asked in slices).
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True); held = []
while True: held.append(s.accept()[0])' >"$WORK/silent.port" &
silent=$!
for _ in $(seq 50); do [ -s "$WORK/silent.port" ] && break; sleep 0.1; done
q_try -c "SELECT cdc_sync.create_pipeline('fault01_silent', '127.0.0.1:$(cat "$WORK/silent.port")', ARRAY['t'])" >/dev/null
q_try -c "SELECT cdc_sync.add_sync_table('fault01_silent', 's.t', 'public.fault_items')" >/dev/null
t0=$(date +%s%N)
out=$(tpsql -d "$E2E_DB" -tA -c "SET statement_timeout = '1s'" \
  -c "SELECT cdc_sync.wait_for_catchup('fault01_silent', '60 s')" 2>&1 || true)
ms=$((($(date +%s%N) - t0) / 1000000))
kill "$silent" 2>/dev/null
q_try -c "SELECT cdc_sync.drop_pipeline('fault01_silent')" >/dev/null
check "a silent broker: wait_for_catchup is cancelled in ${ms} ms (< 5000)" \
  test "$ms" -lt 5000 -a -n "$(echo "$out" | grep 'canceling statement due to statement timeout')"
[ -n "$(echo "$out" | grep 'canceling statement')" ] || echo "#   got: $out"
check "distinct worker pids seen: ${#SEEN_PIDS[@]} = faults + 1" is "${#SEEN_PIDS[@]}" $((KILLS + RESTARTS + 1))

extra=$(q_try -c "SELECT count(*) FROM (TABLE public.fault_items EXCEPT TABLE public.fault_model) d")
check "table EXCEPT model is empty" is "$extra" 0
[ "$extra" = 0 ] || q_try -c "SELECT 'extra', * FROM (TABLE public.fault_items EXCEPT TABLE public.fault_model) d ORDER BY id LIMIT 5" | sed 's/^/#   /'
missing=$(q_try -c "SELECT count(*) FROM (TABLE public.fault_model EXCEPT TABLE public.fault_items) d")
check "model EXCEPT table is empty" is "$missing" 0
[ "$missing" = 0 ] || q_try -c "SELECT 'missing', * FROM (TABLE public.fault_model EXCEPT TABLE public.fault_items) d ORDER BY id LIMIT 5" | sed 's/^/#   /'
check "table has the model's $MODEL_ROWS rows" is "$(q_try -c 'SELECT count(*) FROM public.fault_items')" "$MODEL_ROWS"

violations=$(q_try -c "SELECT count(*) FROM public.fault_violations")
check "no key applied twice or out of order (fault_violations empty)" is "$violations" 0
[ "$violations" = 0 ] || q_try -c "SELECT * FROM public.fault_violations ORDER BY at LIMIT 10" | sed 's/^/#   /'

# The topic started empty, so each partition's high-water mark is the number of messages produced
# to it (counted from the stream as produced).
expected_offsets=$(awk -F'\t' '{n[$1]++} END {for (p in n) print p "|" n[p]}' "$STREAM" | sort -n | paste -sd' ')
stored_offsets=$(q_try -c "SELECT partition || '|' || next_offset FROM cdc_sync.offsets
                           WHERE pipeline = '$PIPELINE' AND topic = '$TOPIC' ORDER BY partition" | paste -sd' ')
check "offsets equal the high-water marks per partition" is "$stored_offsets" "$expected_offsets"
check "sum of next_offset = $produced events produced" is "$(applied)" "$produced"

# Any other death counts: a signal, or a worker that exited on an ERROR (exit code 1).
crashes=$(tail -c +"$((LOG_START + 1))" "$LOG" 2>/dev/null \
  | grep -E 'terminated by signal|exited with exit code [^0]' | grep -v 'signal 9: Killed' | grep -c .)
check "no process died other than by the test's own SIGKILLs" is "$crashes" 0
[ "$crashes" = 0 ] || tail -c +"$((LOG_START + 1))" "$LOG" | grep -E 'terminated by signal|exited with exit code [^0]' \
  | grep -v 'signal 9: Killed' | head -5 | sed 's/^/#   /'
check "messages_consumed counts each message once" \
  is "$(q_try -c "SELECT messages_consumed FROM cdc_sync.status WHERE pipeline = '$PIPELINE'")" "$produced"
check "pipeline is running with no error" \
  is "$(q_try -c "SELECT state || '|' || coalesce(last_error, '<null>') FROM cdc_sync.status WHERE pipeline = '$PIPELINE'")" \
  "running|<null>"

say "$FAULTS_MIDSTREAM of $((KILLS + RESTARTS + BROKER_KILLS)) faults hit while messages were still unapplied;" \
  "$(tail -c +"$((LOG_START + 1))" "$LOG" 2>/dev/null | grep -c 'Failed process was running: cdc_sync: applying batch')" \
  "of the $KILLS SIGKILLs hit the worker inside a batch transaction"
if [ "$FAILED" -gt 0 ]; then
  echo "# server log since the test started (problems only):"
  tail -c +"$((LOG_START + 1))" "$LOG" 2>/dev/null | grep -E 'ERROR|FATAL|PANIC|WARNING|exited|terminated' \
    | grep -vE 'AUTOCREATE|not yet accepting connections|in recovery mode|due to administrator command|logical replication launcher' \
    | tail -40 | sed 's/^/#   /'
else
  q_try -c "SELECT cdc_sync.drop_pipeline('$PIPELINE')" >/dev/null
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
