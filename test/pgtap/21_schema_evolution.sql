-- Source columns new to a target (schema_changes): 'evolve' (the default) adds them with the type
-- the message declares (Debezium's schema envelope, with or without propagated source types;
-- Canal's mysqlType) or else the value's, records each in schema_history and applies their values
-- from the first message on; 'ignore' counts them; 'fail' stops the pipeline naming the field.
\set ON_ERROR_STOP 1
SELECT plan(26);

-- Debezium without a schema: types read off the values.
CREATE TABLE t21 (id int PRIMARY KEY, a text);
SELECT cdc_test.create_topic('t21', 1);
SELECT cdc_sync.create_pipeline('t21', cdc_test.brokers(), ARRAY['t21']);
SELECT cdc_sync.add_sync_table('t21', 's.t', 't21');
SELECT cdc_test.produce('t21', $$VALUES
    (0, NULL, cdc_test.dbz('c', '{"id": 1, "a": "x", "n": 5, "f": 1.5, "flag": true, "doc": {"k": 1}, "z": null}')),
    (0, NULL, cdc_test.dbz('c', '{"id": 2, "a": "y", "n": 6, "s": "str"}'))$$);
SELECT cdc_sync.start_pipeline('t21');
SELECT ok(cdc_sync.wait_for_catchup('t21', '60 s'), 'caught up');
SELECT is(cdc_test.columns('t21'), 'id integer, a text, f numeric, n bigint, doc jsonb, flag boolean, s text',
          'new columns added in message order (jsonb''s here) with types read off the values; z (only null so far) waits');
SELECT results_eq('SELECT id, n, f, flag, doc, s FROM t21 ORDER BY id',
                  $$VALUES (1, 5::bigint, 1.5::numeric, true, '{"k": 1}'::jsonb, NULL::text), (2, 6, NULL, NULL, NULL, 'str')$$,
                  'the values of the batch that brought them are applied');
SELECT results_eq($$SELECT ddl, topic, partition, "offset" FROM cdc_sync.schema_history WHERE pipeline = 't21' ORDER BY id$$,
                  $$VALUES ('ALTER TABLE public.t21 ADD COLUMN IF NOT EXISTS f numeric', 't21', 0, 0::bigint),
                           ('ALTER TABLE public.t21 ADD COLUMN IF NOT EXISTS n bigint', 't21', 0, 0),
                           ('ALTER TABLE public.t21 ADD COLUMN IF NOT EXISTS doc jsonb', 't21', 0, 0),
                           ('ALTER TABLE public.t21 ADD COLUMN IF NOT EXISTS flag boolean', 't21', 0, 0),
                           ('ALTER TABLE public.t21 ADD COLUMN IF NOT EXISTS s text', 't21', 0, 1)$$,
                  'each change is in schema_history with the message that brought it');
SELECT cdc_test.produce('t21', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 3, "z": "now"}')$$);
SELECT ok(cdc_sync.wait_for_catchup('t21', '60 s'), 'caught up again');
SELECT is((SELECT z FROM t21 WHERE id = 3), 'now', 'a column seen as null is added with its first value');
SELECT is((SELECT values_unmatched FROM cdc_sync.table_stats WHERE pipeline = 't21'), 1::bigint,
          'only the null of z that came before its column was left out (the row holds NULL there)');

-- Debezium's schema envelope: the Connect types, and the MySQL types when the connector
-- propagates them (column.propagate.source.type).
CREATE TABLE t21s (id int PRIMARY KEY);
SELECT cdc_test.create_topic('t21s', 1);
SELECT cdc_sync.create_pipeline('t21s', cdc_test.brokers(), ARRAY['t21s']);
SELECT cdc_sync.add_sync_table('t21s', 's.t', 't21s');
SELECT cdc_test.produce('t21s', $q$SELECT 0, NULL, $j${"schema":{"type":"struct","name":"s.t.Envelope","optional":false,"fields":[
  {"type":"struct","optional":true,"field":"before","fields":[]},
  {"type":"struct","optional":true,"field":"after","fields":[
    {"type":"int32","optional":false,"field":"id"},
    {"type":"string","optional":true,"field":"note","parameters":{"__debezium.source.column.type":"VARCHAR","__debezium.source.column.length":"40"}},
    {"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"field":"price","parameters":{"scale":"2","connect.decimal.precision":"10"}},
    {"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"at"},
    {"type":"int32","optional":true,"field":"qty","parameters":{"__debezium.source.column.type":"INT UNSIGNED","__debezium.source.column.length":"10"}},
    {"type":"string","optional":true,"field":"tag"}]},
  {"type":"struct","optional":false,"field":"source","fields":[{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"table"}]},
  {"type":"string","optional":false,"field":"op"}]},
 "payload":{"before":null,"after":{"id":1,"note":"n","price":"AKg=","at":1714557600123456,"qty":7,"tag":null},
            "source":{"db":"s","table":"t"},"op":"c"}}$j$$q$);
SELECT cdc_sync.start_pipeline('t21s');
SELECT ok(cdc_sync.wait_for_catchup('t21s', '60 s'), 'schema envelope: caught up');
SELECT is(cdc_test.columns('t21s'),
          'id integer, note character varying(40), price numeric(10,2), at timestamp(6) without time zone, qty bigint, tag text',
          'types from the schema: the MySQL type where propagated, else the Connect type (a null value too)');
SELECT results_eq('SELECT id, note, price, at, qty FROM t21s',
                  $$VALUES (1, 'n'::varchar, 1.68::numeric, '2024-05-01 10:00:00.123456'::timestamp, 7::bigint)$$,
                  'with their values');

-- The connector's schema changes (VARCHAR(40) -> VARCHAR(80)): the column is widened.
SELECT cdc_test.produce('t21s', $q$SELECT 0, NULL, $j${"schema":{"type":"struct","name":"s.t.Envelope","optional":false,"fields":[
  {"type":"struct","optional":true,"field":"before","fields":[]},
  {"type":"struct","optional":true,"field":"after","fields":[
    {"type":"int32","optional":false,"field":"id"},
    {"type":"string","optional":true,"field":"note","parameters":{"__debezium.source.column.type":"VARCHAR","__debezium.source.column.length":"80"}}]},
  {"type":"struct","optional":false,"field":"source","fields":[{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"table"}]},
  {"type":"string","optional":false,"field":"op"}]},
 "payload":{"before":null,"after":{"id":2,"note":"0123456789012345678901234567890123456789-and-more"},
            "source":{"db":"s","table":"t"},"op":"c"}}$j$$q$);
SELECT ok(cdc_sync.wait_for_catchup('t21s', '60 s'), 'schema envelope: caught up after VARCHAR(80)');
SELECT is((SELECT format_type(atttypid, atttypmod) || ' | ' || (SELECT note FROM t21s WHERE id = 2)
           FROM pg_attribute WHERE attrelid = 't21s'::regclass AND attname = 'note'),
          'character varying(80) | 0123456789012345678901234567890123456789-and-more', 'note widened, the long value applied');

-- Canal: mysqlType.
CREATE TABLE t21c (id int PRIMARY KEY);
SELECT cdc_test.create_topic('t21c', 1);
SELECT cdc_sync.create_pipeline('t21c', cdc_test.brokers(), ARRAY['t21c'], 'canal');
SELECT cdc_sync.add_sync_table('t21c', 'shop.orders', 't21c');
SELECT cdc_test.produce('t21c', $$SELECT 0, NULL, jsonb_build_object('data', '[{"id": "1", "item": "a", "qty": "10", "created": "2024-05-01 10:00:00", "big": "18446744073709551615"}]'::jsonb,
    'database', 'shop', 'table', 'orders', 'isDdl', false, 'pkNames', '["id"]'::jsonb, 'type', 'INSERT', 'old', NULL,
    'mysqlType', '{"id": "int", "item": "varchar(32)", "qty": "smallint unsigned", "created": "datetime", "big": "bigint(20) unsigned"}'::jsonb)::text$$);
SELECT cdc_sync.start_pipeline('t21c');
SELECT ok(cdc_sync.wait_for_catchup('t21c', '60 s'), 'canal: caught up');
SELECT is(cdc_test.columns('t21c'),
          'id integer, big numeric(20,0), qty integer, item character varying(32), created timestamp(0) without time zone',
          'types from mysqlType (columns in jsonb''s order of the data here)');
SELECT results_eq('SELECT item, qty, created, big FROM t21c',
                  $$VALUES ('a'::varchar, 10, '2024-05-01 10:00:00'::timestamp, 18446744073709551615::numeric)$$, 'with their values');

-- A wider type declared for an existing column widens it (Canal: varchar(32) -> varchar(64),
-- decimal(8,2) -> decimal(12,4)); a narrower one changes nothing.
SELECT cdc_test.produce('t21c', $$SELECT 0, NULL, jsonb_build_object('data', jsonb_build_array(jsonb_build_object(
        'id', '2', 'item', repeat('w', 50), 'qty', '1', 'created', '2024-05-02 10:00:00', 'big', '1', 'price', '1234.5678')),
    'database', 'shop', 'table', 'orders', 'isDdl', false, 'pkNames', '["id"]'::jsonb, 'type', 'INSERT', 'old', NULL,
    'mysqlType', '{"id": "int", "item": "varchar(64)", "qty": "tinyint", "created": "datetime", "big": "bigint(20) unsigned", "price": "decimal(12,4)"}'::jsonb)::text$$);
SELECT ok(cdc_sync.wait_for_catchup('t21c', '60 s'), 'canal: caught up after a wider declaration');
SELECT is(cdc_test.columns('t21c'),
          'id integer, big numeric(20,0), qty integer, item character varying(64), created timestamp(0) without time zone, price numeric(12,4)',
          'varchar(32) widened to varchar(64); tinyint (narrower than the column) changed nothing; price added');
SELECT is((SELECT item FROM t21c WHERE id = 2), repeat('w', 50)::varchar, 'and the long value is applied');
SELECT is((SELECT count(*) FROM cdc_sync.schema_history WHERE pipeline = 't21c' AND ddl LIKE '%ALTER COLUMN item TYPE character varying(64)'),
          1::bigint, 'the widening is in schema_history');

-- ignore and fail.
CREATE TABLE t21i (id int PRIMARY KEY, a text);
CREATE TABLE t21f (id int PRIMARY KEY, a text);
SELECT cdc_sync.create_pipeline('t21i', cdc_test.brokers(), ARRAY['t21']);
SELECT cdc_sync.add_sync_table('t21i', 's.t', 't21i', options => '{"schema_changes": "ignore"}');
SELECT cdc_sync.create_pipeline('t21f', cdc_test.brokers(), ARRAY['t21']);
SELECT cdc_sync.add_sync_table('t21f', 's.t', 't21f', options => '{"schema_changes": "fail"}');
SELECT cdc_sync.start_pipeline('t21i');
SELECT cdc_sync.start_pipeline('t21f');
SELECT ok(cdc_sync.wait_for_catchup('t21i', '60 s'), 'ignore: caught up');
SELECT is(cdc_test.columns('t21i') || ' | ' || (SELECT values_unmatched FROM cdc_sync.table_stats WHERE pipeline = 't21i'),
          'id integer, a text | 8', 'ignore: no column added, the values counted');
-- alter_sync_table while running: the next batch evolves.
SELECT cdc_sync.alter_sync_table('t21i', 's.t', '{"schema_changes": "evolve"}');
SELECT cdc_test.produce('t21', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 30, "late": "yes"}')$$);
SELECT ok(cdc_sync.wait_for_catchup('t21i', '60 s'), 'altered to evolve: caught up');
SELECT is((SELECT late FROM t21i WHERE id = 30), 'yes', 'alter_sync_table takes effect in the running pipeline');
SELECT throws_like($$SELECT cdc_sync.wait_for_catchup('t21f', '60 s')$$,
                   '%field "f" of the message at t21[0]@0 has no column in target public.t21f (sync table option schema_changes is ''fail'')%',
                   'fail: the pipeline stops naming the field, the message and the target');

-- An owner that may write the target but does not own it cannot add a column: the pipeline stops
-- and says what to do (no value is dropped silently).
CREATE ROLE t21_writer;
GRANT USAGE ON SCHEMA cdc_sync TO t21_writer;
CREATE TABLE t21w (id int PRIMARY KEY, a text);
GRANT SELECT, INSERT, UPDATE, DELETE ON t21w TO t21_writer;
SELECT cdc_test.brokers() AS brokers \gset
SET ROLE t21_writer;
SELECT cdc_sync.create_pipeline('t21w', :'brokers', ARRAY['t21']);
SELECT cdc_sync.add_sync_table('t21w', 's.t', 't21w');
SELECT cdc_sync.start_pipeline('t21w');
SELECT throws_like($$SELECT cdc_sync.wait_for_catchup('t21w', '60 s')$$,
                   '%changing public.t21w (f numeric, n bigint, %) failed: must be owner of table t21w%pipeline owner must own the target%',
                   'evolve without ownership: the pipeline stops and says why');
RESET ROLE;
SELECT is((SELECT count(*) FROM t21w), 0::bigint, 'and nothing of the batch is applied');
SELECT cdc_sync.drop_pipeline('t21w');
DROP TABLE t21w;
REVOKE USAGE ON SCHEMA cdc_sync FROM t21_writer;
DROP ROLE t21_writer;

SELECT cdc_sync.drop_pipeline(p) FROM unnest(ARRAY['t21', 't21s', 't21c', 't21i', 't21f']) p;
SELECT * FROM finish();
