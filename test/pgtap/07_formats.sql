-- The other formats end to end: Canal, Maxwell, Flink debezium-json, AWS DMS and plain JSON,
-- fed with the real samples of ../shared/cdc-samples where there are some (Flink's canal-json and
-- maxwell-json test data, a Flink CDC pipeline's canal-json output, Paimon's Maxwell schema
-- evolution scenario) and with hand-written messages in each tool's own shape where there are
-- none. Checked: the final tables (against the samples' expected changelogs), DDL and control
-- messages skipped and counted, truncate applied or ignored (option "truncate"), several rows per
-- message (taken whole or not at all), primary-key changes, and topic_sources routing.
\set ON_ERROR_STOP 1
SELECT plan(54);

-- The final rows a Flink changelog (+I/-U/+U/-D lines of "(id,name,description,weight)") leaves.
CREATE FUNCTION pg_temp.changelog_final(path text)
RETURNS TABLE (id int, name text, description text, weight real) LANGUAGE sql AS $$
    SELECT split_part(r, ',', 1)::int, split_part(r, ',', 2), nullif(split_part(r, ',', 3), 'null'),
           split_part(r, ',', 4)::real
    FROM (SELECT substr(line, 4, length(line) - 4) AS r,
                 CASE WHEN left(line, 2) IN ('+I', '+U') THEN 1 ELSE -1 END AS sign
          FROM cdc_test.sample_lines(path)) c
    GROUP BY r HAVING sum(sign) > 0
$$;

-- Produces the JSON lines of a sample file (licence headers skipped), `$databaseName` replaced.
CREATE FUNCTION pg_temp.produce_json_lines(topic text, path text, db text DEFAULT 'app') RETURNS void
LANGUAGE sql AS $$
    SELECT cdc_test.produce(topic, format(
        $q$SELECT 0, NULL::text, replace(line, '$databaseName', %L) FROM cdc_test.sample_lines(%L)
           WHERE line LIKE '{%%' ORDER BY n$q$, db, path))
$$;

-- Hand-written messages, produced per topic in order of n.
CREATE TABLE t07_msgs (topic text, n int, key text, value text);
CREATE FUNCTION pg_temp.produce_msgs(t text) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.produce(t, format('SELECT 0, key, value FROM t07_msgs WHERE topic = %L ORDER BY n', t))
$$;

-- ================================================================================================
-- Canal: Flink's canal-json sample (inventory.products2), then hand-written shop.orders messages.
-- ================================================================================================

-- A Canal flat message of shop.orders as Canal writes it (all values strings).
CREATE FUNCTION pg_temp.canal(type text, data jsonb, old jsonb DEFAULT NULL, sql text DEFAULT '')
RETURNS text LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'data', data, 'database', 'shop', 'es', 1714557600000, 'id', 42,
        'isDdl', type NOT IN ('INSERT', 'UPDATE', 'DELETE'),
        'mysqlType', CASE WHEN data IS NULL THEN NULL ELSE
            '{"id": "int", "item": "varchar(32)", "qty": "int", "created": "datetime"}'::jsonb END,
        'old', old, 'pkNames', CASE WHEN data IS NULL THEN NULL ELSE '["id"]'::jsonb END,
        'sql', sql, 'sqlType', CASE WHEN data IS NULL THEN NULL ELSE
            '{"id": 4, "item": 12, "qty": 4, "created": 93}'::jsonb END,
        'table', 'orders', 'ts', 1714557600123, 'type', type)::text
$$;

INSERT INTO t07_msgs VALUES
  ('t07_canal', 1, NULL, pg_temp.canal('INSERT', '[{"id": "1", "item": "a", "qty": "10", "created": "2024-05-01 10:00:00"},
                                                   {"id": "2", "item": "b", "qty": "20", "created": "2024-05-01 10:00:01"},
                                                   {"id": "3", "item": "c", "qty": "30", "created": "2024-05-01 10:00:02"}]')),
  ('t07_canal', 2, NULL, pg_temp.canal('TRUNCATE', NULL, NULL, 'TRUNCATE TABLE `orders`')),
  ('t07_canal', 3, NULL, pg_temp.canal('INSERT', '[{"id": "11", "item": "a", "qty": "10", "created": "2024-05-01 11:00:00"},
                                                   {"id": "12", "item": "b", "qty": "20", "created": "0000-00-00 00:00:00"},
                                                   {"id": "13", "item": "c", "qty": "30", "created": "2024-05-01 11:00:02"}]')),
  -- primary-key change: 13 becomes 14
  ('t07_canal', 4, NULL, pg_temp.canal('UPDATE', '[{"id": "14", "item": "c2", "qty": "31", "created": "2024-05-01 11:00:02"}]',
                                                 '[{"id": "13", "item": "c", "qty": "30"}]')),
  -- two rows: 11 becomes 15 (key change), 12 gets a new qty
  ('t07_canal', 5, NULL, pg_temp.canal('UPDATE', '[{"id": "15", "item": "a", "qty": "10", "created": "2024-05-01 11:00:00"},
                                                   {"id": "12", "item": "b", "qty": "21", "created": "0000-00-00 00:00:00"}]',
                                                 '[{"id": "11"}, {"qty": "20"}]')),
  -- two rows, the second one bad: the message is a dead letter as a whole
  ('t07_canal', 6, NULL, pg_temp.canal('INSERT', '[{"id": "21", "item": "x", "qty": "1", "created": null},
                                                   {"id": "22", "item": "y", "qty": "not a number", "created": null}]')),
  ('t07_canal', 7, NULL, pg_temp.canal('ALTER', NULL, NULL, 'ALTER TABLE `orders` ADD COLUMN `note` varchar(10)'));

CREATE TABLE t07_canal_products (id int PRIMARY KEY, name text, description text, weight real);
CREATE TABLE t07_canal_orders (id int PRIMARY KEY, item text, qty int, created timestamp);
CREATE TABLE t07_canal_orders_ign (LIKE t07_canal_orders INCLUDING ALL);
SELECT cdc_test.create_topic('t07_canal', 1);
SELECT cdc_test.produce_sample('t07_canal', 'flink-json/canal-data.txt');  -- offsets 0-10
SELECT pg_temp.produce_msgs('t07_canal');                                   -- offsets 11-17

SELECT cdc_sync.create_pipeline('t07c', cdc_test.brokers(), ARRAY['t07_canal'], 'canal', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t07c', 'inventory.products2', 't07_canal_products');
SELECT cdc_sync.add_sync_table('t07c', 'shop.orders', 't07_canal_orders');
SELECT cdc_sync.create_pipeline('t07ci', cdc_test.brokers(), ARRAY['t07_canal'], 'canal',
                                '{"on_error": "dead_letter", "truncate": "ignore"}');
SELECT cdc_sync.add_sync_table('t07ci', 'shop.orders', 't07_canal_orders_ign');
SELECT cdc_sync.start_pipeline('t07c');
SELECT cdc_sync.start_pipeline('t07ci');
SELECT ok(cdc_sync.wait_for_catchup('t07c', '60 s'), 'canal: caught up');
SELECT ok(cdc_sync.wait_for_catchup('t07ci', '60 s'), 'canal (truncate ignore): caught up');

SELECT set_eq('SELECT id, name, description, weight FROM t07_canal_products',
              $$SELECT * FROM pg_temp.changelog_final('flink-json/canal-data.txt.expected.txt')$$,
              'canal sample: the table Flink''s expected changelog ends with');
SELECT results_eq('SELECT id FROM t07_canal_products ORDER BY id', 'VALUES (101), (104), (105), (106), (107), (108), (109), (110)',
                  'canal sample: 102, 103 (multi-row DELETE) and 111 deleted');
SELECT results_eq('SELECT id, weight FROM t07_canal_products WHERE id IN (101, 106, 107) ORDER BY id',
                  'VALUES (101, 5.17::real), (106, 1.0::real), (107, 5.1::real)',
                  'canal sample: the multi-row UPDATE and single updates applied');
SELECT is((SELECT description FROM t07_canal_products WHERE id = 106), '18oz carpenter hammer',
          'canal sample: null description updated');
SELECT results_eq('SELECT id, item, qty, created FROM t07_canal_orders ORDER BY id',
                  $$VALUES (12, 'b', 21, NULL::timestamp), (14, 'c2', 31, '2024-05-01 11:00:02'), (15, 'a', 10, '2024-05-01 11:00:00')$$,
                  'canal: rows before TRUNCATE gone, key changes 13->14 and 11->15 leave exactly the new rows, zero date is NULL');
SELECT results_eq('SELECT id FROM t07_canal_orders_ign ORDER BY id', 'VALUES (1), (2), (3), (12), (14), (15)',
                  'canal, truncate ignore: rows before TRUNCATE kept');
SELECT results_eq($$SELECT messages_consumed, messages_skipped, messages_dead_lettered, state FROM cdc_sync.status
                    WHERE pipeline = 't07c'$$, $$VALUES (18::bigint, 2::bigint, 1::bigint, 'running'::text)$$,
                  'canal status: 18 consumed, the CREATE and ALTER messages skipped, 1 dead letter');
SELECT results_eq($$SELECT messages_consumed, messages_skipped, messages_dead_lettered FROM cdc_sync.status
                    WHERE pipeline = 't07ci'$$, $$VALUES (18::bigint, 13::bigint, 1::bigint)$$,
                  'canal, truncate ignore: 10 products2 messages, CREATE, TRUNCATE and ALTER skipped');
SELECT results_eq($$SELECT "offset" FROM cdc_sync.dead_letters WHERE pipeline = 't07c'$$, 'VALUES (16::bigint)',
                  'canal: the message with a bad row is the dead letter');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't07c'),
               'invalid input syntax for type integer: "not a number".*qty', 'canal: its error names the value and column');
SELECT is((SELECT count(*) FROM t07_canal_orders WHERE id IN (21, 22)), 0::bigint,
          'canal: no row of the bad message applied (taken whole or not at all)');

-- Flink CDC pipeline output in canal-json (two tables, numbers as JSON numbers, full "old" rows).
CREATE TABLE t07_fcdc_customers (id int PRIMARY KEY, name text, address text, phone_number text);
CREATE TABLE t07_fcdc_products (id int PRIMARY KEY, name text, description text, weight real,
                                enum_c text, json_c jsonb, point_c jsonb, new_col int);
SELECT cdc_test.create_topic('t07_canal_fcdc', 1);
SELECT pg_temp.produce_json_lines('t07_canal_fcdc', 'flink-cdc/mysqlToKafka-canal-json.txt', 'app');
SELECT cdc_sync.create_pipeline('t07cf', cdc_test.brokers(), ARRAY['t07_canal_fcdc'], 'canal');
SELECT cdc_sync.add_sync_table('t07cf', 'app\.customers', 't07_fcdc_customers');
SELECT cdc_sync.add_sync_table('t07cf', 'app\.products', 't07_fcdc_products');
SELECT cdc_sync.start_pipeline('t07cf');
SELECT ok(cdc_sync.wait_for_catchup('t07cf', '60 s'), 'flink-cdc canal-json: caught up');
SELECT results_eq('SELECT id, name, address, phone_number FROM t07_fcdc_customers ORDER BY id',
                  $$SELECT i, 'user_' || (i - 100), 'Shanghai', '123567891234' FROM generate_series(101, 104) i$$,
                  'flink-cdc canal-json: customers 101-104');
SELECT results_eq('SELECT id FROM t07_fcdc_products ORDER BY id', 'SELECT generate_series(101, 110)',
                  'flink-cdc canal-json: products 101-110, 111 deleted');
SELECT results_eq('SELECT id, description, weight, new_col FROM t07_fcdc_products WHERE id IN (106, 107, 110) ORDER BY id',
                  $$VALUES (106, '18oz carpenter hammer', 1.0::real, NULL::int), (107, 'box of assorted rocks', 5.1::real, NULL),
                           (110, 'new water resistent white wind breaker', 0.5::real, 1)$$,
                  'flink-cdc canal-json: updates with every column in "old" applied');
SELECT results_eq('SELECT enum_c, json_c, point_c FROM t07_fcdc_products WHERE id = 103',
                  $$VALUES ('red', '{"key3": "value3"}'::jsonb, '{"coordinates": [3, 3], "type": "Point", "srid": 0}'::jsonb)$$,
                  'flink-cdc canal-json: enum, JSON and geometry-as-JSON values');

-- ================================================================================================
-- Maxwell: Flink's maxwell-json sample (test.product), then hand-written shop.orders events.
-- ================================================================================================

-- A Maxwell row event of shop.orders; `pk`: with "primary_key_columns" (--output_primary_key_columns).
CREATE FUNCTION pg_temp.maxwell(type text, data jsonb, old jsonb DEFAULT NULL, pk boolean DEFAULT true)
RETURNS text LANGUAGE sql AS $$
    SELECT (jsonb_build_object('database', 'shop', 'table', 'orders', 'type', type, 'ts', 1714557600,
                               'xid', 8123, 'commit', true, 'data', data)
            || CASE WHEN old IS NULL THEN '{}' ELSE jsonb_build_object('old', old) END
            || CASE WHEN pk THEN '{"primary_key_columns": ["id"]}'::jsonb ELSE '{}' END)::text
$$;

INSERT INTO t07_msgs VALUES
  ('t07_maxwell', 1, NULL, pg_temp.maxwell('insert', '{"id": 1, "item": "a", "qty": 10, "created": "2020-08-06 03:34:43"}')),
  ('t07_maxwell', 2, '{"database":"shop","table":"orders","pk.id":2}',
                       pg_temp.maxwell('insert', '{"id": 2, "item": "b", "qty": 20, "created": "2020-08-06 03:34:44"}', NULL, false)),
  -- key change seen through primary_key_columns: 1 becomes 10
  ('t07_maxwell', 3, NULL, pg_temp.maxwell('update', '{"id": 10, "item": "a", "qty": 10, "created": "2020-08-06 03:34:43"}', '{"id": 1}')),
  -- key change seen through the Kafka key only (Maxwell's default hash key): 2 becomes 20
  ('t07_maxwell', 4, '{"database":"shop","table":"orders","pk.id":20}',
                       pg_temp.maxwell('update', '{"id": 20, "item": "b", "qty": 20, "created": "2020-08-06 03:34:44"}', '{"id": 2}', false)),
  ('t07_maxwell', 5, NULL, pg_temp.maxwell('update', '{"id": 10, "item": "a", "qty": 11, "created": "2020-08-06 03:34:43"}', '{"qty": 10}')),
  ('t07_maxwell', 6, NULL, '{"type":"table-alter","database":"shop","table":"orders","old":{"database":"shop","charset":"utf8mb4","table":"orders","primary-key":["id"],"columns":[{"type":"int","name":"id","signed":true},{"type":"varchar","name":"item","charset":"utf8mb4"},{"type":"int","name":"qty","signed":true},{"type":"datetime","name":"created","column-length":0}]},"def":{"database":"shop","charset":"utf8mb4","table":"orders","primary-key":["id"],"columns":[{"type":"int","name":"id","signed":true},{"type":"varchar","name":"item","charset":"utf8mb4"},{"type":"int","name":"qty","signed":true},{"type":"datetime","name":"created","column-length":0},{"type":"varchar","name":"note","charset":"utf8mb4"}]},"ts":1714557700000,"sql":"ALTER TABLE orders ADD COLUMN note varchar(10)"}'),
  ('t07_maxwell', 7, NULL, '{"database":"shop","table":"orders","type":"bootstrap-start","ts":1714557800,"data":{}}'),
  ('t07_maxwell', 8, NULL, '{"database":"shop","table":"orders","type":"bootstrap-insert","ts":1714557800,"data":{"id":30,"item":"c","qty":30,"created":"0000-00-00 00:00:00"}}'),
  ('t07_maxwell', 9, NULL, '{"database":"shop","table":"orders","type":"bootstrap-complete","ts":1714557801,"data":{}}');

CREATE TABLE t07_mw_products (id int PRIMARY KEY, name text, description text, weight real);
CREATE TABLE t07_mw_orders (id int PRIMARY KEY, item text, qty int, created timestamp);
SELECT cdc_test.create_topic('t07_maxwell', 1);
SELECT cdc_test.produce_sample('t07_maxwell', 'flink-json/maxwell-data.txt');  -- offsets 0-19
SELECT pg_temp.produce_msgs('t07_maxwell');                                     -- offsets 20-28
SELECT cdc_sync.create_pipeline('t07m', cdc_test.brokers(), ARRAY['t07_maxwell'], 'maxwell');
SELECT cdc_sync.add_sync_table('t07m', 'test.product', 't07_mw_products');
SELECT cdc_sync.add_sync_table('t07m', 'shop.orders', 't07_mw_orders');
SELECT cdc_sync.start_pipeline('t07m');
SELECT ok(cdc_sync.wait_for_catchup('t07m', '60 s'), 'maxwell: caught up');
SELECT set_eq('SELECT id, name, description, weight FROM t07_mw_products',
              $$SELECT * FROM pg_temp.changelog_final('flink-json/maxwell-data.txt.expected.txt')$$,
              'maxwell sample: the table Flink''s expected changelog ends with');
SELECT results_eq('SELECT id, description, weight FROM t07_mw_products WHERE id IN (101, 106, 110) ORDER BY id',
                  $$VALUES (101, 'Small 2-wheel scooter', 5.17::real), (106, '18oz carpenter hammer', 1.0::real),
                           (110, 'new water resistent white wind breaker', 0.5::real)$$,
                  'maxwell sample: updates applied');
SELECT results_eq('SELECT id, item, qty, created FROM t07_mw_orders ORDER BY id',
                  $$VALUES (10, 'a', 11, '2020-08-06 03:34:43'::timestamp), (20, 'b', 20, '2020-08-06 03:34:44'), (30, 'c', 30, NULL)$$,
                  'maxwell: key changes (by primary_key_columns and by Kafka key) leave exactly the new rows; bootstrap-insert applied, zero date NULL');
SELECT results_eq($$SELECT messages_consumed, messages_skipped, messages_dead_lettered, state FROM cdc_sync.status
                    WHERE pipeline = 't07m'$$, $$VALUES (29::bigint, 3::bigint, 0::bigint, 'running'::text)$$,
                  'maxwell status: table-alter, bootstrap-start and bootstrap-complete skipped');

-- Paimon's schema evolution scenario, step by step (columns appear in later steps).
CREATE FUNCTION pg_temp.paimon_expected(step int)
RETURNS TABLE (id int, name text, description text, weight real, age int, address text) LANGUAGE sql AS $$
    SELECT f[1]::int, f[2], f[3], f[4]::real, nullif(f[5], 'NULL')::int, nullif(f[6], 'NULL')
    FROM (SELECT string_to_array(substr(line, 4, length(line) - 4), ', ') AS f
          FROM (SELECT line, count(*) FILTER (WHERE line LIKE '#%') OVER (ORDER BY n) AS block
                FROM cdc_test.sample_lines('paimon/table-schemaevolution.expected.txt')) l
          WHERE block = step AND line LIKE '+I[%') x
$$;
CREATE TABLE t07_mw_paimon (id int PRIMARY KEY, name text, description text, weight real, age int, address text);
SELECT cdc_test.create_topic('t07_maxwell_paimon', 1);
SELECT cdc_sync.create_pipeline('t07mp', cdc_test.brokers(), ARRAY['t07_maxwell_paimon'], 'maxwell');
SELECT cdc_sync.add_sync_table('t07mp', 'test.product', 't07_mw_paimon');
SELECT cdc_sync.start_pipeline('t07mp');
SELECT pg_temp.produce_json_lines('t07_maxwell_paimon', 'paimon/table-schemaevolution__maxwell-data-1.txt');
SELECT ok(cdc_sync.wait_for_catchup('t07mp', '60 s'), 'paimon maxwell step 1: caught up');
SELECT set_eq('TABLE t07_mw_paimon', 'SELECT * FROM pg_temp.paimon_expected(1)', 'paimon maxwell step 1: expected table');
SELECT pg_temp.produce_json_lines('t07_maxwell_paimon', 'paimon/table-schemaevolution__maxwell-data-2.txt');
SELECT ok(cdc_sync.wait_for_catchup('t07mp', '60 s'), 'paimon maxwell step 2: caught up');
SELECT set_eq('TABLE t07_mw_paimon', 'SELECT * FROM pg_temp.paimon_expected(2)', 'paimon maxwell step 2: new column age filled');
SELECT pg_temp.produce_json_lines('t07_maxwell_paimon', 'paimon/table-schemaevolution__maxwell-data-3.txt');
SELECT ok(cdc_sync.wait_for_catchup('t07mp', '60 s'), 'paimon maxwell step 3: caught up');
SELECT set_eq('TABLE t07_mw_paimon', 'SELECT * FROM pg_temp.paimon_expected(3)',
              'paimon maxwell step 3: insert, delete and update with the new column address');

-- ================================================================================================
-- Flink debezium-json: the Debezium sample as Flink writes it (no source, updates as d + c),
-- routed by topic_sources; the schema-include variant routed by its topic name.
-- ================================================================================================

-- A Debezium payload as Flink's debezium-json serializer writes it: one or two rows.
CREATE FUNCTION pg_temp.flink_rows(payload jsonb) RETURNS SETOF jsonb LANGUAGE sql AS $$
    SELECT r FROM (
        SELECT 1 AS k, CASE WHEN payload->>'op' = 'u'
                            THEN jsonb_build_object('before', payload->'before', 'after', NULL, 'op', 'd')
                            ELSE jsonb_build_object('before', payload->'before', 'after', payload->'after', 'op', payload->>'op') END
        UNION ALL
        SELECT 2, jsonb_build_object('before', NULL, 'after', payload->'after', 'op', 'c') WHERE payload->>'op' = 'u') x(k, r)
    ORDER BY k
$$;
INSERT INTO t07_msgs
  SELECT 't07_flink', (n * 2 + ord)::int, NULL, r::text
  FROM cdc_test.sample_lines('flink-json/debezium-data-schema-exclude.txt'),
       pg_temp.flink_rows(line::jsonb) WITH ORDINALITY AS f(r, ord);
INSERT INTO t07_msgs VALUES ('t07_flink', 1000, '{"id": 111}', NULL);  -- tombstone
-- schema-include: Flink keeps the envelope, with a payload of its own shape
INSERT INTO t07_msgs
  SELECT 't07_flink_schema', (n * 2 + ord)::int, NULL,
         jsonb_build_object('schema', line::jsonb->'schema', 'payload', r)::text
  FROM cdc_test.sample_lines('flink-json/debezium-data-schema-include.txt'),
       pg_temp.flink_rows(line::jsonb->'payload') WITH ORDINALITY AS f(r, ord);
INSERT INTO t07_msgs VALUES ('t07_flink_schema', 1000, NULL, '{"schema": null, "payload": null}');  -- enveloped tombstone
-- "u" with both images (accepted from producers other than Flink) changing the primary key
INSERT INTO t07_msgs VALUES
  ('t07_flink_u', 1, NULL, '{"before": null, "after": {"id": 1, "v": "a"}, "op": "r"}'),
  ('t07_flink_u', 2, NULL, '{"before": {"id": 1, "v": "a"}, "after": {"id": 2, "v": "a"}, "op": "u"}');

CREATE TABLE t07_flink_products (id int PRIMARY KEY, name text, description text, weight real);
CREATE TABLE t07_flink_schema (LIKE t07_flink_products INCLUDING ALL);
CREATE TABLE t07_flink_items (id int PRIMARY KEY, v text);
SELECT cdc_test.create_topic('t07_flink', 1);
SELECT cdc_test.create_topic('t07_flink_schema', 1);
SELECT cdc_test.create_topic('t07_flink_u', 1);
SELECT pg_temp.produce_msgs('t07_flink');
SELECT pg_temp.produce_msgs('t07_flink_schema');
SELECT pg_temp.produce_msgs('t07_flink_u');
SELECT cdc_sync.create_pipeline('t07f', cdc_test.brokers(), ARRAY['t07_flink', 't07_flink_schema', 't07_flink_u'],
                                'flink-debezium', '{"topic_sources": {"t07_flink": "inventory.products", "t07_flink_u": "shop.items"}}');
SELECT cdc_sync.add_sync_table('t07f', 'inventory\.products', 't07_flink_products');
SELECT cdc_sync.add_sync_table('t07f', 't07_flink_schema', 't07_flink_schema');
SELECT cdc_sync.add_sync_table('t07f', 'shop\.items', 't07_flink_items');
SELECT cdc_sync.start_pipeline('t07f');
SELECT ok(cdc_sync.wait_for_catchup('t07f', '60 s'), 'flink-debezium: caught up');
SELECT is((SELECT count(*) FROM t07_msgs WHERE topic = 't07_flink' AND value LIKE '%"op": "d"%'), 5::bigint,
          'flink-debezium input: 4 updates split into d + c, plus the delete');
SELECT set_eq('SELECT id, name, description, weight FROM t07_flink_products',
              $$SELECT * FROM pg_temp.changelog_final('flink-json/debezium-data-schema-exclude.txt.expected.txt')$$,
              'flink-debezium (topic_sources -> inventory.products): the expected changelog''s final table');
SELECT results_eq('SELECT id, description, weight FROM t07_flink_products WHERE id IN (106, 107, 110) ORDER BY id',
                  $$VALUES (106, '18oz carpenter hammer', 1.0::real), (107, 'box of assorted rocks', 5.1::real),
                           (110, 'new water resistent white wind breaker', 0.5::real)$$,
                  'flink-debezium: updates as delete + create applied');
SELECT results_eq('TABLE t07_flink_schema EXCEPT TABLE t07_flink_products', 'SELECT * FROM t07_flink_products WHERE false',
                  'flink-debezium schema-include (routed by topic name): the same table');
SELECT is((SELECT count(*) FROM t07_flink_schema), 10::bigint, 'flink-debezium schema-include: 10 rows');
SELECT results_eq($$SELECT messages_consumed, messages_skipped, messages_dead_lettered FROM cdc_sync.status
                    WHERE pipeline = 't07f'$$, $$VALUES (44::bigint, 2::bigint, 0::bigint)$$,
                  'flink-debezium status: 2 x 20 rows, 2 tombstones (skipped), 2 rows of shop.items');
-- A key change carried by one update (Flink's 'u'): the old key's row goes.
SELECT results_eq('SELECT id, v FROM t07_flink_items', $$VALUES (2, 'a')$$,
                  'flink-debezium: a "u" changing the key (before id 1, after id 2) leaves exactly the new row');

-- ================================================================================================
-- AWS DMS (Kafka target endpoint, JSON): full load, CDC, control records, truncate, key change.
-- ================================================================================================

-- A DMS record of public.<tbl> (PostgreSQL source); data records carry a transaction id in CDC.
CREATE FUNCTION pg_temp.dms(record_type text, operation text, tbl text, data jsonb,
                            before_image jsonb DEFAULT NULL, control jsonb DEFAULT NULL, schema_name text DEFAULT 'public')
RETURNS text LANGUAGE sql AS $$
    SELECT (CASE WHEN record_type = 'data' THEN jsonb_build_object('data', data)
                 ELSE jsonb_build_object('control', control) END
            || jsonb_build_object('metadata',
                   jsonb_build_object('timestamp', '2024-05-01T10:15:30.123456Z', 'record-type', record_type,
                                      'operation', operation,
                                      'partition-key-type', CASE WHEN record_type = 'data' THEN 'schema-table' ELSE 'task-id' END,
                                      'schema-name', schema_name, 'table-name', tbl)
                   || CASE WHEN operation IN ('insert', 'update', 'delete')
                           THEN '{"transaction-id": 8796093023431}'::jsonb ELSE '{}' END)
            || CASE WHEN before_image IS NULL THEN '{}' ELSE jsonb_build_object('before-image', before_image) END)::text
$$;

INSERT INTO t07_msgs VALUES
  ('t07_dms', 1, NULL, pg_temp.dms('control', 'create-table', 'customers', NULL, NULL,
      '{"table-def": {"columns": {"id": {"type": "INT32", "nullable": false}, "name": {"type": "STRING", "length": 50, "nullable": true},
                                  "balance": {"type": "NUMERIC", "precision": 12, "scale": 2, "nullable": true},
                                  "updated_at": {"type": "DATETIME", "precision": 6, "nullable": true}},
                      "primary-key": ["id"]}}')),
  ('t07_dms', 2, NULL, pg_temp.dms('data', 'load', 'customers', '{"id": 1, "name": "Ann", "balance": "100.00", "updated_at": "2024-05-01 09:00:00.000001"}')),
  ('t07_dms', 3, NULL, pg_temp.dms('data', 'load', 'customers', '{"id": 2, "name": "Bob", "balance": "200.50", "updated_at": "2024-05-01 09:00:00.000002"}')),
  ('t07_dms', 4, NULL, pg_temp.dms('data', 'load', 'customers', '{"id": 3, "name": "Cid", "balance": null, "updated_at": null}')),
  ('t07_dms', 5, NULL, pg_temp.dms('data', 'insert', 'customers', '{"id": 4, "name": "Dee", "balance": "-4.25", "updated_at": "2024-05-01 10:00:00"}')),
  ('t07_dms', 6, NULL, pg_temp.dms('data', 'update', 'customers', '{"id": 2, "name": "Bob", "balance": "250.50", "updated_at": "2024-05-01 10:01:00"}',
                                   '{"id": 2, "name": "Bob", "balance": "200.50", "updated_at": "2024-05-01 09:00:00.000002"}')),
  ('t07_dms', 7, NULL, pg_temp.dms('data', 'update', 'customers', '{"id": 3, "name": "Cid", "balance": "3.00", "updated_at": "2024-05-01 10:02:00"}')),
  ('t07_dms', 8, NULL, pg_temp.dms('data', 'delete', 'customers', '{"id": 1, "name": "Ann", "balance": "100.00", "updated_at": "2024-05-01 09:00:00.000001"}')),
  ('t07_dms', 9, NULL, pg_temp.dms('control', 'add-column', 'customers', NULL, NULL,
      '{"table-def": {"columns": {"id": {"type": "INT32", "nullable": false}, "name": {"type": "STRING", "length": 50, "nullable": true},
                                  "balance": {"type": "NUMERIC", "precision": 12, "scale": 2, "nullable": true},
                                  "updated_at": {"type": "DATETIME", "precision": 6, "nullable": true},
                                  "email": {"type": "STRING", "length": 100, "nullable": true}},
                      "primary-key": ["id"]}}')),
  ('t07_dms', 10, NULL, pg_temp.dms('data', 'insert', 'awsdms_apply_exceptions',
      '{"TASK_NAME": "QX4KBPHVHLMV5QXPDOUPQDSNYA", "TABLE_OWNER": "public", "TABLE_NAME": "customers", "ERROR_TIME": "2024-05-01 10:03:00",
        "STATEMENT": "UPDATE public.customers SET ...", "ERROR": "RetCode: SQL_ERROR"}', NULL, NULL, '')),
  ('t07_dms', 11, NULL, pg_temp.dms('control', 'truncate-table', 'customers', NULL)),
  ('t07_dms', 12, NULL, pg_temp.dms('data', 'insert', 'customers', '{"id": 5, "name": "Eve", "balance": "5.00", "updated_at": "2024-05-01 11:00:00"}')),
  ('t07_dms', 13, NULL, pg_temp.dms('data', 'insert', 'customers', '{"id": 6, "name": "Fay", "balance": "6.00", "updated_at": "2024-05-01 11:00:01"}')),
  ('t07_dms', 14, NULL, pg_temp.dms('data', 'delete', 'customers', '{"id": 5}')),  -- key columns only
  ('t07_dms', 15, NULL, pg_temp.dms('data', 'update', 'customers', '{"id": 6, "name": "Fay", "balance": "66.60", "updated_at": "2024-05-01 11:00:02"}')),
  -- a primary-key change with BeforeImageSettings on: before-image holds the old key
  ('t07_dms_keys', 1, NULL, pg_temp.dms('data', 'insert', 'accounts', '{"id": 1, "owner": "ann"}')),
  ('t07_dms_keys', 2, NULL, pg_temp.dms('data', 'insert', 'accounts', '{"id": 2, "owner": "bob"}')),
  ('t07_dms_keys', 3, NULL, pg_temp.dms('data', 'update', 'accounts', '{"id": 3, "owner": "bob"}', '{"id": 2, "owner": "bob"}'));

CREATE TABLE t07_dms_customers (id int PRIMARY KEY, name text, balance numeric(12,2), updated_at timestamp);
CREATE TABLE t07_dms_customers_ign (LIKE t07_dms_customers INCLUDING ALL);
CREATE TABLE t07_dms_accounts (id int PRIMARY KEY, owner text);
SELECT cdc_test.create_topic('t07_dms', 1);
SELECT cdc_test.create_topic('t07_dms_keys', 1);
SELECT pg_temp.produce_msgs('t07_dms');
SELECT pg_temp.produce_msgs('t07_dms_keys');
SELECT cdc_sync.create_pipeline('t07d', cdc_test.brokers(), ARRAY['t07_dms', 't07_dms_keys'], 'dms');
SELECT cdc_sync.add_sync_table('t07d', 'public\.customers', 't07_dms_customers');
SELECT cdc_sync.add_sync_table('t07d', 'public\.accounts', 't07_dms_accounts');
SELECT cdc_sync.create_pipeline('t07di', cdc_test.brokers(), ARRAY['t07_dms'], 'dms', '{"truncate": "ignore"}');
SELECT cdc_sync.add_sync_table('t07di', 'public\.customers', 't07_dms_customers_ign');
SELECT cdc_sync.start_pipeline('t07d');
SELECT cdc_sync.start_pipeline('t07di');
SELECT ok(cdc_sync.wait_for_catchup('t07d', '60 s'), 'dms: caught up');
SELECT ok(cdc_sync.wait_for_catchup('t07di', '60 s'), 'dms (truncate ignore): caught up');
SELECT results_eq('SELECT id, name, balance, updated_at FROM t07_dms_customers',
                  $$VALUES (6, 'Fay', 66.60::numeric(12,2), '2024-05-01 11:00:02'::timestamp)$$,
                  'dms: truncate-table emptied the table; later insert, key-only delete and update applied');
SELECT results_eq('SELECT id, name, balance, updated_at FROM t07_dms_customers_ign ORDER BY id',
                  $$VALUES (2, 'Bob', 250.50::numeric(12,2), '2024-05-01 10:01:00'::timestamp), (3, 'Cid', 3.00, '2024-05-01 10:02:00'),
                           (4, 'Dee', -4.25, '2024-05-01 10:00:00'), (6, 'Fay', 66.60, '2024-05-01 11:00:02')$$,
                  'dms, truncate ignore: full load, updates (with and without before-image) and deletes applied, truncate ignored');
SELECT results_eq($$SELECT messages_consumed, messages_skipped, messages_dead_lettered, state FROM cdc_sync.status
                    WHERE pipeline = 't07d'$$, $$VALUES (18::bigint, 3::bigint, 0::bigint, 'running'::text)$$,
                  'dms status: create-table, add-column and the awsdms_apply_exceptions record skipped');
SELECT results_eq($$SELECT messages_consumed, messages_skipped FROM cdc_sync.status WHERE pipeline = 't07di'$$,
                  $$VALUES (15::bigint, 4::bigint)$$, 'dms, truncate ignore: the truncate-table record skipped too');
-- An update whose before-image has another key than its data is a primary-key change: like the
-- Canal and Maxwell key changes above, it must leave exactly the new row.
SELECT results_eq('SELECT id, owner FROM t07_dms_accounts ORDER BY id', $$VALUES (1, 'ann'), (3, 'bob')$$,
                  'dms: key change (before-image id 2, data id 3) leaves exactly the new row');

-- ================================================================================================
-- Plain JSON: every message a row to upsert; the table named by the topic or by topic_sources.
-- ================================================================================================
INSERT INTO t07_msgs VALUES
  ('t07_json', 1, NULL, '{"id": 1, "kind": "click", "amount": 12.50, "at": "2024-05-01T12:00:00Z", "attrs": {"a": [1, 2]}}'),
  ('t07_json', 2, NULL, '{"id": 2, "kind": "view", "amount": null, "at": "2024-05-01T12:00:01+02:00", "attrs": null, "not_a_column": "ignored"}'),
  ('t07_json', 3, NULL, '{"id": 1, "kind": "click2", "amount": 13, "at": "2024-05-01T12:00:02Z", "attrs": {"b": true}}'),
  ('t07_json', 4, '{"id": 2}', NULL),                                 -- tombstone
  ('t07_json', 5, NULL, '[{"id": 3}]'),                               -- not an object
  ('t07_json_routed', 1, NULL, '{"order_id": 7, "status": "new"}'),
  ('t07_json_routed', 2, NULL, '{"order_id": 8, "status": "new"}'),
  ('t07_json_routed', 3, NULL, '{"order_id": 7, "status": "paid"}');
CREATE TABLE t07_json_events (id int PRIMARY KEY, kind text, amount numeric, at timestamptz, attrs jsonb);
CREATE TABLE t07_json_orders (order_id int PRIMARY KEY, status text);
SELECT cdc_test.create_topic('t07_json', 1);
SELECT cdc_test.create_topic('t07_json_routed', 1);
SELECT pg_temp.produce_msgs('t07_json');
SELECT pg_temp.produce_msgs('t07_json_routed');
SELECT cdc_sync.create_pipeline('t07j', cdc_test.brokers(), ARRAY['t07_json', 't07_json_routed'], 'json',
                                '{"on_error": "dead_letter", "topic_sources": {"t07_json_routed": "shop.orders"}}');
SELECT cdc_sync.add_sync_table('t07j', 't07_json', 't07_json_events');
SELECT cdc_sync.add_sync_table('t07j', 'shop\.orders', 't07_json_orders');
SELECT cdc_sync.start_pipeline('t07j');
SELECT ok(cdc_sync.wait_for_catchup('t07j', '60 s'), 'json: caught up');
SELECT results_eq('SELECT id, kind, amount, at, attrs FROM t07_json_events ORDER BY id',
                  $$VALUES (1, 'click2', 13::numeric, '2024-05-01 12:00:02+00'::timestamptz, '{"b": true}'::jsonb),
                           (2, 'view', NULL, '2024-05-01 10:00:01+00', NULL)$$,
                  'json (routed by topic name): rows upserted by key, unknown fields ignored');
SELECT results_eq('SELECT order_id, status FROM t07_json_orders ORDER BY order_id', $$VALUES (7, 'paid'), (8, 'new')$$,
                  'json (topic_sources -> shop.orders): routed to the sync table of that name');
SELECT results_eq($$SELECT messages_consumed, messages_skipped, messages_dead_lettered FROM cdc_sync.status
                    WHERE pipeline = 't07j'$$, $$VALUES (8::bigint, 1::bigint, 1::bigint)$$,
                  'json status: the tombstone skipped, the array a dead letter');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't07j'), 'not a JSON object',
               'json: the dead letter says the value is not an object');

-- ================================================================================================
-- Formats and options are checked when the pipeline is created.
-- ================================================================================================
SELECT throws_like($$SELECT cdc_sync.create_pipeline('t07x', 'b:9092', ARRAY['t'], 'json', '{"truncate": "sometimes"}')$$,
                   '%truncate%', 'an invalid truncate option is refused');
SELECT throws_like($$SELECT cdc_sync.create_pipeline('t07x', 'b:9092', ARRAY['t'], 'json', '{"topic_sources": {"t": 1}}')$$,
                   '%topic_sources%', 'topic_sources must map topics to names');
SELECT throws_like($$SELECT cdc_sync.create_pipeline('t07x', 'b:9092', ARRAY['t'], 'avro')$$,
                   '%unknown format "avro"%', 'an unknown format is refused');
SELECT is((SELECT array_agg(format ORDER BY name) FROM cdc_sync.pipelines WHERE name LIKE 't07%'),
          ARRAY['canal', 'canal', 'canal', 'dms', 'dms', 'flink-debezium', 'json', 'maxwell', 'maxwell'],
          'pipelines keep their formats');
SELECT is((SELECT count(*) FROM cdc_sync.status WHERE pipeline LIKE 't07%' AND state = 'running'), 9::bigint,
          'every pipeline still running');

SELECT cdc_sync.drop_pipeline(name) FROM cdc_sync.pipelines WHERE name LIKE 't07%';
SELECT * FROM finish();
