-- on_error: 'fail' stops the pipeline without advancing offsets; 'dead_letter' keeps the bad
-- messages in cdc_sync.dead_letters (with the reason) and applies everything else, in order.
\set ON_ERROR_STOP 1
SELECT plan(32);

CREATE TABLE t02_dlq (id int PRIMARY KEY, qty int NOT NULL, note text);
CREATE TABLE t02_fail (LIKE t02_dlq INCLUDING ALL);
CREATE TABLE t02_apply (LIKE t02_dlq INCLUDING ALL);
CREATE TABLE t02_msgs (n int, value text);
INSERT INTO t02_msgs VALUES
  (0, cdc_test.dbz('c', '{"id": 1, "qty": 5, "note": "a"}')),
  (1, '{"op": "c", "after": {"id": 2,'),                                  -- malformed JSON
  (2, cdc_test.dbz('c', '{"id": 3, "qty": "abc"}')),                      -- not an integer
  (3, cdc_test.dbz('c', '{"id": 4, "qty": 7, "note": "d"}')),
  (4, cdc_test.dbz('c', '{"qty": 1}')),                                   -- no key
  (5, cdc_test.dbz('c', '{"id": 6, "qty": null}')),                       -- violates NOT NULL
  (6, cdc_test.dbz('u', '{"id": 1, "qty": 6, "note": "a2"}', '{"id": 1, "qty": 5}')),
  (7, NULL),                                                              -- tombstone
  (8, cdc_test.dbz('c', '{"id": 9, "qty": 9}', NULL, 'other', 'x'));      -- no sync table

SELECT cdc_test.create_topic('t02_all', 1);
SELECT cdc_test.produce('t02_all', 'SELECT 0, NULL, value FROM t02_msgs ORDER BY n');
SELECT cdc_test.create_topic('t02_typo', 1);
SELECT cdc_test.produce('t02_typo', 'SELECT 0, NULL, value FROM t02_msgs WHERE n IN (0, 2, 3) ORDER BY n');

-- dead_letter: everything good is applied, each bad message is kept with its reason
SELECT cdc_sync.create_pipeline('t02d', cdc_test.brokers(), ARRAY['t02_all'], 'debezium', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t02d', 's.t', 't02_dlq');
SELECT cdc_sync.start_pipeline('t02d');
SELECT ok(cdc_sync.wait_for_catchup('t02d', '60 s'), 'dead_letter pipeline catches up past bad messages');
SELECT results_eq('SELECT id, qty, note FROM t02_dlq ORDER BY id', $$VALUES (1, 6, 'a2'), (4, 7, 'd')$$,
                  'good messages applied in order (insert then update of id 1)');
SELECT results_eq($$SELECT "offset" FROM cdc_sync.dead_letters WHERE pipeline = 't02d' ORDER BY "offset"$$,
                  'VALUES (1::bigint), (2), (4), (5)', 'the four bad messages are dead letters');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't02d' AND "offset" = 1),
               'JSON|json', 'malformed JSON is named');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't02d' AND "offset" = 2),
               'invalid input syntax for type integer: "abc".*qty', 'bad value: the reason names the value and column');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't02d' AND "offset" = 4),
               'key column "id" is missing', 'missing key is named');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't02d' AND "offset" = 5),
               'null value in column "qty"', 'constraint violation is named');
SELECT is((SELECT value FROM cdc_sync.dead_letters WHERE pipeline = 't02d' AND "offset" = 1),
          (SELECT value FROM t02_msgs WHERE n = 1), 'the raw message is kept');
SELECT results_eq($$SELECT messages_consumed, messages_skipped, messages_dead_lettered, state
                    FROM cdc_sync.status WHERE pipeline = 't02d'$$,
                  $$VALUES (9::bigint, 2::bigint, 4::bigint, 'running'::text)$$,
                  'status: 9 consumed, 2 skipped (tombstone, unknown source), 4 dead letters');

-- fail: a malformed message stops the pipeline; nothing of its batch is applied
SELECT cdc_sync.create_pipeline('t02f', cdc_test.brokers(), ARRAY['t02_all']);
SELECT cdc_sync.add_sync_table('t02f', 's.t', 't02_fail');
SELECT cdc_sync.start_pipeline('t02f');
SELECT throws_like($$SELECT cdc_sync.wait_for_catchup('t02f', '60 s')$$,
                   '%pipeline "t02f" failed: bad message at t02_all[0]@1%', 'wait_for_catchup reports the failure');
SELECT is((SELECT state FROM cdc_sync.status WHERE pipeline = 't02f'), 'failed', 'state is failed');
SELECT results_eq($$SELECT next_offset FROM cdc_sync.offsets WHERE pipeline = 't02f'$$, 'VALUES (0::bigint)',
                  'offsets not advanced');
SELECT is((SELECT count(*) FROM t02_fail), 0::bigint, 'no row of the failed batch applied');

-- fail on apply (a value PostgreSQL rejects), then recover by switching to dead_letter
SELECT cdc_sync.create_pipeline('t02a', cdc_test.brokers(), ARRAY['t02_typo']);
SELECT cdc_sync.add_sync_table('t02a', 's.t', 't02_apply');
SELECT cdc_sync.start_pipeline('t02a');
SELECT throws_like($$SELECT cdc_sync.wait_for_catchup('t02a', '60 s')$$,
                   '%invalid input syntax for type integer: "abc"%', 'an apply error fails the pipeline with the reason');
SELECT results_eq($$SELECT (SELECT count(*) FROM t02_apply), next_offset FROM cdc_sync.offsets WHERE pipeline = 't02a'$$,
                  'VALUES (0::bigint, 0::bigint)', 'batch rolled back, offsets not advanced');
SELECT cdc_sync.alter_pipeline('t02a', '{"on_error": "dead_letter"}');
SELECT cdc_sync.start_pipeline('t02a');
SELECT ok(cdc_sync.wait_for_catchup('t02a', '60 s'), 'restarted pipeline catches up');
SELECT results_eq($$SELECT (SELECT array_agg(id ORDER BY id) FROM t02_apply),
                           (SELECT array_agg("offset") FROM cdc_sync.dead_letters WHERE pipeline = 't02a')$$,
                  $$VALUES (ARRAY[1, 4], ARRAY[1::bigint])$$, 'resumed from the stored offset: good rows in, bad one dead-lettered');

-- Transient errors (a deadlock with another session, here raised by a trigger the first two times
-- it sees id 4: the sequence counts outside the rolled-back transactions) are retried, in the batch
-- and in the message-by-message path, without losing or doubling rows or dead letters.
CREATE SEQUENCE t02_deadlocks;
CREATE FUNCTION t02_deadlock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id = 4 AND nextval('public.t02_deadlocks') <= 2 THEN
        RAISE EXCEPTION 'simulated deadlock' USING ERRCODE = 'deadlock_detected';
    END IF;
    RETURN NEW;
END $$;
CREATE TABLE t02_retry (LIKE t02_dlq INCLUDING ALL);
CREATE TRIGGER t02_retry_deadlock BEFORE INSERT ON t02_retry FOR EACH ROW EXECUTE FUNCTION t02_deadlock();
SELECT cdc_test.create_topic('t02_retry', 1);
SELECT cdc_test.produce('t02_retry', 'SELECT 0, NULL, value FROM t02_msgs WHERE n IN (0, 3, 6) ORDER BY n');
SELECT cdc_sync.create_pipeline('t02r', cdc_test.brokers(), ARRAY['t02_retry']);
SELECT cdc_sync.add_sync_table('t02r', 's.t', 't02_retry');
SELECT cdc_sync.start_pipeline('t02r');
SELECT ok(cdc_sync.wait_for_catchup('t02r', '60 s'), 'batch retried after transient errors');
SELECT results_eq('SELECT id, qty, note FROM t02_retry ORDER BY id', $$VALUES (1, 6, 'a2'), (4, 7, 'd')$$,
                  'retried batch: every row once');
SELECT results_eq($$SELECT state, messages_consumed FROM cdc_sync.status WHERE pipeline = 't02r'$$,
                  $$VALUES ('running'::text, 3::bigint)$$, 'retried batch: still running, each message counted once');

TRUNCATE t02_retry;
SELECT setval('t02_deadlocks', 1, false);
SELECT cdc_test.create_topic('t02_retry1', 1);
-- All rows alike, so the batch fails in COPY (on "abc") before the trigger runs: the simulated
-- deadlocks hit the message-by-message pass, at id 4, after the bad message became a dead letter
-- in the attempt that is rolled back.
SELECT cdc_test.produce('t02_retry1', $$
    SELECT 0, NULL, v FROM (VALUES (0, cdc_test.dbz('c', '{"id": 1, "qty": 5, "note": "a"}')),
                                   (1, cdc_test.dbz('c', '{"id": 3, "qty": "abc", "note": "c"}')),
                                   (2, cdc_test.dbz('c', '{"id": 4, "qty": 7, "note": "d"}'))) m(n, v) ORDER BY n$$);
SELECT cdc_sync.create_pipeline('t02r1', cdc_test.brokers(), ARRAY['t02_retry1'], 'debezium', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t02r1', 's.t', 't02_retry');
SELECT cdc_sync.start_pipeline('t02r1');
SELECT ok(cdc_sync.wait_for_catchup('t02r1', '60 s'), 'message-by-message pass retried after transient errors');
SELECT results_eq('SELECT id, qty, note FROM t02_retry ORDER BY id', $$VALUES (1, 5, 'a'), (4, 7, 'd')$$,
                  'retried message-by-message pass: every good row once');
SELECT results_eq($$SELECT "offset" FROM cdc_sync.dead_letters WHERE pipeline = 't02r1' ORDER BY "offset"$$,
                  'VALUES (1::bigint)', 'retried message-by-message pass: the bad message dead-lettered once');
SELECT results_eq($$SELECT messages_consumed, messages_dead_lettered FROM cdc_sync.status WHERE pipeline = 't02r1'$$,
                  'VALUES (3::bigint, 1::bigint)', 'retried message-by-message pass: counted once');
SELECT is((SELECT last_value FROM t02_deadlocks), 3::bigint, 'both simulated deadlocks were hit, then the retry passed');

-- An error outside any batch (here: storing the start offsets, refused by a trigger) fails the
-- pipeline with the reason, instead of restarting the worker over and over with state 'running'.
CREATE TABLE t02_outside (id int PRIMARY KEY);
CREATE FUNCTION t02_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.pipeline = 't02o' THEN RAISE EXCEPTION 'offsets refused for t02o'; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER t02_refuse BEFORE INSERT ON cdc_sync.offsets FOR EACH ROW EXECUTE FUNCTION t02_refuse();
SELECT cdc_sync.create_pipeline('t02o', cdc_test.brokers(), ARRAY['t02_all']);
SELECT cdc_sync.add_sync_table('t02o', 's.t', 't02_outside');
SELECT cdc_sync.start_pipeline('t02o');
SELECT ok(cdc_test.wait_until($$SELECT state = 'failed' FROM cdc_sync.status WHERE pipeline = 't02o'$$, '60 s'),
          'an error outside a batch fails the pipeline');
SELECT matches((SELECT last_error FROM cdc_sync.status WHERE pipeline = 't02o'), 'offsets refused for t02o',
               'and last_error gives the reason');
DROP TRIGGER t02_refuse ON cdc_sync.offsets;

-- on_error 'fail' names the message (topic, partition, offset, key), the column and the target;
-- a key written two ways (1 and 1.0) in one batch is one key and fails nothing.
CREATE TABLE t02_named (id int PRIMARY KEY, qty int);
SELECT cdc_test.create_topic('t02_named', 1);
SELECT cdc_test.produce('t02_named', $$VALUES
    (0, '{"id": 1}', cdc_test.dbz('c', '{"id": 1, "qty": 1}')),
    (0, '{"id": 1.0}', cdc_test.dbz('u', '{"id": 1.0, "qty": 2}')),
    (0, '{"id": 2}', cdc_test.dbz('c', '{"id": 2, "qty": "abc"}'))$$);
SELECT cdc_sync.create_pipeline('t02n', cdc_test.brokers(), ARRAY['t02_named']);
SELECT cdc_sync.add_sync_table('t02n', 's.t', 't02_named');
SELECT cdc_sync.start_pipeline('t02n');
SELECT ok(cdc_test.wait_until($$SELECT state = 'failed' FROM cdc_sync.status WHERE pipeline = 't02n'$$, '60 s'),
          'a bad value fails the pipeline');
SELECT is((SELECT last_error FROM cdc_sync.status WHERE pipeline = 't02n'),
          'bad message at t02_named[0]@2, key {"id": 2}: invalid input syntax for type integer: "abc" (column qty: "abc") (target public.t02_named)',
          'last_error names the message, its key, the column and the target');
SELECT is((SELECT count(*) FROM t02_named), 0::bigint, 'nothing of the failed batch is applied');
CREATE TABLE t02_keys (id int PRIMARY KEY, qty int);
SELECT cdc_test.create_topic('t02_keys', 1);
SELECT cdc_test.produce('t02_keys', $$VALUES
    (0, '{"id": 1}', cdc_test.dbz('c', '{"id": 1, "qty": 1}')),
    (0, '{"id": 1.0}', cdc_test.dbz('u', '{"id": 1.0, "qty": 2}'))$$);
SELECT cdc_sync.create_pipeline('t02k', cdc_test.brokers(), ARRAY['t02_keys']);
SELECT cdc_sync.add_sync_table('t02k', 's.t', 't02_keys');
SELECT cdc_sync.start_pipeline('t02k');
SELECT ok(cdc_sync.wait_for_catchup('t02k', '60 s'), 'a key written as 1 and 1.0 in one batch fails nothing');
SELECT results_eq('SELECT id, qty FROM t02_keys', 'VALUES (1, 2)', 'it is one row, with the later value');

SELECT cdc_sync.drop_pipeline(p) FROM unnest(ARRAY['t02d', 't02f', 't02a', 't02r', 't02r1', 't02o', 't02n', 't02k']) p;
SELECT * FROM finish();
