-- A pipeline's life: stop and resume without loss or duplicates, options changed while running,
-- offsets reset and replayed, start positions, a drop while a batch is in flight.
\set ON_ERROR_STOP 1
SELECT plan(37);

CREATE TABLE t03 (id int PRIMARY KEY, v text);
CREATE TABLE t03_latest (LIKE t03 INCLUDING ALL);
SELECT cdc_test.create_topic('t03', 2);

-- Produces n insert events with ids from..from+n-1 (keys spread over both partitions).
CREATE FUNCTION pg_temp.produce_ids(lo int, hi int, tag text) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.produce('t03', format(
        $q$SELECT i %% 2, jsonb_build_object('id', i)::text,
                  cdc_test.dbz('c', jsonb_build_object('id', i, 'v', %L || i))
           FROM generate_series(%s, %s) i ORDER BY i$q$, tag, lo, hi))
$$;

SELECT pg_temp.produce_ids(1, 100, 'a');
SELECT cdc_sync.create_pipeline('t03', cdc_test.brokers(), ARRAY['t03']);
SELECT cdc_sync.add_sync_table('t03', 's.t', 't03');
SELECT cdc_sync.start_pipeline('t03');
SELECT ok(cdc_sync.wait_for_catchup('t03', '60 s'), 'first 100 caught up');

-- options change while running: same worker, new settings take effect
CREATE TEMP TABLE pids AS SELECT worker_pids FROM cdc_sync.status WHERE pipeline = 't03';
SELECT is(cardinality((SELECT worker_pids FROM pids)), 1, 'one worker');
SELECT cdc_sync.alter_pipeline('t03', '{"batch_max_rows": 7}');
SELECT ok(cdc_sync.wait_for_catchup('t03', '60 s'), 'alter_pipeline in effect');
CREATE TEMP TABLE batches_before AS SELECT batches FROM cdc_sync.status WHERE pipeline = 't03';
SELECT pg_temp.produce_ids(101, 150, 'b');
SELECT ok(cdc_sync.wait_for_catchup('t03', '60 s'), 'caught up after alter_pipeline');
SELECT is((SELECT worker_pids FROM cdc_sync.status WHERE pipeline = 't03'), (SELECT worker_pids FROM pids),
          'alter_pipeline did not restart the worker');
SELECT cmp_ok((SELECT batches FROM cdc_sync.status WHERE pipeline = 't03') - (SELECT batches FROM batches_before),
              '>=', 8::bigint,
              'new batch_max_rows used (50 messages in batches of at most 7)');

-- stop, produce while stopped, start: resumes from the stored offsets
SELECT cdc_sync.stop_pipeline('t03');
SELECT ok(cdc_test.wait_until($$SELECT worker_pids = '{}' FROM cdc_sync.status WHERE pipeline = 't03'$$),
          'worker exits when stopped');
SELECT pg_temp.produce_ids(151, 200, 'c');
SELECT is((SELECT count(*) FROM t03), 150::bigint, 'nothing applied while stopped');
SELECT cdc_sync.start_pipeline('t03');
SELECT ok(cdc_sync.wait_for_catchup('t03', '60 s'), 'caught up after restart');
SELECT results_eq($$SELECT count(*), min(v), max(id) FROM t03$$, $$VALUES (200::bigint, 'a1', 200)$$,
                  'all 200 rows, none twice');
SELECT is((SELECT messages_consumed FROM cdc_sync.status WHERE pipeline = 't03'), 200::bigint,
          'each message consumed exactly once');

-- reset to earliest and replay into an emptied table
SELECT cdc_sync.stop_pipeline('t03');
SELECT cdc_test.wait_until($$SELECT worker_pids = '{}' FROM cdc_sync.status WHERE pipeline = 't03'$$);
TRUNCATE t03;
SELECT cdc_sync.reset_offsets('t03', 'earliest');
SELECT cdc_sync.start_pipeline('t03');
SELECT ok(cdc_sync.wait_for_catchup('t03', '60 s'), 'replay caught up');
SELECT is((SELECT count(*) FROM t03), 200::bigint, 'replay restored every row');

-- start_from latest: existing messages are not applied, new ones are
SELECT cdc_sync.create_pipeline('t03l', cdc_test.brokers(), ARRAY['t03'], 'debezium', '{"start_from": "latest"}');
SELECT cdc_sync.add_sync_table('t03l', 's.t', 't03_latest');
SELECT cdc_sync.start_pipeline('t03l');
SELECT cdc_test.wait_until($$SELECT count(*) = 2 FROM cdc_sync.offsets WHERE pipeline = 't03l'$$);
SELECT pg_temp.produce_ids(201, 210, 'd');
SELECT cdc_sync.wait_for_catchup('t03l', '60 s');
SELECT results_eq('SELECT min(id), max(id), count(*) FROM t03_latest', 'VALUES (201, 210, 10::bigint)',
                  'start_from latest applies only what came after the start');

SELECT cdc_sync.drop_pipeline('t03');
SELECT cdc_sync.drop_pipeline('t03l');

-- drop_pipeline while a batch is in the middle of its transaction (stage tables locked) neither
-- deadlocks with it nor waits for what the batch waits on: the batch is rolled back. A trigger
-- holds the batch on an advisory lock this session owns.
CREATE TABLE t03_gate (id int PRIMARY KEY);
CREATE FUNCTION t03_gate_wait() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_advisory_xact_lock_shared(7303); RETURN NEW; END $$;
CREATE TRIGGER t03_gate_wait BEFORE INSERT ON t03_gate FOR EACH ROW EXECUTE FUNCTION t03_gate_wait();
SELECT cdc_test.create_topic('t03_gate', 1);
SELECT cdc_sync.create_pipeline('t03g', cdc_test.brokers(), ARRAY['t03_gate']);
SELECT cdc_sync.add_sync_table('t03g', 's.t', 't03_gate');
CREATE TEMP TABLE t03_gate_id AS SELECT id FROM cdc_sync.pipelines WHERE name = 't03g';
SELECT cdc_sync.start_pipeline('t03g');
-- A first batch creates the stage table, so the held one has it locked.
SELECT cdc_test.produce('t03_gate', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 1}')$$);
SELECT cdc_sync.wait_for_catchup('t03g', '60 s');
SELECT pg_advisory_lock(7303);
SELECT cdc_test.produce('t03_gate', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 2}')$$);
SELECT ok(cdc_test.wait_until($$SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
                                                AND objid = 7303 AND NOT granted)$$, '60 s'),
          'a batch is held in the middle of its transaction');
SET statement_timeout = '90s';
SELECT lives_ok($$SELECT cdc_sync.drop_pipeline('t03g')$$, 'drop_pipeline returns while the batch is held');
RESET statement_timeout;
SELECT pg_advisory_unlock(7303);
SELECT is((SELECT count(*) FROM t03_gate), 1::bigint, 'the batch in flight was rolled back');
SELECT is((SELECT count(*) FROM pg_class WHERE relnamespace = 'cdc_sync_stage'::regnamespace
           AND relname LIKE 'p' || (SELECT id FROM t03_gate_id) || '\_%'), 0::bigint,
          'and its stage tables are gone');
SELECT is((SELECT count(*) FROM cdc_sync.offsets o WHERE o.pipeline = 't03g'), 0::bigint, 'and its offsets');

-- stop_pipeline while a batch waits for a row lock a user transaction holds (dblink) returns at
-- once: the batch rolls back, its offsets stay, and the next start applies it.
CREATE TABLE t03_rows (id int PRIMARY KEY, v int);
SELECT cdc_sync.create_pipeline('t03s', cdc_test.brokers(), ARRAY['t03_gate']);
SELECT cdc_sync.add_sync_table('t03s', 's.t', 't03_rows');
SELECT cdc_test.produce('t03_gate', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 10, "v": 1}')$$);
SELECT cdc_sync.start_pipeline('t03s');
SELECT ok(cdc_sync.wait_for_catchup('t03s', '60 s'), 'the row-lock pipeline caught up');
SELECT dblink_connect('t03_lock', format('host=%s port=%s dbname=%s user=%s',
    split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'),
    current_database(), current_user));
SELECT dblink_exec('t03_lock', 'BEGIN');
SELECT * FROM dblink('t03_lock', 'SELECT id FROM t03_rows WHERE id = 10 FOR UPDATE') AS r(id int);
CREATE TEMP TABLE t03_offsets_before AS SELECT topic, partition, next_offset FROM cdc_sync.offsets WHERE pipeline = 't03s';
SELECT cdc_test.produce('t03_gate', $$SELECT 0, NULL, cdc_test.dbz('u', '{"id": 10, "v": 2}')$$);
SELECT ok(cdc_test.wait_until($$SELECT EXISTS (SELECT 1 FROM cdc_sync.status s, unnest(s.worker_pids) w
                                                JOIN pg_stat_activity a ON a.pid = w
                                                WHERE s.pipeline = 't03s' AND a.wait_event_type = 'Lock')$$, '60 s'),
          'the batch waits for the row lock');
SET statement_timeout = '90s';
SELECT lives_ok($$SELECT cdc_sync.stop_pipeline('t03s')$$, 'stop_pipeline returns while the batch waits for a row lock');
RESET statement_timeout;
SELECT ok(cdc_test.wait_until($$SELECT worker_pids = '{}' FROM cdc_sync.status WHERE pipeline = 't03s'$$),
          'the worker is gone');
SELECT results_eq($$SELECT topic, partition, next_offset FROM cdc_sync.offsets WHERE pipeline = 't03s' ORDER BY 1, 2$$,
                  $$SELECT * FROM t03_offsets_before ORDER BY 1, 2$$, 'the rolled-back batch left the offsets where they were');
SELECT dblink_exec('t03_lock', 'ROLLBACK');
SELECT dblink_disconnect('t03_lock');
SELECT is((SELECT v FROM t03_rows WHERE id = 10), 1, 'the update is not applied while stopped');
SELECT cdc_sync.start_pipeline('t03s');
SELECT ok(cdc_sync.wait_for_catchup('t03s', '60 s'), 'the restarted pipeline catches up');
SELECT is((SELECT v FROM t03_rows WHERE id = 10), 2, 'and applies the update once');
SELECT cdc_sync.drop_pipeline('t03s');

-- pg_cancel_backend on a worker in the middle of a batch rolls the batch back and retries it; the
-- pipeline does not fail.
SELECT pg_advisory_lock(7303);
SELECT cdc_sync.create_pipeline('t03c', cdc_test.brokers(), ARRAY['t03_gate']);
SELECT cdc_sync.add_sync_table('t03c', 's.t', 't03_gate');
SELECT cdc_sync.start_pipeline('t03c');
-- its first batch inserts ids 2, 10 and 3 (the rolled-back 2, the row-lock test's 10, a new 3): held
SELECT cdc_test.produce('t03_gate', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 3}')$$);
SELECT ok(cdc_test.wait_until($$SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
                                                AND objid = 7303 AND NOT granted)$$, '60 s'),
          'a batch is held in the middle of its transaction');
SELECT ok((SELECT bool_and(pg_cancel_backend(pid)) FROM pg_locks
           WHERE locktype = 'advisory' AND objid = 7303 AND NOT granted), 'the worker is cancelled');
SELECT ok(cdc_test.wait_until($$SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
                                                AND objid = 7303 AND NOT granted)
                                 AND (SELECT state = 'running' FROM cdc_sync.status WHERE pipeline = 't03c')$$, '60 s'),
          'the batch is retried (held again), the pipeline still running');
SELECT pg_advisory_unlock(7303);
SELECT ok(cdc_sync.wait_for_catchup('t03c', '60 s'), 'and it catches up once released');
SELECT is((SELECT count(*) FROM t03_gate), 4::bigint, 'with the held rows applied');
-- Offsets never move backwards: a second writer that stored later offsets (simulated here by
-- hand) makes the next batch fail loudly instead of applying rows a second time.
UPDATE cdc_sync.offsets SET next_offset = next_offset + 1000 WHERE pipeline = 't03c';
SELECT cdc_test.produce('t03_gate', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 4}')$$);
SELECT ok(cdc_test.wait_until($$SELECT state = 'failed' FROM cdc_sync.status WHERE pipeline = 't03c'$$, '60 s'),
          'a batch that would move offsets backwards fails the pipeline');
SELECT matches((SELECT last_error FROM cdc_sync.status WHERE pipeline = 't03c'),
               'would move the stored offsets of pipeline "t03c" backwards', 'and says so');
SELECT is((SELECT count(*) FROM t03_gate WHERE id = 4), 0::bigint, 'and applied nothing');
-- A configuration change cannot be prepared (two-phase): COMMIT PREPARED would wake no worker.
BEGIN;
SELECT cdc_sync.alter_pipeline('t03c', '{"batch_max_rows": 77}');
\set ON_ERROR_STOP 0
PREPARE TRANSACTION 't03_prepared';
\set ON_ERROR_STOP 1
SELECT is((SELECT count(*) FROM pg_prepared_xacts WHERE gid = 't03_prepared'), 0::bigint,
          'a transaction that changes a pipeline is not prepared');
SELECT is((SELECT options->>'batch_max_rows' FROM cdc_sync.pipelines WHERE name = 't03c'), NULL,
          'and its change is rolled back');
SELECT cdc_sync.drop_pipeline('t03c');
SELECT * FROM finish();
