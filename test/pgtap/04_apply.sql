-- How changes land: parallel workers, both apply strategies, partial rows, quoting of untrusted
-- names, value conversion through input functions, truncate events, per-table statistics.
\set ON_ERROR_STOP 1
SELECT plan(14);

-- parallelism: 4 partitions, 2 workers, one table
CREATE TABLE t04_par (id int PRIMARY KEY, v text);
SELECT cdc_test.create_topic('t04_par', 4);
SELECT cdc_test.produce('t04_par', $$
    SELECT i % 4, jsonb_build_object('id', i)::text, cdc_test.dbz('c', jsonb_build_object('id', i, 'v', 'x' || i))
    FROM generate_series(1, 400) i ORDER BY i$$);
SELECT cdc_sync.create_pipeline('t04p', cdc_test.brokers(), ARRAY['t04_par'], 'debezium', '{"parallelism": 2}');
SELECT cdc_sync.add_sync_table('t04p', 's.t', 't04_par');
SELECT cdc_sync.start_pipeline('t04p');
SELECT ok(cdc_sync.wait_for_catchup('t04p', '60 s'), 'parallel pipeline caught up');
SELECT is((SELECT count(*) FROM t04_par), 400::bigint, 'rows of all 4 partitions applied');
SELECT ok(cdc_test.wait_until($$SELECT cardinality(worker_pids) = 2 FROM cdc_sync.status WHERE pipeline = 't04p'$$),
          'two workers');

-- the same changes through MERGE and through DELETE USING + INSERT give the same table
CREATE TABLE t04_merge (id int PRIMARY KEY, v text, n int DEFAULT 42, j jsonb, amount numeric(30,10),
                        at timestamptz, flag boolean);
CREATE TABLE t04_di (LIKE t04_merge INCLUDING ALL);
SELECT cdc_test.create_topic('t04_mix', 1);
SELECT cdc_test.produce('t04_mix', $$
    SELECT 0, NULL, v FROM (VALUES
      (1, cdc_test.dbz('c', '{"id": 1, "v": "one", "n": 1, "j": {"a": [1, 2]}, "amount": 12345678901234567890.0123456789,
                            "at": "2024-05-01T12:00:00Z", "flag": true}')),
      (2, cdc_test.dbz('c', '{"id": 2, "v": "two"}')),
      (3, cdc_test.dbz('u', '{"id": 1, "v": "one!"}', '{"id": 1}')),
      (4, cdc_test.dbz('c', '{"id": 3, "v": "tab\there \\ back\nnl", "n": 3}')),
      (5, cdc_test.dbz('d', NULL, '{"id": 2, "v": "two"}')),
      (6, cdc_test.dbz('c', '{"id": 2, "v": "two again"}')),
      (7, cdc_test.dbz('c', '{"id": 4, "v": null, "n": null}'))
    ) m(n, v) ORDER BY n$$);
SELECT cdc_sync.create_pipeline('t04m', cdc_test.brokers(), ARRAY['t04_mix'], 'debezium', '{"apply_strategy": "merge"}');
SELECT cdc_sync.add_sync_table('t04m', 's.t', 't04_merge');
SELECT cdc_sync.create_pipeline('t04d', cdc_test.brokers(), ARRAY['t04_mix'], 'debezium',
                                '{"apply_strategy": "delete_insert", "batch_max_rows": 2}');
SELECT cdc_sync.add_sync_table('t04d', 's.t', 't04_di');
SELECT cdc_sync.start_pipeline('t04m');
SELECT cdc_sync.start_pipeline('t04d');
SELECT ok(cdc_sync.wait_for_catchup('t04m', '60 s') AND cdc_sync.wait_for_catchup('t04d', '60 s'), 'both caught up');
SELECT results_eq('SELECT id, v, n FROM t04_merge ORDER BY id',
                  $$VALUES (1, 'one!', 1), (2, 'two again', 42), (3, E'tab\there \\ back\nnl', 3), (4, NULL, NULL)$$,
                  'partial update keeps absent columns; re-insert after delete takes defaults; escapes survive');
SELECT results_eq('SELECT j, amount, at, flag FROM t04_merge WHERE id = 1',
                  $$VALUES ('{"a": [1, 2]}'::jsonb, 12345678901234567890.0123456789::numeric(30,10),
                            '2024-05-01 12:00:00+00'::timestamptz, true)$$,
                  'json, exact numeric, timestamp and boolean values convert through input functions');
SELECT results_eq('TABLE t04_merge EXCEPT TABLE t04_di', 'SELECT * FROM t04_merge WHERE false',
                  'delete_insert gives the same table as merge');
SELECT results_eq('TABLE t04_di EXCEPT TABLE t04_merge', 'SELECT * FROM t04_merge WHERE false',
                  'and no extra rows');
SELECT results_eq($$SELECT rows_inserted - rows_deleted FROM cdc_sync.table_stats WHERE pipeline = 't04m'$$,
                  'VALUES (4::bigint)', 'table_stats: net rows match the table');

-- untrusted names: mixed case, spaces and quotes in table and column names
CREATE TABLE "T04 Odd ""Table""" ("Id" int PRIMARY KEY, "the value" text, "x;drop" text);
SELECT cdc_test.create_topic('t04_odd', 1);
SELECT cdc_test.produce('t04_odd', $$SELECT 0, NULL, cdc_test.dbz('c', '{"Id": 1, "the value": "ok", "x;drop": "y"}',
                                                              NULL, 'We"ird', 'Tab le')$$);
SELECT cdc_sync.create_pipeline('t04o', cdc_test.brokers(), ARRAY['t04_odd']);
SELECT cdc_sync.add_sync_table('t04o', 'We"ird\.Tab le', '"T04 Odd ""Table"""');
SELECT cdc_sync.start_pipeline('t04o');
SELECT ok(cdc_sync.wait_for_catchup('t04o', '60 s'), 'odd names caught up');
SELECT results_eq($$SELECT "Id", "the value", "x;drop" FROM "T04 Odd ""Table"""$$, $$VALUES (1, 'ok', 'y')$$,
                  'quoted identifiers applied correctly');

-- truncate events empty the target
CREATE TABLE t04_tr (id int PRIMARY KEY);
SELECT cdc_test.create_topic('t04_tr', 1);
SELECT cdc_test.produce('t04_tr', $$
    SELECT 0, NULL, v FROM (VALUES
      (1, cdc_test.dbz('c', '{"id": 1}')), (2, cdc_test.dbz('c', '{"id": 2}')),
      (3, '{"op": "t", "source": {"db": "s", "table": "t"}}'),
      (4, cdc_test.dbz('c', '{"id": 3}'))) m(n, v) ORDER BY n$$);
INSERT INTO t04_tr VALUES (100);
SELECT cdc_sync.create_pipeline('t04t', cdc_test.brokers(), ARRAY['t04_tr']);
SELECT cdc_sync.add_sync_table('t04t', 's.t', 't04_tr');
SELECT cdc_sync.start_pipeline('t04t');
SELECT ok(cdc_sync.wait_for_catchup('t04t', '60 s'), 'truncate stream caught up');
SELECT results_eq('SELECT id FROM t04_tr', 'VALUES (3)', 'truncate removed earlier rows, later ones applied');
SELECT is((SELECT count(*) FROM pg_class WHERE relnamespace = 'cdc_sync_stage'::regnamespace AND relpersistence = 'u'
           AND relname LIKE 'p%\_s%\_w%'), (SELECT count(*) FROM pg_class WHERE relnamespace = 'cdc_sync_stage'::regnamespace),
          'staging tables are UNLOGGED');

SELECT cdc_sync.drop_pipeline(p) FROM unnest(ARRAY['t04p', 't04m', 't04d', 't04o', 't04t']) p;
SELECT * FROM finish();
