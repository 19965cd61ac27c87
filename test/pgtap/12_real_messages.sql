-- Messages as other projects really write them (Flink, Flink CDC, Debezium's documentation, AWS
-- DMS, Maxwell): keys of every type with an equality, no silent guess at base64 decimals, Canal
-- INIT, decimals as JSON numbers, messages that name no table, case-insensitive field names and
-- unmatched fields, DMS before images under a prefix, bad messages whatever follows them, truncate
-- counts, truncated JSON.
\set ON_ERROR_STOP 1
SELECT plan(36);

-- A Debezium event (payload only) for source s.<tbl>.
CREATE FUNCTION pg_temp.dbz(op text, after jsonb, before jsonb DEFAULT NULL, tbl text DEFAULT 't') RETURNS text
LANGUAGE sql AS $$ SELECT cdc_test.dbz(op, after, before, 's', tbl) $$;

-- Produces (n, value) rows in order to partition 0 of `topic`, without keys.
CREATE FUNCTION pg_temp.send(topic text, msgs text) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.produce(topic, format('SELECT 0, NULL::text, v FROM (%s) m(n, v) ORDER BY n', msgs))
$$;

-- 1. Keys of type varchar (text's operators by binary coercion) and of a domain over int.
CREATE DOMAIN t12_posint AS int CHECK (VALUE > 0);
CREATE TABLE t12_vc (id varchar(64) PRIMARY KEY, v text);
CREATE TABLE t12_dom (id t12_posint PRIMARY KEY, v text);
SELECT cdc_test.create_topic('t12_keys', 1);
SELECT pg_temp.send('t12_keys', $$VALUES
    (1, pg_temp.dbz('c', '{"id": "a-1", "v": "one"}', NULL, 'vc')),
    (2, pg_temp.dbz('c', '{"id": "b-2", "v": "two"}', NULL, 'vc')),
    (3, pg_temp.dbz('u', '{"id": "a-1", "v": "one!"}', '{"id": "a-1"}', 'vc')),
    (4, pg_temp.dbz('d', NULL, '{"id": "b-2"}', 'vc')),
    (5, pg_temp.dbz('c', '{"id": 7, "v": "seven"}', NULL, 'dom')),
    (6, pg_temp.dbz('u', '{"id": 7, "v": "seven!"}', '{"id": 7}', 'dom'))$$);
SELECT cdc_sync.create_pipeline('t12k', cdc_test.brokers(), ARRAY['t12_keys']);
SELECT lives_ok($$SELECT cdc_sync.add_sync_table('t12k', 's\.vc', 't12_vc')$$, 'a varchar(64) key is accepted');
SELECT lives_ok($$SELECT cdc_sync.add_sync_table('t12k', 's\.dom', 't12_dom')$$, 'a key of a domain over int is accepted');
SELECT cdc_sync.start_pipeline('t12k');
SELECT ok(cdc_sync.wait_for_catchup('t12k', '60 s'), 'keys: caught up');
SELECT results_eq('SELECT id, v FROM t12_vc', $$VALUES ('a-1'::varchar, 'one!')$$, 'varchar key: updated and deleted by key');
SELECT results_eq('SELECT id::int, v FROM t12_dom', $$VALUES (7, 'seven!')$$, 'domain key: updated by key');

-- 2. Without a schema, a base64-looking string is not guessed to be a decimal unless declared.
CREATE TABLE t12_num (id int PRIMARY KEY, qty int, price numeric(10,2), code bigint);
CREATE TABLE t12_num_precise (LIKE t12_num INCLUDING ALL);
SELECT cdc_test.create_topic('t12_num', 1);
SELECT pg_temp.send('t12_num', $$VALUES
    (0, pg_temp.dbz('c', '{"id": 1, "qty": "abcd"}')),
    (1, pg_temp.dbz('c', '{"id": 2, "price": "Zm9v"}')),
    (2, pg_temp.dbz('c', '{"id": 3, "code": "TEST"}')),
    (3, pg_temp.dbz('c', '{"id": 4, "qty": "42", "price": "1.50", "code": 9}'))$$);
SELECT cdc_sync.create_pipeline('t12n', cdc_test.brokers(), ARRAY['t12_num'], 'debezium', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t12n', 's\.t', 't12_num');
SELECT cdc_sync.create_pipeline('t12np', cdc_test.brokers(), ARRAY['t12_num'], 'debezium',
                                '{"on_error": "dead_letter", "decimal_handling_mode": "precise"}');
SELECT cdc_sync.add_sync_table('t12np', 's\.t', 't12_num_precise');
SELECT cdc_sync.start_pipeline('t12n');
SELECT cdc_sync.start_pipeline('t12np');
SELECT ok(cdc_sync.wait_for_catchup('t12n', '60 s') AND cdc_sync.wait_for_catchup('t12np', '60 s'), 'decimals: caught up');
SELECT results_eq('SELECT id, qty, price, code FROM t12_num', 'VALUES (4, 42, 1.50::numeric(10,2), 9::bigint)',
                  'default: no base64 string lands as a number');
SELECT results_eq($$SELECT "offset" FROM cdc_sync.dead_letters WHERE pipeline = 't12n' ORDER BY 1$$,
                  'VALUES (0::bigint), (1), (2)', 'default: the three base64-looking values are dead letters');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't12n' AND "offset" = 1),
               'value "Zm9v" of column "price".*base64.*decimal_handling_mode',
               'the error says what the value looks like and which option declares it');
SELECT results_eq('SELECT id, price FROM t12_num_precise WHERE id = 2', 'VALUES (2, 67131.99::numeric(10,2))',
                  'decimal_handling_mode precise: base64 decoded as before');

-- 3. Canal INIT (Flink's canal-json snapshot rows) is an insert. 5. Messages that name no table
-- take the topic's source from topic_sources, in every format.
CREATE TABLE t12_orders (id int PRIMARY KEY, item text);
CREATE TABLE t12_orders_mx (LIKE t12_orders INCLUDING ALL);
CREATE TABLE t12_orders_dbz (LIKE t12_orders INCLUDING ALL);
SELECT cdc_test.create_topic('t12_canal', 1);
SELECT cdc_test.create_topic('t12_maxwell', 1);
SELECT cdc_test.create_topic('t12_dbz', 1);
SELECT pg_temp.send('t12_canal', $$VALUES
    (0, '{"data": [{"id": "1", "item": "a"}], "database": "shop", "table": "orders", "type": "INIT", "isDdl": false}'),
    (1, '{"data": [{"id": "2", "item": "b"}], "type": "INSERT", "isDdl": false}'),
    (2, '{"data": [{"id": "1", "item": "a2"}], "old": [{"item": "a"}], "type": "UPDATE"}')$$);
SELECT pg_temp.send('t12_maxwell', $$VALUES
    (0, '{"type": "insert", "data": {"id": 1, "item": "m"}}'),
    (1, '{"type": "update", "data": {"id": 1, "item": "m2"}, "old": {"item": "m"}}')$$);
SELECT pg_temp.send('t12_dbz', $$VALUES
    (0, '{"before": null, "after": {"id": 5, "item": "d"}, "op": "c"}')$$);
SELECT cdc_sync.create_pipeline('t12c', cdc_test.brokers(), ARRAY['t12_canal'], 'canal',
                                '{"topic_sources": {"t12_canal": "shop.orders"}}');
SELECT cdc_sync.add_sync_table('t12c', 'shop\.orders', 't12_orders');
SELECT cdc_sync.create_pipeline('t12m', cdc_test.brokers(), ARRAY['t12_maxwell'], 'maxwell',
                                '{"topic_sources": {"t12_maxwell": "shop.orders"}}');
SELECT cdc_sync.add_sync_table('t12m', 'shop\.orders', 't12_orders_mx');
SELECT cdc_sync.create_pipeline('t12d', cdc_test.brokers(), ARRAY['t12_dbz'], 'debezium',
                                '{"topic_sources": {"t12_dbz": "shop.orders"}}');
SELECT cdc_sync.add_sync_table('t12d', 'shop\.orders', 't12_orders_dbz');
SELECT cdc_sync.start_pipeline('t12c');
SELECT cdc_sync.start_pipeline('t12m');
SELECT cdc_sync.start_pipeline('t12d');
SELECT ok(cdc_sync.wait_for_catchup('t12c', '60 s') AND cdc_sync.wait_for_catchup('t12m', '60 s')
          AND cdc_sync.wait_for_catchup('t12d', '60 s'), 'unnamed tables: caught up');
SELECT results_eq('SELECT id, item FROM t12_orders ORDER BY id', $$VALUES (1, 'a2'), (2, 'b')$$,
                  'canal: INIT inserted; rows without database/table routed by topic_sources');
SELECT results_eq('SELECT id, item FROM t12_orders_mx', $$VALUES (1, 'm2')$$, 'maxwell without database/table: routed');
SELECT results_eq('SELECT id, item FROM t12_orders_dbz', $$VALUES (5, 'd')$$, 'debezium without source: routed');
SELECT results_eq($$SELECT sum(messages_dead_lettered + messages_skipped)::bigint FROM cdc_sync.status
                    WHERE pipeline IN ('t12c', 't12m', 't12d')$$, 'VALUES (0::bigint)', 'nothing refused or skipped');

-- 4. Debezium's schema envelope with decimals as JSON numbers (JsonConverter decimal.format=NUMERIC).
CREATE TABLE t12_dec (id int PRIMARY KEY, amount numeric);
SELECT cdc_test.create_topic('t12_dec', 1);
CREATE FUNCTION pg_temp.numeric_event(id int, amount text) RETURNS text LANGUAGE sql AS $$
    SELECT format('{"schema": {"type": "struct", "name": "s.t.Envelope", "fields": [
        {"type": "struct", "optional": true, "field": "after", "fields": [
            {"type": "int32", "optional": false, "field": "id"},
            {"type": "bytes", "optional": true, "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
             "parameters": {"scale": "3", "connect.decimal.precision": "36"}, "field": "amount"}]},
        {"type": "string", "optional": false, "field": "op"}]},
      "payload": {"before": null, "after": {"id": %s, "amount": %s}, "op": "c", "source": {"db": "s", "table": "t"}}}',
      id, amount)
$$;
SELECT pg_temp.send('t12_dec', $$VALUES
    (0, pg_temp.numeric_event(1, '1.1')),
    (1, pg_temp.numeric_event(2, '123456789876543212345678987654321.110')),
    (2, pg_temp.numeric_event(3, '-5'))$$);
SELECT cdc_sync.create_pipeline('t12e', cdc_test.brokers(), ARRAY['t12_dec']);
SELECT cdc_sync.add_sync_table('t12e', 's\.t', 't12_dec');
SELECT cdc_sync.start_pipeline('t12e');
SELECT ok(cdc_sync.wait_for_catchup('t12e', '60 s'), 'numeric decimals: caught up');
SELECT results_eq('SELECT id, amount::text FROM t12_dec ORDER BY id',
                  $$VALUES (1, '1.100'), (2, '123456789876543212345678987654321.110'), (3, '-5.000')$$,
                  'Decimal as a JSON number: exact, at the schema''s scale');
SELECT is((SELECT state FROM cdc_sync.pipelines WHERE name = 't12e'), 'running', 'numeric decimals: pipeline running');

-- 7. DMS from Oracle writes upper-case names: matched case-insensitively when unambiguous;
-- fields matching no column are counted and named. 8. Before images under a prefix (BI_).
CREATE TABLE t12_dms (id int PRIMARY KEY, region text, "Note" text, note text);
SELECT cdc_test.create_topic('t12_dms', 1);
CREATE FUNCTION pg_temp.dms(op text, data jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT jsonb_build_object('data', data, 'metadata', jsonb_build_object('record-type', 'data', 'operation', op,
        'schema-name', 'HR', 'table-name', 'T', 'timestamp', '2024-05-01T12:00:00.000000Z'))::text
$$;
SELECT pg_temp.send('t12_dms', $$VALUES
    (0, pg_temp.dms('insert', '{"ID": 1, "REGION": "EU", "NOTE": "x", "EXTRA": 1}')),
    (1, pg_temp.dms('insert', '{"ID": 2, "REGION": "US", "EXTRA": 2, "OTHER": 3}')),
    (2, pg_temp.dms('update', '{"ID": 3, "REGION": "EU", "BI_ID": 1, "BI_REGION": "EU"}'))$$);
SELECT cdc_sync.create_pipeline('t12dms', cdc_test.brokers(), ARRAY['t12_dms'], 'dms');
SELECT cdc_sync.add_sync_table('t12dms', 'HR\.T', 't12_dms', options => '{"schema_changes": "ignore"}');
SELECT cdc_sync.start_pipeline('t12dms');
SELECT ok(cdc_sync.wait_for_catchup('t12dms', '60 s'), 'dms: caught up');
SELECT results_eq('SELECT id, region, "Note", note FROM t12_dms ORDER BY id',
                  $$VALUES (2, 'US', NULL::text, NULL::text), (3, 'EU', NULL, NULL)$$,
                  'ID and REGION land in id and region; NOTE fits two columns and lands in neither; BI_ID 1 -> 3 moved the row');
SELECT results_eq($$SELECT values_unmatched, unmatched_fields FROM cdc_sync.table_stats WHERE pipeline = 't12dms'$$,
                  $$VALUES (4::bigint, '{EXTRA,NOTE,OTHER}'::text[])$$,
                  'unmatched fields are counted and named in table_stats');

-- 9. A bad message is reported whatever follows it in its batch, under both policies.
CREATE TABLE t12_bad (id int PRIMARY KEY, d date, v text);
CREATE TABLE t12_bad_one (LIKE t12_bad INCLUDING ALL);
CREATE TABLE t12_bad_fail (LIKE t12_bad INCLUDING ALL);
SELECT cdc_test.create_topic('t12_bad', 1);
SELECT pg_temp.send('t12_bad', $$VALUES
    (0, pg_temp.dbz('c', '{"id": 1, "d": "2020-01-01", "v": "a"}')),
    (1, pg_temp.dbz('u', '{"id": 1, "d": "2020-13-45", "v": "b"}', '{"id": 1}')),
    (2, pg_temp.dbz('u', '{"id": 1, "d": "2020-02-02", "v": "c"}', '{"id": 1}')),
    (3, pg_temp.dbz('c', '{"id": 2, "d": "2021-99-01", "v": "x"}')),
    (4, pg_temp.dbz('d', NULL, '{"id": 2}'))$$);
SELECT cdc_sync.create_pipeline('t12b', cdc_test.brokers(), ARRAY['t12_bad'], 'debezium', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t12b', 's\.t', 't12_bad');
SELECT cdc_sync.create_pipeline('t12b1', cdc_test.brokers(), ARRAY['t12_bad'], 'debezium',
                                '{"on_error": "dead_letter", "batch_max_rows": 1}');
SELECT cdc_sync.add_sync_table('t12b1', 's\.t', 't12_bad_one');
SELECT cdc_sync.create_pipeline('t12bf', cdc_test.brokers(), ARRAY['t12_bad'], 'debezium');
SELECT cdc_sync.add_sync_table('t12bf', 's\.t', 't12_bad_fail');
SELECT cdc_sync.start_pipeline('t12b');
SELECT cdc_sync.start_pipeline('t12b1');
SELECT cdc_sync.start_pipeline('t12bf');
SELECT ok(cdc_sync.wait_for_catchup('t12b', '60 s') AND cdc_sync.wait_for_catchup('t12b1', '60 s'),
          'superseded bad messages: caught up');
SELECT results_eq($$SELECT pipeline, "offset" FROM cdc_sync.dead_letters WHERE pipeline IN ('t12b', 't12b1')
                    ORDER BY 1, 2$$,
                  $$VALUES ('t12b', 1::bigint), ('t12b', 3), ('t12b1', 1), ('t12b1', 3)$$,
                  'the same dead letters in one batch of five as in batches of one, superseded or not');
SELECT results_eq('SELECT id, d, v FROM t12_bad', $$VALUES (1, '2020-02-02'::date, 'c')$$, 'one batch: final row');
SELECT set_eq('TABLE t12_bad', 'TABLE t12_bad_one', 'batches of one end in the same table');
SELECT ok(cdc_test.wait_until($$SELECT state = 'failed' FROM cdc_sync.pipelines WHERE name = 't12bf'$$),
          'on_error fail: the pipeline fails on the superseded bad message');
SELECT matches((SELECT last_error FROM cdc_sync.pipelines WHERE name = 't12bf'),
               '^bad message at t12_bad\[0\]@1: .*"2020-13-45"', 'last_error names the Kafka message and the value');
SELECT ok((SELECT next_offset <= 1 FROM cdc_sync.offsets WHERE pipeline = 't12bf'),
          'on_error fail: no offset advanced past the bad message');

-- 10. Truncates are counted; truncated JSON says where the document ends.
CREATE TABLE t12_tr (id int PRIMARY KEY);
SELECT cdc_test.create_topic('t12_tr', 1);
SELECT pg_temp.send('t12_tr', $$VALUES
    (0, pg_temp.dbz('c', '{"id": 1}')),
    (1, '{"op": "t", "source": {"db": "s", "table": "t"}}'),
    (2, pg_temp.dbz('c', '{"id": 2}')),
    (3, '{"before": null, "after": {"id": 3'),
    (4, '{"op": "t", "source": {"db": "s", "table": "t"}}'),
    (5, pg_temp.dbz('c', '{"id": 4}')),
    (6, '{"op": "t"}')$$);
SELECT cdc_sync.create_pipeline('t12t', cdc_test.brokers(), ARRAY['t12_tr'], 'debezium',
                                '{"on_error": "dead_letter", "batch_max_rows": 3}');
SELECT cdc_sync.add_sync_table('t12t', 's\.t', 't12_tr');
SELECT cdc_sync.start_pipeline('t12t');
SELECT ok(cdc_sync.wait_for_catchup('t12t', '60 s'), 'truncates: caught up');
SELECT results_eq('SELECT id FROM t12_tr', 'VALUES (4)', 'the rows after the last truncate');
SELECT results_eq($$SELECT truncates, rows_deleted FROM cdc_sync.status WHERE pipeline = 't12t'$$,
                  'VALUES (2::bigint, 0::bigint)', 'status counts both truncates');
SELECT results_eq($$SELECT truncates FROM cdc_sync.table_stats WHERE pipeline = 't12t'$$,
                  'VALUES (2::bigint)', 'table_stats counts them per table');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't12t' AND "offset" = 6),
               'a truncate that names no table is not applied', 'a truncate that names no table is a bad message');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't12t' AND "offset" = 3),
               'ends early \(truncated\?\) after 34 bytes', 'truncated JSON: the error says where the document ends');
SELECT doesnt_match((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't12t' AND "offset" = 3), 'at byte 0',
                    'truncated JSON: not "at byte 0"');

SELECT cdc_sync.drop_pipeline(name) FROM cdc_sync.pipelines WHERE name LIKE 't12%';
DROP TABLE t12_dom;
DROP DOMAIN t12_posint;
SELECT is((SELECT count(*) FROM cdc_sync.pipelines WHERE name LIKE 't12%'), 0::bigint, 'pipelines dropped');

SELECT * FROM finish();
