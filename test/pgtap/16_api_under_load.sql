-- API calls while several workers of one pipeline apply batches back to back: they wait for the
-- batches in flight (never deadlock with them, never starve behind them), and a batch that waited
-- for such a call runs under the configuration it committed.
\set ON_ERROR_STOP 1
SELECT plan(10);

CREATE TABLE t16_a (id int PRIMARY KEY, v text);
CREATE TABLE t16_b (id int PRIMARY KEY, v text);
SELECT cdc_test.create_topic('t16', 6);
-- n events per source table (a and b), spread over the 6 partitions.
CREATE FUNCTION pg_temp.produce(lo int, hi int) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.produce('t16', format(
        $q$SELECT i %% 6, NULL, cdc_test.dbz('c', jsonb_build_object('id', i, 'v', 'v' || i), NULL, 's', t)
           FROM generate_series(%s, %s) i, (VALUES ('a'), ('b')) AS x(t) ORDER BY i, t$q$, lo, hi))
$$;
SELECT pg_temp.produce(1, 6000);
CREATE TEMP TABLE t16_deadlocks AS
    SELECT deadlocks FROM pg_stat_database WHERE datname = current_database();

SELECT cdc_sync.create_pipeline('t16', cdc_test.brokers(), ARRAY['t16'], 'debezium',
                                '{"parallelism": 3, "batch_max_rows": 20, "batch_max_ms": 5}');
SELECT cdc_sync.add_sync_table('t16', 's.a', 't16_a');
SELECT cdc_sync.add_sync_table('t16', 's.b', 't16_b');
SELECT cdc_sync.start_pipeline('t16');
SELECT ok(cdc_test.wait_until($$SELECT count(*) > 100 FROM t16_a$$, '60 s'), 'three workers are applying');

-- A change that reconnects every worker (each takes the start path's exclusive lock), then one
-- that only changes batch settings, while batches keep coming.
SELECT cdc_sync.alter_pipeline('t16', '{"kafka": {"fetch.wait.max.ms": "50"}}');
SELECT cdc_sync.alter_pipeline('t16', '{"batch_max_rows": 25}');
-- A sync table removed under load: its staging tables go; batches after the call skip its source.
SELECT cdc_sync.remove_sync_table('t16', 's.b');
CREATE TEMP TABLE t16_b_at_removal AS SELECT count(*) AS n FROM t16_b;
SELECT pg_temp.produce(6001, 7000);
SELECT ok(cdc_sync.wait_for_catchup('t16', '120 s'), 'the pipeline catches up');
SELECT results_eq($$SELECT state, last_error FROM cdc_sync.status WHERE pipeline = 't16'$$,
                  $$VALUES ('running', NULL::text)$$, 'still running, no error');
SELECT results_eq('SELECT count(*), min(id), max(id) FROM t16_a', 'VALUES (7000::bigint, 1, 7000)',
                  'the remaining table has every row');
SELECT is((SELECT count(*) FROM t16_b), (SELECT n FROM t16_b_at_removal),
          'nothing applied to the removed table after remove_sync_table returned');
SELECT is((SELECT count(*) FROM pg_class WHERE relnamespace = 'cdc_sync_stage'::regnamespace
           AND relname LIKE 'p' || (SELECT id FROM cdc_sync.pipelines WHERE name = 't16') || '\_%'
           AND relname NOT LIKE '%\_s' || (SELECT id FROM cdc_sync.sync_tables WHERE pipeline = 't16') || '\_w%'),
          0::bigint, 'no staging table of the removed sync table is left (none re-created by a batch)');
SELECT is((SELECT messages_skipped > 0 FROM cdc_sync.status WHERE pipeline = 't16'), true,
          'the removed source is skipped and counted');

-- stop_pipeline under load returns once the batches in flight are done; none runs after it.
SELECT pg_temp.produce(7001, 9000);
SELECT cdc_sync.stop_pipeline('t16');
CREATE TEMP TABLE t16_at_stop AS SELECT count(*) AS n FROM t16_a;
SELECT ok(cdc_test.wait_until($$SELECT worker_pids = '{}' FROM cdc_sync.status WHERE pipeline = 't16'$$, '60 s'),
          'the workers exit');
SELECT is((SELECT count(*) FROM t16_a), (SELECT n FROM t16_at_stop), 'no batch committed after stop_pipeline returned');

SELECT pg_stat_clear_snapshot();
SELECT is((SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()),
          (SELECT deadlocks FROM t16_deadlocks), 'no deadlock anywhere (the exited workers reported theirs)');
SELECT cdc_sync.drop_pipeline('t16');
SELECT * FROM finish();
