-- A big batch with a few bad messages: the slow path finds exactly them (by halving the batch, not
-- one subtransaction per message), dead-letters them, and applies every other message, in order.
\set ON_ERROR_STOP 1
SELECT plan(6);

CREATE TABLE t17 (id int PRIMARY KEY, qty int, v text);
SELECT cdc_test.create_topic('t17', 1);
-- 4000 changes to 500 keys (later changes win); messages 7, 1200, 2500 and 3999 carry a qty that
-- overflows int: they decode fine, PostgreSQL refuses them, so the slow path must find them.
SELECT cdc_test.produce('t17', $$
    SELECT 0, NULL, cdc_test.dbz('c', jsonb_build_object('id', i % 500, 'v', 'v' || i,
               'qty', CASE WHEN i IN (7, 1200, 2500, 3999) THEN 99999999999 ELSE i END))
    FROM generate_series(0, 3999) i ORDER BY i$$);
SELECT cdc_sync.create_pipeline('t17', cdc_test.brokers(), ARRAY['t17'], 'debezium',
                                '{"on_error": "dead_letter", "batch_max_rows": 5000, "batch_max_ms": 2000}');
SELECT cdc_sync.add_sync_table('t17', 's.t', 't17');
SELECT cdc_sync.start_pipeline('t17');
SELECT ok(cdc_sync.wait_for_catchup('t17', '120 s'), 'caught up');
SELECT results_eq($$SELECT "offset" FROM cdc_sync.dead_letters WHERE pipeline = 't17'
                    AND error LIKE '%out of range for type integer%' ORDER BY id$$,
                  $$VALUES (7::bigint), (1200::bigint), (2500::bigint), (3999::bigint)$$,
                  'exactly the four bad messages are dead letters, in order');
-- The model: per key, the last good change.
SELECT is((SELECT count(*) FROM t17), 500::bigint, 'every key is there');
SELECT is((SELECT count(*) FROM t17 t
           JOIN (SELECT DISTINCT ON (i % 500) i % 500 AS id, i FROM generate_series(0, 3999) i
                 WHERE i NOT IN (7, 1200, 2500, 3999) ORDER BY i % 500, i DESC) m
             ON m.id = t.id AND t.qty = m.i AND t.v = 'v' || m.i), 500::bigint,
          'each key holds its last good change');
SELECT is((SELECT messages_dead_lettered FROM cdc_sync.status WHERE pipeline = 't17'), 4::bigint,
          'status counts the four');
-- The worker logs each slow-path pass: a few dozen subtransactions, not one per message.
SELECT ok((SELECT max(m[2]::int) <= 120 AND count(*) > 0
           FROM regexp_matches(pg_read_file(current_setting('cdc_test.run_dir') || '/postgres.log'),
                               'pipeline "t17": slow path: \d+ bad of (\d+) messages, found in (\d+) subtransactions', 'g') m
           WHERE m[1]::int >= 1000),
          'a slow-path pass over 1000+ messages used at most 120 subtransactions');
SELECT cdc_sync.drop_pipeline('t17');
SELECT * FROM finish();
