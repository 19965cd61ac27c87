-- The launcher restarting alone (pg_terminate_backend here; an error in its loop no longer restarts
-- it) adopts the workers it finds running: they keep their batches, slots and pids, and are still
-- stopped, restarted and watched like the workers it starts itself.
\set ON_ERROR_STOP 1
SELECT plan(9);

CREATE TABLE t20 (id int PRIMARY KEY, v int);
SELECT cdc_test.create_topic('t20', 2);
SELECT cdc_sync.create_pipeline('t20', cdc_test.brokers(), ARRAY['t20'], 'debezium', '{"parallelism": 2}');
SELECT cdc_sync.add_sync_table('t20', 's.t', 't20');
SELECT cdc_sync.start_pipeline('t20');
SELECT cdc_test.produce('t20', $$SELECT g % 2, NULL, cdc_test.dbz('c', jsonb_build_object('id', g, 'v', 1)) FROM generate_series(1, 100) g$$);
SELECT ok(cdc_sync.wait_for_catchup('t20', '60 s'), 'caught up');
SELECT ok(cdc_test.wait_until($$SELECT cardinality(worker_pids) = 2 FROM cdc_sync.status WHERE pipeline = 't20'$$),
          'two workers run');
CREATE TEMP TABLE t20_before AS
    SELECT (SELECT worker_pids FROM cdc_sync.status WHERE pipeline = 't20') AS workers,
           (SELECT pid FROM pg_stat_activity WHERE backend_type = 'cdc_sync launcher') AS launcher;

SELECT pg_terminate_backend(launcher) FROM t20_before;
SELECT ok(cdc_test.wait_until($$SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'cdc_sync launcher'
                                                AND pid <> (SELECT launcher FROM t20_before))$$, '60 s'),
          'a new launcher started');
SELECT cdc_test.produce('t20', $$SELECT g % 2, NULL, cdc_test.dbz('u', jsonb_build_object('id', g, 'v', 2)) FROM generate_series(1, 100) g$$);
SELECT ok(cdc_sync.wait_for_catchup('t20', '60 s'), 'the pipeline catches up under the new launcher');
SELECT is((SELECT count(*) FROM t20 WHERE v = 2), 100::bigint, 'every change applied');
SELECT is((SELECT worker_pids FROM cdc_sync.status WHERE pipeline = 't20'), (SELECT workers FROM t20_before),
          'the workers kept running (adopted, not stopped and started again)');

-- An adopted worker that exits is started again; a stop ends adopted workers.
SELECT pg_terminate_backend((SELECT workers[1] FROM t20_before));
SELECT ok(cdc_test.wait_until($$SELECT cardinality(worker_pids) = 2 AND NOT worker_pids @> ARRAY[(SELECT workers[1] FROM t20_before)]
                                FROM cdc_sync.status WHERE pipeline = 't20'$$, '60 s'),
          'an adopted worker that exits is replaced');
SELECT cdc_sync.stop_pipeline('t20');
SELECT ok(cdc_test.wait_until($$SELECT worker_pids = '{}' FROM cdc_sync.status WHERE pipeline = 't20'$$, '60 s'),
          'stop_pipeline ends the workers');
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = (SELECT workers[2] FROM t20_before)),
          'including the adopted one');
SELECT cdc_sync.drop_pipeline('t20');
SELECT * FROM finish();
