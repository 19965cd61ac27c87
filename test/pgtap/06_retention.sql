-- Kafka deleted messages (retention) before they were applied: the pipeline says so loudly and
-- stops; it never skips silently. reset_offsets() accepts the loss. The topic keeps 1 MB per
-- partition in 1 MB segments (the test broker checks retention every 5 s), so 8 MB into one
-- partition moves its low-water mark.
\set ON_ERROR_STOP 1
SELECT plan(7);

CREATE TABLE t06 (id int PRIMARY KEY);
SELECT cdc_test.create_topic('t06', 1, ARRAY['segment.bytes=1048576', 'retention.bytes=1048576']);
SELECT cdc_test.produce('t06', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 0}')$$);
SELECT cdc_sync.create_pipeline('t06', cdc_test.brokers(), ARRAY['t06']);
SELECT cdc_sync.add_sync_table('t06', 's.t', 't06');
SELECT cdc_sync.start_pipeline('t06');
SELECT ok(cdc_sync.wait_for_catchup('t06', '60 s'), 'first message applied');
SELECT cdc_sync.stop_pipeline('t06');
SELECT cdc_test.wait_until($$SELECT worker_pids = '{}' FROM cdc_sync.status WHERE pipeline = 't06'$$);

-- while stopped, 8 MB arrive and the oldest of them are deleted
SELECT cdc_test.produce('t06', $$
    SELECT 0, NULL, cdc_test.dbz('c', jsonb_build_object('id', i, 'pad', repeat('x', 1000)))
    FROM generate_series(1, 8000) i ORDER BY i$$);
SELECT ok(cdc_test.wait_until($$SELECT low > 1000 FROM cdc_test.watermarks('t06')$$, '60 s'),
          'Kafka deleted the oldest segments');
SELECT cdc_sync.start_pipeline('t06');
SELECT ok(cdc_test.wait_until($$SELECT state = 'failed' FROM cdc_sync.status WHERE pipeline = 't06'$$, '60 s'),
          'the pipeline fails instead of skipping');
SELECT matches((SELECT last_error FROM cdc_sync.status WHERE pipeline = 't06'),
               'offset 1 of t06\[0\] is no longer in Kafka .*reset_offsets', 'last_error says what was lost and what to do');
SELECT is((SELECT count(*) FROM t06), 1::bigint, 'nothing applied past the gap');

-- accepting the loss
SELECT cdc_sync.reset_offsets('t06', 'earliest');
SELECT cdc_sync.start_pipeline('t06');
SELECT ok(cdc_sync.wait_for_catchup('t06', '60 s'), 'after reset_offsets the pipeline catches up');
SELECT ok((SELECT count(*) BETWEEN 100 AND 7999 FROM t06 WHERE id > 0), 'the messages still in Kafka are applied');

SELECT cdc_sync.drop_pipeline('t06');
SELECT * FROM finish();
