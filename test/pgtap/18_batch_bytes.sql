-- batch_max_bytes bounds a batch by the bytes of its messages, whatever batch_max_rows allows; a
-- message bigger than the limit is a batch of its own.
\set ON_ERROR_STOP 1
SELECT plan(4);

CREATE TABLE t18 (id int PRIMARY KEY, pad text);
SELECT cdc_test.create_topic('t18', 1);
-- 100 messages of about 10 kB, then one of about 200 kB.
SELECT cdc_test.produce('t18', $$
    SELECT 0, NULL, cdc_test.dbz('c', jsonb_build_object('id', i, 'pad', repeat('x', CASE WHEN i = 101 THEN 200000 ELSE 10000 END)))
    FROM generate_series(1, 101) i ORDER BY i$$);
SELECT cdc_sync.create_pipeline('t18', cdc_test.brokers(), ARRAY['t18'], 'debezium',
                                '{"batch_max_rows": 10000, "batch_max_ms": 5000, "batch_max_bytes": 65536}');
SELECT cdc_sync.add_sync_table('t18', 's.t', 't18');
SELECT cdc_sync.start_pipeline('t18');
SELECT ok(cdc_sync.wait_for_catchup('t18', '60 s'), 'caught up');
SELECT results_eq('SELECT count(*), sum(length(pad)) FROM t18', 'VALUES (101::bigint, 1200000::bigint)',
                  'every message applied, the big one too');
-- 100 × ~10 kB in batches of at most 64 kB: at least 16 batches (one or two without the limit).
SELECT cmp_ok((SELECT batches FROM cdc_sync.status WHERE pipeline = 't18'), '>=', 17::bigint,
              'the batches were cut by bytes (and the big message was one alone)');
SELECT throws_ok($$SELECT cdc_sync.alter_pipeline('t18', '{"batch_max_bytes": 1000}')$$, '22023',
                 'option "batch_max_bytes" must be an integer between 65536 and 4294967296, not 1000',
                 'a limit below 64 kB is refused');
SELECT cdc_sync.drop_pipeline('t18');
SELECT * FROM finish();
