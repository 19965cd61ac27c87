-- partition_by: a target the pipeline creates can be partitioned, by RANGE of a date or timestamp
-- (a partition per day ... year, created in the batch that first needs it, before its rows are
-- written) or of an integer (a step), or by HASH (every partition with the table). The partition
-- columns join the table's primary key (so they are NOT NULL); the sync key stays the source's,
-- so an update that moves a row to another partition moves it.
\set ON_ERROR_STOP 1
SELECT plan(12);

-- A Canal event of shop.orders (its mysqlType declares placed a DATE).
CREATE FUNCTION pg_temp.ev(op text, id int, placed text, amount int)
RETURNS TABLE (p int, k text, v text) LANGUAGE sql AS $$
    SELECT 0, NULL::text,
           format('{"data": [{"id": "%s", "placed": %s, "amount": "%s"}], "database": "shop", "table": "orders", '
                  '"isDdl": false, "pkNames": ["id"], "type": "%s", '
                  '"mysqlType": {"id": "int", "placed": "date", "amount": "int"}}',
                  id, coalesce(to_json(placed)::text, 'null'), amount,
                  CASE op WHEN 'c' THEN 'INSERT' WHEN 'u' THEN 'UPDATE' ELSE 'DELETE' END)
$$;
CREATE FUNCTION pg_temp.partitions(t regclass) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid), '; ' ORDER BY c.relname)
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = t
$$;

SELECT cdc_test.create_topic('t25', 1);
SELECT cdc_sync.create_pipeline('t25', cdc_test.brokers(), ARRAY['t25'], 'canal');
SELECT cdc_sync.add_sync_table('t25', 'shop.orders', 't25_by_month', ARRAY['id'],
                               '{"partition_by": "RANGE (placed)", "partition_interval": "month"}');
SELECT cdc_test.produce('t25', $$SELECT * FROM pg_temp.ev('c', 1, '2024-05-03', 10) UNION ALL
                                SELECT * FROM pg_temp.ev('c', 2, '2024-06-30', 20) UNION ALL
                                SELECT * FROM pg_temp.ev('c', 3, '2024-05-31', 30)$$);
SELECT cdc_sync.start_pipeline('t25');
SELECT ok(cdc_sync.wait_for_catchup('t25', '60 s'), 'caught up');
SELECT is((SELECT relkind::text FROM pg_class WHERE oid = 't25_by_month'::regclass), 'p', 'created partitioned');
SELECT is(pg_get_partkeydef('t25_by_month'::regclass), 'RANGE (placed)', 'by range of the column');
SELECT is((SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 't25_by_month'::regclass AND contype = 'p'),
          'PRIMARY KEY (id, placed)', 'the partition column joins the primary key');
SELECT is(pg_temp.partitions('t25_by_month'),
          't25_by_month_p20240501 FOR VALUES FROM (''2024-05-01'') TO (''2024-06-01''); '
          't25_by_month_p20240601 FOR VALUES FROM (''2024-06-01'') TO (''2024-07-01'')',
          'a partition per month the rows need');
SELECT results_eq('SELECT id, amount FROM t25_by_month ORDER BY id', $$VALUES (1, 10), (2, 20), (3, 30)$$,
                  'every row applied');

-- Later rows: a new month, a row moved to another month, a delete.
SELECT cdc_test.produce('t25', $$SELECT * FROM pg_temp.ev('c', 4, '2025-01-15', 40) UNION ALL
                                SELECT * FROM pg_temp.ev('u', 1, '2024-06-02', 11) UNION ALL
                                SELECT * FROM pg_temp.ev('d', 2, '2024-06-30', 20)$$);
SELECT ok(cdc_sync.wait_for_catchup('t25', '60 s'), 'caught up again');
SELECT results_eq($$SELECT tableoid::regclass::text, id, amount FROM t25_by_month ORDER BY id$$,
                  $$VALUES ('t25_by_month_p20240601', 1, 11), ('t25_by_month_p20240501', 3, 30),
                           ('t25_by_month_p20250101', 4, 40)$$,
                  'a new month gets its partition; an update moves its row; a delete finds it');
SELECT is((SELECT count(*) FROM cdc_sync.schema_history WHERE pipeline = 't25' AND ddl LIKE '%PARTITION OF%'), 3::bigint,
          'every partition created is in schema_history');

-- HASH: every partition with the table.
SELECT cdc_sync.add_sync_table('t25', 'shop.hashed', 't25_hashed', options => '{"partition_by": "HASH (id)", "partitions": 4}');
SELECT cdc_test.produce('t25', $$VALUES (0, NULL::text, '{"data": [{"id": "1", "v": "x"}], "database": "shop", "table": "hashed", "isDdl": false, "pkNames": ["id"], "type": "INSERT", "mysqlType": {"id": "int", "v": "varchar(10)"}}')$$);
SELECT ok(cdc_sync.wait_for_catchup('t25', '60 s'), 'hash: caught up');
SELECT is((SELECT count(*) FROM pg_inherits WHERE inhparent = 't25_hashed'::regclass), 4::bigint, 'hash: four partitions');

-- Refused: an existing target, an interval without RANGE.
CREATE TABLE t25_exists (id int PRIMARY KEY);
SELECT throws_like($$SELECT cdc_sync.add_sync_table('t25', 'shop.x', 't25_exists', options => '{"partition_by": "RANGE (id)"}')$$,
                   '%applies to a target the pipeline creates%', 'partition_by on an existing table is refused');

SELECT cdc_sync.drop_pipeline('t25');
SELECT * FROM finish();
