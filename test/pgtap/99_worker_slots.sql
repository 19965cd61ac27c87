-- More running pipelines than cdc_sync.max_workers: the one without a slot says so in status and
-- gets a worker as soon as a slot frees up. Runs last: it stops every other pipeline first.
\set ON_ERROR_STOP 1
SELECT plan(7);

SELECT cdc_sync.stop_pipeline(name) FROM cdc_sync.pipelines WHERE state <> 'stopped';
SELECT ok(cdc_test.wait_until($$SELECT coalesce(sum(cardinality(worker_pids)), 0) = 0 FROM cdc_sync.status$$, '60 s'),
          'no worker runs before the test');

-- One topic, one row per pipeline; as many pipelines as slots, plus one.
SELECT cdc_test.create_topic('t13_slots', 1);
SELECT cdc_test.produce('t13_slots', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 1}')$$);
SELECT format('CREATE TABLE t13_%s (id int PRIMARY KEY)', i)
FROM generate_series(1, current_setting('cdc_sync.max_workers')::int + 1) i \gexec
SELECT cdc_sync.create_pipeline('t13_' || i, cdc_test.brokers(), ARRAY['t13_slots']),
       cdc_sync.add_sync_table('t13_' || i, 's\.t', 't13_' || i)
FROM generate_series(1, current_setting('cdc_sync.max_workers')::int + 1) i;
SELECT cdc_sync.start_pipeline('t13_' || i) FROM generate_series(1, current_setting('cdc_sync.max_workers')::int + 1) i;

SELECT ok(cdc_test.wait_until(format($$SELECT count(*) = %s FROM cdc_sync.status
                                       WHERE pipeline LIKE 't13\_%%' AND cardinality(worker_pids) = 1$$,
                                     current_setting('cdc_sync.max_workers')), '60 s'),
          'every slot gets a worker');
CREATE TEMP TABLE t13_last AS SELECT 't13_' || (current_setting('cdc_sync.max_workers')::int + 1) AS name;
SELECT ok(cdc_test.wait_until($$SELECT worker_problem IS NOT NULL FROM cdc_sync.status
                                WHERE pipeline = (SELECT name FROM t13_last)$$),
          'the pipeline without a slot shows a problem');
SELECT matches((SELECT worker_problem FROM cdc_sync.status WHERE pipeline = (SELECT name FROM t13_last)),
               '^waiting for a worker slot: all \d+ of cdc_sync.max_workers are in use',
               'worker_problem says what it waits for and what to do');
SELECT is((SELECT worker_pids FROM cdc_sync.status WHERE pipeline = (SELECT name FROM t13_last)), '{}'::int[],
          'and it has no worker');

-- A slot frees up: the waiting pipeline gets it.
SELECT cdc_sync.stop_pipeline('t13_1');
SELECT ok(cdc_sync.wait_for_catchup((SELECT name FROM t13_last), '60 s'), 'the waiting pipeline got a worker and caught up');
SELECT is((SELECT worker_problem FROM cdc_sync.status WHERE pipeline = (SELECT name FROM t13_last)), NULL,
          'and its problem is gone');

SELECT cdc_sync.drop_pipeline(name) FROM cdc_sync.pipelines WHERE name LIKE 't13\_%';
SELECT * FROM finish();
