-- Validation of every argument of the SQL API, and the messages users see.
\set SHOW_CONTEXT never
CREATE TABLE items (id int PRIMARY KEY, v text, g int GENERATED ALWAYS AS (id * 2) STORED);
CREATE TABLE nokey (id int, v text);
CREATE VIEW items_v AS SELECT * FROM items;

-- create_pipeline: names, brokers, topics, format
SELECT cdc_sync.create_pipeline('1bad', 'b:9092', ARRAY['t']);
SELECT cdc_sync.create_pipeline('has space', 'b:9092', ARRAY['t']);
SELECT cdc_sync.create_pipeline('p', '  ', ARRAY['t']);
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY[]::text[]);
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['bad topic']);
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t', NULL]);
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['..']);
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['^shop\.(orders']);
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['^' || repeat('a', 1000)]);
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t', 't']);
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'avro');

-- create_pipeline: options
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '[]');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"bogus": 1}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"decimal_handling_mode": "base64"}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"batch_max_rows": 0}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"batch_max_rows": "10"}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"batch_max_ms": 1.5}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"parallelism": 65}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"on_error": "ignore"}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"apply_strategy": "upsert"}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"start_from": "whenever"}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"start_from": 5}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"group_id": ""}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"kafka": []}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"kafka": {"bootstrap.servers": "x:1"}}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"kafka": {"enable.auto.commit": true}}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"kafka": {"no.such.property": "1"}}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"kafka": {"session.timeout.ms": "soon"}}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"kafka": {"client.id": {"a": 1}}}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"truncate": "sometimes"}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"topic_sources": {"t": 1}}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'canal', '{"zero_dates": "zero"}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'canal', '{"time_zone": "Mars/Olympus"}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'canal', '{"time_zone": "CST"}');  -- an abbreviation: TimeZone refuses it
SHOW TimeZone;  -- validating did not change the caller's setting
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t'], 'debezium', '{"unavailable_value": ""}');

-- a valid pipeline, then a duplicate
SELECT cdc_sync.create_pipeline('p', 'b1:9092,b2:9092', ARRAY['shop.items', 'shop.other'], 'debezium',
    '{"batch_max_rows": 500, "start_from": "2024-01-01 00:00:00+00", "on_error": "dead_letter",
      "kafka": {"security.protocol": "plaintext", "fetch.wait.max.ms": 50}}');
SELECT cdc_sync.create_pipeline('p', 'b:9092', ARRAY['t']);
SELECT name, brokers, topics, format, options, state FROM cdc_sync.pipelines;

-- add_sync_table
SELECT cdc_sync.add_sync_table('nope', 'db.items', 'items');
SELECT cdc_sync.add_sync_table('p', '', 'items');
SELECT cdc_sync.add_sync_table('p', 'db.(items', 'items');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'missing_table', NULL, '{"auto_create": false}');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'missing_table', NULL, '{"auto_create": "yes"}');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'no_such_schema.missing_table');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'a.b.c');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'missing_table', ARRAY['id', 'id']);
SELECT cdc_sync.add_sync_table('p', 'db.items', 'items_v');
SELECT cdc_sync.add_sync_table('p', 'db.nokey', 'nokey');
SELECT cdc_sync.add_sync_table('p', 'db.nokey', 'nokey', ARRAY['nope']);
SELECT cdc_sync.add_sync_table('p', 'db.nokey', 'nokey', ARRAY['id', 'id']);
SELECT cdc_sync.add_sync_table('p', 'db.nokey', 'nokey', ARRAY[]::text[]);
SELECT cdc_sync.add_sync_table('p', 'db.items', 'items', ARRAY['g']);
SELECT cdc_sync.add_sync_table('p', 'db.items', 'items', NULL, '{"bogus": true}');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'items', NULL, '{"append": "yes"}');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'items', NULL, '{"op_field": ""}');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'items', NULL, '{"append": true, "op_field": "op"}');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'items', NULL, '{"schema_changes": "sometimes"}');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'items', NULL, '{"schema_changes": true}');
-- an append table needs no key
SELECT cdc_sync.add_sync_table('p', 'db.events', 'nokey', NULL, '{"append": true}');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'items');
-- alter_sync_table: options merged into the current ones (null resets one), validated the same way
SELECT cdc_sync.alter_sync_table('p', 'db.items', '{"schema_changes": "fail", "on_table_error": "fail"}');
SELECT options FROM cdc_sync.sync_tables WHERE pipeline = 'p' AND source = 'db.items';
SELECT cdc_sync.alter_sync_table('p', 'db.items', '{"schema_changes": null}');
SELECT options FROM cdc_sync.sync_tables WHERE pipeline = 'p' AND source = 'db.items';
SELECT cdc_sync.alter_sync_table('p', 'db.items', '{"bogus": 1}');
SELECT cdc_sync.alter_sync_table('p', 'db.items', '{"schema_changes": "sometimes"}');
SELECT cdc_sync.alter_sync_table('p', 'db.items', '{"append": true}');
SELECT cdc_sync.alter_sync_table('p', 'db.items', '[]');
SELECT cdc_sync.alter_sync_table('p', 'db.nothing', '{}');
SELECT cdc_sync.alter_sync_table('nope', 'db.items', '{}');
SELECT cdc_sync.add_sync_table('p', 'db.items', 'public.items');
SELECT cdc_sync.add_sync_table('p', 'db\.nokey_[0-9]+', 'nokey', ARRAY['id'], '{"op_field": "op"}');
SELECT cdc_sync.add_sync_table('p', 'db\.nokey_[0-9]+', 'nokey', ARRAY['id'], '{"op_field": "op", "keys_unique_across_sources": true}');
-- merged sources and target templates
SELECT cdc_sync.add_sync_table('p', 'db\.m_[0-9]+', 'm', NULL, '{"source_column": ""}');
SELECT cdc_sync.add_sync_table('p', 'db\.m_[0-9]+', 'm', NULL, '{"source_column": 5}');
SELECT cdc_sync.add_sync_table('p', 'db\.m_[0-9]+', 'm', NULL, '{"keys_unique_across_sources": "yes"}');
SELECT cdc_sync.add_sync_table('p', 'db\.m_[0-9]+', 'm', ARRAY['id'], '{"source_column": "src"}');
SELECT cdc_sync.add_sync_table('p', 'db\.m_[0-9]+', 'items', NULL, '{"source_column": "src"}');
SELECT cdc_sync.add_sync_table('p', 'db\..*', 'a.b.{table}');
SELECT cdc_sync.add_sync_table('p', 'db\..*', '"mirror.{table}');
SELECT cdc_sync.add_sync_table('p', 'db\..*', 'mirror .{table}');
SELECT cdc_sync.add_sync_table('p', 'db\..*', 'no_such_schema.{table}');
SELECT cdc_sync.add_sync_table('p', '[a-z]+\..*', 'public.{table}');
SELECT cdc_sync.add_sync_table('p', '[a-z]+\..*', 'public.{db}_{table}', NULL, '{"source_column": "src"}');
SELECT cdc_sync.alter_sync_table('p', '[a-z]+\..*', '{"source_column": "other"}');
SELECT cdc_sync.remove_sync_table('p', '[a-z]+\..*');
-- columns
SELECT cdc_sync.add_sync_table('p', 'db.cols', 'cols_new', NULL, '{"columns": {"include": ["a"], "exclude": ["b"]}}');
SELECT cdc_sync.add_sync_table('p', 'db.cols', 'cols_new', NULL, '{"columns": {"rename": {"a": ""}}}');
SELECT cdc_sync.add_sync_table('p', 'db.cols', 'cols_new', NULL, '{"columns": {"only": ["a"]}}');
SELECT cdc_sync.add_sync_table('p', 'db.cols', 'cols_new', NULL, '{"columns": {"exclude": "ssn"}}');
-- apply options
SELECT cdc_sync.add_sync_table('p', 'db.am', 'am_new', NULL, '{"delete_mode": "hard"}');
SELECT cdc_sync.add_sync_table('p', 'db.am', 'am_new', NULL, '{"truncate_mode": "archive"}');
SELECT cdc_sync.add_sync_table('p', 'db.am', 'am_new', NULL, '{"version_column": ""}');
SELECT cdc_sync.add_sync_table('p', 'db.am', 'am_new', NULL, '{"version_column": "_cdc_topic"}');
SELECT cdc_sync.add_sync_table('p', 'db.am', 'am_new', NULL, '{"metadata_columns": ["_cdc_op", "op"]}');
SELECT cdc_sync.add_sync_table('p', 'db.am', 'am_new', NULL, '{"mode": "audit"}');
SELECT cdc_sync.add_sync_table('p', 'db.am', 'am_new', NULL, '{"mode": "changelog", "append": false}');
SELECT cdc_sync.add_sync_table('p', 'db.am', 'am_new', NULL, '{"mode": "changelog", "delete_mode": "soft"}');
SELECT cdc_sync.add_sync_table('p', 'db.am', 'am_new', NULL, '{"append": true, "version_column": "v"}');
SELECT cdc_sync.add_sync_table('p', 'db.am', 'am_new', NULL, '{"mode": "changelog", "metadata_columns": ["_cdc_offset"]}');
SELECT cdc_sync.alter_sync_table('p', 'db.am', '{"mode": "upsert"}');
SELECT cdc_sync.remove_sync_table('p', 'db.am');
-- partition_by
SELECT cdc_sync.add_sync_table('p', 'db.part', 'part_new', NULL, '{"partition_by": "LIST (x)"}');
SELECT cdc_sync.add_sync_table('p', 'db.part', 'part_new', NULL, '{"partition_by": "RANGE (a, b)"}');
SELECT cdc_sync.add_sync_table('p', 'db.part', 'part_new', NULL, '{"partition_by": "RANGE (t)", "partition_interval": "fortnight"}');
SELECT cdc_sync.add_sync_table('p', 'db.part', 'part_new', NULL, '{"partition_by": "HASH (id)", "partition_interval": "month"}');
SELECT cdc_sync.add_sync_table('p', 'db.part', 'part_new', NULL, '{"partition_by": "HASH (id)", "partitions": 1}');
SELECT cdc_sync.add_sync_table('p', 'db.part', 'part_new', NULL, '{"partitions": 4}');
SELECT cdc_sync.add_sync_table('p', 'db.part', 'items', NULL, '{"partition_by": "HASH (id)"}');
-- key types: every type with a default equality, through binary coercion or a domain's base type
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE k_varchar (id varchar(255) PRIMARY KEY, v text);
CREATE TABLE k_domain (id posint PRIMARY KEY, v text);
CREATE TABLE k_char (code char(4), n numeric(10,2), v text, PRIMARY KEY (code, n));
CREATE TABLE k_json (id json, v text);
SELECT cdc_sync.add_sync_table('p', 'db.k_varchar', 'k_varchar');
SELECT cdc_sync.add_sync_table('p', 'db.k_domain', 'k_domain');
SELECT cdc_sync.add_sync_table('p', 'db.k_char', 'k_char');
SELECT cdc_sync.add_sync_table('p', 'db.k_json', 'k_json', ARRAY['id']);
SELECT t::text AS type, cdc_sync._key_equality(t) AS joined_with
FROM unnest(ARRAY['varchar', 'posint', 'bpchar', 'text', 'uuid', 'json', 'point']::regtype[]) t;
SELECT pipeline, source, target, primary_key, options FROM cdc_sync.sync_tables ORDER BY id;

-- positions
SELECT cdc_sync.reset_offsets('p', 'sometime');
SELECT cdc_sync.reset_offsets('p', NULL);
SELECT cdc_sync.start_pipeline('nope');
SELECT cdc_sync.stop_pipeline('nope');
SELECT cdc_sync.drop_pipeline('nope');
SELECT cdc_sync.alter_pipeline('nope', '{}');
SELECT cdc_sync.remove_sync_table('p', 'db.unknown');
SELECT cdc_sync.wait_for_catchup('nope', '1 s');

SELECT cdc_sync.drop_pipeline('p');
SELECT count(*) AS tables_left FROM pg_class WHERE relname IN ('items', 'nokey', 'k_varchar', 'k_domain', 'k_char');
-- a start position without an offset is UTC, whatever the session's zone
SET TimeZone = 'Asia/Shanghai';
SELECT cdc_sync._position_ms('2024-05-01 12:00:00') = cdc_sync._position_ms('2024-05-01 12:00:00+00') AS offsetless_is_utc;
RESET TimeZone;
