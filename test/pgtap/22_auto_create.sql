-- auto_create: a target that does not exist is created at the first change for it, with the
-- columns in source order, the types the messages declare (or their values say) and the sync
-- table's key, else the message key; recorded in schema_history; in a running pipeline too.
\set ON_ERROR_STOP 1
SELECT plan(18);

-- A Debezium event with its schema envelope (MySQL types propagated for two columns), keyed by
-- order_no and line as Debezium's MySQL connector keys it.
CREATE FUNCTION pg_temp.dbz_order(order_no int, line int, item text, price text, op text DEFAULT 'c')
RETURNS TABLE (p int, k text, v text) LANGUAGE sql AS $f$
    SELECT 0,
      format('{"schema":{"type":"struct","optional":false,"fields":[{"type":"int32","optional":false,"field":"order_no"},{"type":"int16","optional":false,"field":"line"}]},"payload":{"order_no":%s,"line":%s}}', order_no, line),
      format($j${"schema":{"type":"struct","optional":false,"name":"shop.orders.Envelope","fields":[
        {"type":"struct","optional":true,"field":"before","fields":[]},
        {"type":"struct","optional":true,"field":"after","fields":[
          {"type":"int32","optional":false,"field":"order_no"},
          {"type":"int16","optional":false,"field":"line"},
          {"type":"string","optional":true,"field":"item","parameters":{"__debezium.source.column.type":"VARCHAR","__debezium.source.column.length":"20"}},
          {"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"field":"price","parameters":{"scale":"2","connect.decimal.precision":"8"}},
          {"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"placed"}]},
        {"type":"struct","optional":false,"field":"source","fields":[{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"table"}]},
        {"type":"string","optional":false,"field":"op"}]},
       "payload":{"before":null,"after":{"order_no":%s,"line":%s,"item":"%s","price":"%s","placed":1714557600123},
                  "source":{"db":"shop","table":"orders"},"op":"%s"}}$j$, order_no, line, item, price, op)
$f$;

-- Added while the pipeline runs: created at its first change.
CREATE TABLE t22_other (id int PRIMARY KEY);
SELECT cdc_test.create_topic('t22', 1);
SELECT cdc_sync.create_pipeline('t22', cdc_test.brokers(), ARRAY['t22']);
SELECT cdc_sync.add_sync_table('t22', 'shop.other', 't22_other');
SELECT cdc_sync.start_pipeline('t22');
SELECT ok(cdc_sync.wait_for_catchup('t22', '60 s'), 'running before the sync table is added');
SELECT lives_ok($$SELECT cdc_sync.add_sync_table('t22', 'shop.orders', 't22_orders')$$, 'a missing target is accepted');
SELECT is((SELECT target FROM cdc_sync.table_stats WHERE pipeline = 't22' AND source = 'shop.orders'), 'public.t22_orders',
          'table_stats names the table to create');
SELECT cdc_test.produce('t22', $$SELECT * FROM pg_temp.dbz_order(1, 1, 'apple', 'AKg=') UNION ALL
                                SELECT * FROM pg_temp.dbz_order(1, 2, 'pear', 'AQ==') UNION ALL
                                SELECT * FROM pg_temp.dbz_order(1, 1, 'apple', 'AKk=', 'u')$$);
SELECT ok(cdc_sync.wait_for_catchup('t22', '60 s'), 'caught up');
SELECT is(cdc_test.columns('t22_orders'),
          'order_no integer, line smallint, item character varying(20), price numeric(8,2), placed timestamp(3) without time zone',
          'created with the source''s columns in order and the types the schema declares');
SELECT is(cdc_test.primary_key('t22_orders'), 'order_no, line', 'keyed by the message key');
SELECT results_eq('SELECT order_no, line, item, price, placed FROM t22_orders ORDER BY 1, 2',
                  $$VALUES (1, 1::smallint, 'apple'::varchar, 1.69::numeric, '2024-05-01 10:00:00.123'::timestamp),
                           (1, 2::smallint, 'pear'::varchar, 0.01::numeric, '2024-05-01 10:00:00.123'::timestamp)$$,
                  'every change of the first batch applied, the update last');
SELECT is((SELECT tableowner FROM pg_tables WHERE tablename = 't22_orders'), current_user::name, 'owned by the pipeline owner');
SELECT matches((SELECT ddl FROM cdc_sync.schema_history WHERE pipeline = 't22' AND source = 'shop.orders'),
               '^CREATE TABLE public.t22_orders \(order_no integer, line smallint, .*PRIMARY KEY \(order_no, line\)\)$',
               'the CREATE TABLE is in schema_history');
SELECT is((SELECT count(*) FROM t22_other), 0::bigint, 'the other sync table is untouched');

-- Canal: mysqlType's types and pkNames' key, in another schema; a key given to add_sync_table wins.
CREATE SCHEMA t22_mirror;
SELECT cdc_test.create_topic('t22c', 1);
SELECT cdc_sync.create_pipeline('t22c', cdc_test.brokers(), ARRAY['t22c'], 'canal');
SELECT cdc_sync.add_sync_table('t22c', 'shop.items', 't22_mirror.items');
SELECT cdc_sync.add_sync_table('t22c', 'shop.logs', 't22_mirror.logs', ARRAY['ts', 'host']);
SELECT cdc_test.produce('t22c', $$VALUES
  (0, NULL::text, '{"data":[{"sku":"A-1","qty":"3","price":"2.50"}],"database":"shop","table":"items","isDdl":false,"pkNames":["sku"],"type":"INSERT","mysqlType":{"sku":"char(8)","qty":"int unsigned","price":"decimal(6,2)"}}'),
  (0, NULL, jsonb_build_object('data', '[{"ts": "2024-05-01 10:00:00", "host": "h1", "msg": "up"}]'::jsonb, 'database', 'shop', 'table', 'logs',
     'isDdl', false, 'pkNames', NULL, 'type', 'INSERT',
     'mysqlType', '{"ts": "datetime(3)", "host": "varchar(64)", "msg": "text"}'::jsonb)::text)$$);
SELECT cdc_sync.start_pipeline('t22c');
SELECT ok(cdc_sync.wait_for_catchup('t22c', '60 s'), 'canal: caught up');
SELECT is(cdc_test.columns('t22_mirror.items') || ' | key ' || cdc_test.primary_key('t22_mirror.items'),
          'sku character(8), qty bigint, price numeric(6,2) | key sku', 'canal: mysqlType and pkNames');
SELECT is(cdc_test.primary_key('t22_mirror.logs'), 'ts, host', 'the sync table''s key wins');

-- AWS DMS: the create-table control record's table definition (IncludeControlDetails) gives the
-- types and the key of a target created at the table's first load record.
SELECT cdc_test.create_topic('t22d', 1);
SELECT cdc_sync.create_pipeline('t22d', cdc_test.brokers(), ARRAY['t22d'], 'dms');
SELECT cdc_sync.add_sync_table('t22d', 'HR.EMP', 't22_dms_emp');
SELECT cdc_test.produce('t22d', $$VALUES
  (0, NULL::text, '{"control": {"table-def": {"columns": {"EMP_ID": {"type": "INT32", "nullable": false}, "NAME": {"type": "STRING", "length": 40, "nullable": true}, "SALARY": {"type": "NUMERIC", "precision": 9, "scale": 2, "nullable": true}, "HIRED": {"type": "TIMESTAMP", "nullable": true}}, "primary-key": ["EMP_ID"]}}, "metadata": {"timestamp": "2025-06-10T11:28:47.195247Z", "record-type": "control", "operation": "create-table", "partition-key-type": "task-id", "schema-name": "HR", "table-name": "EMP"}}'),
  (0, NULL, '{"data": {"EMP_ID": 7, "NAME": "Ada", "SALARY": 1234.50, "HIRED": "2024-05-01 10:00:00.123456"}, "metadata": {"timestamp": "2025-06-10T11:28:48Z", "record-type": "data", "operation": "load", "partition-key-type": "primary-key", "schema-name": "HR", "table-name": "EMP"}}')$$);
SELECT cdc_sync.start_pipeline('t22d');
SELECT ok(cdc_sync.wait_for_catchup('t22d', '60 s'), 'dms: caught up');
SELECT is(cdc_test.columns('t22_dms_emp') || ' | key ' || cdc_test.primary_key('t22_dms_emp'),
          'EMP_ID integer, NAME character varying(40), SALARY numeric(9,2), HIRED timestamp(6) without time zone | key EMP_ID',
          'dms: the table definition''s types and primary key');

-- What cannot be created is refused at once.
SELECT throws_like($$SELECT cdc_sync.add_sync_table('t22', 'shop.x', 't22_nope', options => '{"auto_create": false}')$$,
                   '%target table "t22_nope" does not exist%', 'auto_create off: a missing target is an error');
SELECT throws_like($$SELECT cdc_sync.add_sync_table('t22', 'shop.y', 'no_such_schema.t')$$,
                   '%schema "no_such_schema" of target "no_such_schema.t" does not exist%', 'a missing schema is an error');
SELECT results_eq($$SELECT state, last_error FROM cdc_sync.status WHERE pipeline IN ('t22', 't22c') ORDER BY pipeline$$,
                  $$VALUES ('running'::text, NULL::text), ('running', NULL)$$, 'both pipelines run');

SELECT cdc_sync.drop_pipeline(p) FROM unnest(ARRAY['t22', 't22c', 't22d']) p;
SELECT * FROM finish();
