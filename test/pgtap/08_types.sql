-- Debezium values of every PostgreSQL type a CDC user meets, through Kafka, exactly: the same rows
-- once with the schema envelope (logical types: io.debezium.time.*, Decimal, VariableScaleDecimal,
-- Bits, Json, Uuid, Enum, ...) and once without it (epoch numbers and base64 strings, converted by
-- the target column's type). Every column of every row is compared with the literal the source
-- held, and the two tables must be identical. Values are modelled on the Debezium PostgreSQL
-- connector and on the flink-cdc full_types sample (cdc-samples/flink-cdc). Then values that
-- cannot convert become dead letters whose error names the column and the value.
\set ON_ERROR_STOP 1

-- base64 of java.math.BigInteger.toByteArray(unscaled): minimal big-endian two's complement, as
-- org.apache.kafka.connect.data.Decimal and io.debezium.data.VariableScaleDecimal carry it.
CREATE FUNCTION pg_temp.decimal_b64(unscaled numeric) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    k int := 1;
    v numeric;
    hex text := '';
BEGIN
    WHILE NOT (unscaled >= -(2::numeric ^ (8 * k - 1)) AND unscaled < 2::numeric ^ (8 * k - 1)) LOOP
        k := k + 1;
    END LOOP;
    v := CASE WHEN unscaled < 0 THEN unscaled + 256::numeric ^ k ELSE unscaled END;
    FOR i IN 1..k LOOP
        hex := lpad(to_hex(mod(v, 256)::int), 2, '0') || hex;
        v := div(v, 256);
    END LOOP;
    RETURN encode(decode(hex, 'hex'), 'base64');
END $$;

CREATE TYPE t08_mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE t08_schema (
    id integer PRIMARY KEY,
    c_smallint smallint, c_integer integer, c_bigint bigint,
    c_num38 numeric(38,10), c_num65 numeric(65,30), c_numvar numeric, c_ubig numeric(20,0), c_bigint_u bigint,
    c_real real, c_double double precision, c_bool boolean,
    c_text text, c_varchar varchar(20), c_char char(3), c_bytea bytea,
    c_date date, c_time time, c_time3 time(3), c_timetz time with time zone,
    c_ts timestamp, c_ts3 timestamp(3), c_ts6 timestamp(6), c_tstz timestamptz, c_interval interval,
    c_json json, c_jsonb jsonb, c_uuid uuid, c_bit1 bit(1), c_bit bit(8), c_varbit bit varying(16),
    c_enum t08_mood, c_int_arr integer[], c_text_arr text[], c_date_arr date[], c_num_arr numeric(8,4)[]);
-- xml only where the server was built with libxml
DO $$ BEGIN
    PERFORM '<a/>'::xml;
    ALTER TABLE t08_schema ADD COLUMN c_xml xml;
EXCEPTION WHEN feature_not_supported THEN NULL;
END $$;
CREATE TABLE t08_noschema (LIKE t08_schema INCLUDING ALL);

-- The Kafka Connect schema of each column, as the Debezium PostgreSQL connector writes it
-- (decimal.handling.mode precise, time.precision.mode adaptive: time(3) is io.debezium.time.Time).
CREATE TABLE t08_fields (pos int, col text PRIMARY KEY, connect_type text, logical text, params jsonb);
INSERT INTO t08_fields VALUES
  (1, 'c_smallint', 'int16', NULL, NULL),
  (2, 'c_integer', 'int32', NULL, NULL),
  (3, 'c_bigint', 'int64', NULL, NULL),
  (4, 'c_num38', 'bytes', 'org.apache.kafka.connect.data.Decimal', '{"scale": "10", "connect.decimal.precision": "38"}'),
  (5, 'c_num65', 'bytes', 'org.apache.kafka.connect.data.Decimal', '{"scale": "30", "connect.decimal.precision": "65"}'),
  (6, 'c_numvar', 'struct', 'io.debezium.data.VariableScaleDecimal', NULL),
  (7, 'c_ubig', 'bytes', 'org.apache.kafka.connect.data.Decimal', '{"scale": "0", "connect.decimal.precision": "20"}'),
  (8, 'c_bigint_u', 'bytes', 'org.apache.kafka.connect.data.Decimal', '{"scale": "0", "connect.decimal.precision": "20"}'),
  (9, 'c_real', 'float32', NULL, NULL),
  (10, 'c_double', 'float64', NULL, NULL),
  (11, 'c_bool', 'boolean', NULL, NULL),
  (12, 'c_text', 'string', NULL, NULL),
  (13, 'c_varchar', 'string', NULL, NULL),
  (14, 'c_char', 'string', NULL, NULL),
  (15, 'c_bytea', 'bytes', NULL, NULL),
  (16, 'c_date', 'int32', 'io.debezium.time.Date', NULL),
  (17, 'c_time', 'int64', 'io.debezium.time.MicroTime', NULL),
  (18, 'c_time3', 'int32', 'io.debezium.time.Time', NULL),
  (19, 'c_timetz', 'string', 'io.debezium.time.ZonedTime', NULL),
  (20, 'c_ts', 'int64', 'io.debezium.time.NanoTimestamp', NULL),
  (21, 'c_ts3', 'int64', 'io.debezium.time.Timestamp', NULL),
  (22, 'c_ts6', 'int64', 'io.debezium.time.MicroTimestamp', NULL),
  (23, 'c_tstz', 'string', 'io.debezium.time.ZonedTimestamp', NULL),
  (24, 'c_interval', 'int64', 'io.debezium.time.MicroDuration', NULL),
  (25, 'c_json', 'string', 'io.debezium.data.Json', NULL),
  (26, 'c_jsonb', 'string', 'io.debezium.data.Json', NULL),
  (27, 'c_uuid', 'string', 'io.debezium.data.Uuid', NULL),
  (28, 'c_bit1', 'boolean', NULL, NULL),
  (29, 'c_bit', 'bytes', 'io.debezium.data.Bits', '{"length": "8"}'),
  (30, 'c_varbit', 'bytes', 'io.debezium.data.Bits', '{"length": "16"}'),
  (31, 'c_enum', 'string', 'io.debezium.data.Enum', '{"allowed": "sad,ok,happy"}'),
  (32, 'c_xml', 'string', 'io.debezium.data.Xml', NULL),
  -- arrays: params holds the items schema
  (33, 'c_int_arr', 'array', NULL, '{"type": "int32", "optional": true}'),
  (34, 'c_text_arr', 'array', NULL, '{"type": "string", "optional": true}'),
  (35, 'c_date_arr', 'array', NULL, '{"type": "int32", "optional": true, "name": "io.debezium.time.Date", "version": 1}'),
  (36, 'c_num_arr', 'array', NULL, '{"type": "bytes", "optional": true, "name": "org.apache.kafka.connect.data.Decimal",
                                     "version": 1, "parameters": {"scale": "4", "connect.decimal.precision": "8"}}');
DELETE FROM t08_fields WHERE NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 't08_schema'::regclass AND attname = col);

-- The values: with the schema (ws) and without it (wo; NULL: the same JSON as ws), and the literal
-- the source held. Row 1: ordinary values; row 2: edges; row 3: sentinels and rounding ties (other
-- columns null); row 4: every column null.
CREATE TABLE t08_values (id int, col text, ws jsonb, wo jsonb, expected text, PRIMARY KEY (id, col));
INSERT INTO t08_values VALUES
  (1, 'c_smallint', '-32768', NULL, '-32768'),
  (1, 'c_integer', '2147483647', NULL, '2147483647'),
  (1, 'c_bigint', '-9223372036854775808', NULL, '-9223372036854775808'),
  (1, 'c_num38', to_jsonb(pg_temp.decimal_b64(12345678901234567890123456780123456789)), NULL,
      '1234567890123456789012345678.0123456789'),
  (1, 'c_num65', to_jsonb(pg_temp.decimal_b64(-12345678901234567890123456789012345123456789012345678901234567890)), NULL,
      '-12345678901234567890123456789012345.123456789012345678901234567890'),
  (1, 'c_numvar', jsonb_build_object('scale', 3, 'value', pg_temp.decimal_b64(98765432109876543210123)), NULL,
      '98765432109876543210.123'),
  (1, 'c_ubig', '"AP//////////"', NULL, '18446744073709551615'),  -- the flink-cdc sample's BIGINT UNSIGNED max
  (1, 'c_bigint_u', to_jsonb(pg_temp.decimal_b64(4294967295)), NULL, '4294967295'),
  (1, 'c_real', '123.102', NULL, '123.102'),
  (1, 'c_double', '2.718281828459045', NULL, '2.718281828459045'),
  (1, 'c_bool', 'true', NULL, 'true'),
  (1, 'c_text', to_jsonb(E'tab\there "quote" back\\slash \u00fcn\u00efc\u00f8d\u00e9 \U0001F600\nnew line'::text), NULL,
      E'tab\there "quote" back\\slash \u00fcn\u00efc\u00f8d\u00e9 \U0001F600\nnew line'),
  (1, 'c_varchar', '"Hello World"', NULL, 'Hello World'),
  (1, 'c_char', '"abc"', NULL, 'abc'),
  (1, 'c_bytea', '"AP8Q"', NULL, '\x00ff10'),
  (1, 'c_date', '18460', NULL, '2020-07-17'),
  (1, 'c_time', '64822123456', NULL, '18:00:22.123456'),
  (1, 'c_time3', '64822123', '64822123000', '18:00:22.123'),  -- without a schema: MicroTime (adaptive_time_microseconds)
  (1, 'c_timetz', '"18:00:22.123456Z"', NULL, '18:00:22.123456+00'),
  (1, 'c_ts', '1595008822123456789', NULL, '2020-07-17 18:00:22.123457'),  -- 789 ns round up
  (1, 'c_ts3', '1595008822123', NULL, '2020-07-17 18:00:22.123'),
  (1, 'c_ts6', '1595008822123456', NULL, '2020-07-17 18:00:22.123456'),
  (1, 'c_tstz', '"2020-07-17T18:00:22.123456Z"', NULL, '2020-07-17 18:00:22.123456+00'),
  (1, 'c_interval', '93784500000', NULL, '26:03:04.5'),  -- 1 day 02:03:04.5, flattened by Debezium
  (1, 'c_json', to_jsonb('{"key1": "value1", "n": [1, 2.50]}'::text), NULL, '{"key1": "value1", "n": [1, 2.50]}'),
  (1, 'c_jsonb', to_jsonb('{"b": 1, "a": {"c": null}}'::text), NULL, '{"a": {"c": null}, "b": 1}'),
  (1, 'c_uuid', '"651aed08-390f-4893-b2f1-36923e7b7400"', NULL, '651aed08-390f-4893-b2f1-36923e7b7400'),
  (1, 'c_bit1', 'true', NULL, '1'),
  (1, 'c_bit', '"pQ=="', NULL, '10100101'),              -- 0xa5, bit i = bit i%8 of byte i/8
  (1, 'c_varbit', '"qg=="', NULL, '0000000010101010'),   -- BitSet drops the zero high byte
  (1, 'c_enum', '"happy"', NULL, 'happy'),
  (1, 'c_xml', to_jsonb('<a b="1">text &amp; more</a>'::text), NULL, '<a b="1">text &amp; more</a>'),
  (1, 'c_int_arr', '[1, null, -3]', NULL, '{1,NULL,-3}'),
  (1, 'c_text_arr', '["a,b", "say \"hi\"", "back\\slash", null, "NULL", "{}"]', NULL,
      '{"a,b","say \"hi\"","back\\slash",NULL,"NULL","{}"}'),
  (1, 'c_date_arr', '[18460, -1]', NULL, '{2020-07-17,1969-12-31}'),
  (1, 'c_num_arr', '["EtaH", null]', NULL, '{123.4567,NULL}'),

  (2, 'c_smallint', '32767', NULL, '32767'),
  (2, 'c_integer', '-2147483648', NULL, '-2147483648'),
  (2, 'c_bigint', '9223372036854775807', NULL, '9223372036854775807'),
  (2, 'c_num38', to_jsonb(pg_temp.decimal_b64(-1)), NULL, '-0.0000000001'),
  (2, 'c_num65', to_jsonb(pg_temp.decimal_b64(0)), NULL, '0'),
  (2, 'c_numvar', jsonb_build_object('scale', 0, 'value', pg_temp.decimal_b64(-128)), NULL, '-128'),
  (2, 'c_ubig', '"AIAAAAAAAAAA"', NULL, '9223372036854775808'),
  (2, 'c_bigint_u', to_jsonb(pg_temp.decimal_b64(9223372036854775807)), NULL, '9223372036854775807'),
  (2, 'c_real', '-1.5e-10', NULL, '-1.5e-10'),
  (2, 'c_double', '1.7976931348623157e308', NULL, '1.7976931348623157e308'),
  (2, 'c_bool', 'false', NULL, 'false'),
  (2, 'c_text', '""', NULL, ''),
  (2, 'c_varchar', '"12345678901234567890"', NULL, '12345678901234567890'),
  (2, 'c_char', '"a"', NULL, 'a'),
  (2, 'c_bytea', '""', NULL, '\x'),
  (2, 'c_date', '-719528', NULL, '0001-01-01 BC'),
  (2, 'c_time', '86399999999', NULL, '23:59:59.999999'),
  (2, 'c_time3', '0', NULL, '00:00:00'),
  (2, 'c_timetz', '"00:00:00Z"', NULL, '00:00:00+00'),
  (2, 'c_ts', '-1000000000000001500', NULL, '1938-04-24 22:13:19.999998'),  -- tie: -...01.5 us to even
  (2, 'c_ts3', '253402300799999', NULL, '9999-12-31 23:59:59.999'),
  (2, 'c_ts6', '-62135596800000000', NULL, '0001-01-01 00:00:00'),
  (2, 'c_tstz', '"1969-12-31T23:59:59.999999Z"', NULL, '1969-12-31 23:59:59.999999+00'),
  (2, 'c_interval', '-1', NULL, '-00:00:00.000001'),
  (2, 'c_json', '"[]"', NULL, '[]'),
  (2, 'c_jsonb', to_jsonb('"str"'::text), NULL, '"str"'),
  (2, 'c_uuid', '"00000000-0000-0000-0000-000000000000"', NULL, '00000000-0000-0000-0000-000000000000'),
  (2, 'c_bit1', 'false', NULL, '0'),
  (2, 'c_bit', '""', NULL, '00000000'),                 -- BitSet of no set bit: no bytes
  (2, 'c_varbit', '"//8="', NULL, '1111111111111111'),
  (2, 'c_enum', '"sad"', NULL, 'sad'),
  (2, 'c_xml', '"<r/>"', NULL, '<r/>'),
  (2, 'c_int_arr', '[]', NULL, '{}'),
  (2, 'c_text_arr', '[""]', NULL, '{""}'),

  -- Debezium's LocalDate sentinel for 'infinity' (without a schema it must not be read as epoch
  -- milliseconds).
  (3, 'c_date', '2146033979', NULL, 'infinity'),
  (3, 'c_ts', '1595008822123456500', NULL, '2020-07-17 18:00:22.123456'),  -- tie: .5 us to even
  (3, 'c_ts3', '9223372036825200', NULL, 'infinity'),   -- PGStatement.DATE_POSITIVE_INFINITY / 1000
  (3, 'c_ts6', '-9223372036832400000', NULL, '-infinity'),
  (3, 'c_tstz', '"infinity"', NULL, 'infinity'),
  (3, 'c_interval', '2629800000000', NULL, '730:30:00');  -- '1 mon' as Debezium flattens it (30.4375 days)
DELETE FROM t08_values v WHERE NOT EXISTS (SELECT 1 FROM t08_fields f WHERE f.col = v.col);

-- Every (row, column), with the JSON values and the expected literal (NULL: SQL NULL).
CREATE VIEW t08_grid AS
    SELECT i AS id, f.pos, f.col, coalesce(v.ws, 'null') AS ws, coalesce(v.wo, v.ws, 'null') AS wo, v.expected
    FROM generate_series(1, 4) i CROSS JOIN t08_fields f LEFT JOIN t08_values v ON v.id = i AND v.col = f.col;

-- The Connect schema of one column.
CREATE FUNCTION pg_temp.field_schema(f t08_fields) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('type', f.connect_type, 'optional', true, 'field', f.col)
        || CASE WHEN f.logical IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('name', f.logical, 'version', 1) END
        || CASE WHEN f.params IS NULL THEN '{}'::jsonb
                WHEN f.connect_type = 'array' THEN jsonb_build_object('items', f.params)
                ELSE jsonb_build_object('parameters', f.params) END
        || CASE WHEN f.connect_type = 'struct'
                THEN '{"fields": [{"type": "int32", "optional": false, "field": "scale"},
                                  {"type": "bytes", "optional": false, "field": "value"}],
                       "doc": "Variable scaled decimal"}'::jsonb
                ELSE '{}'::jsonb END
$$;

-- The Debezium PostgreSQL connector's envelope schema of table public.all_types.
CREATE FUNCTION pg_temp.envelope_schema() RETURNS jsonb LANGUAGE sql AS $$
    WITH row_schema AS (
        SELECT jsonb_build_object('type', 'struct', 'optional', true, 'name', 'pg.public.all_types.Value',
                   'fields', '[{"type": "int32", "optional": false, "field": "id"}]'::jsonb
                             || (SELECT jsonb_agg(pg_temp.field_schema(f) ORDER BY f.pos) FROM t08_fields f)) AS s)
    SELECT jsonb_build_object('type', 'struct', 'optional', false, 'name', 'pg.public.all_types.Envelope', 'version', 1,
        'fields', jsonb_build_array(
            s || '{"field": "before"}', s || '{"field": "after"}',
            '{"type": "struct", "optional": false, "name": "io.debezium.connector.postgresql.Source", "field": "source",
              "fields": [{"type": "string", "optional": false, "field": "version"},
                         {"type": "string", "optional": false, "field": "connector"},
                         {"type": "string", "optional": false, "field": "name"},
                         {"type": "int64", "optional": false, "field": "ts_ms"},
                         {"type": "string", "optional": true, "name": "io.debezium.data.Enum", "version": 1,
                          "parameters": {"allowed": "true,last,false,incremental"}, "default": "false", "field": "snapshot"},
                         {"type": "string", "optional": false, "field": "db"},
                         {"type": "string", "optional": true, "field": "sequence"},
                         {"type": "string", "optional": false, "field": "schema"},
                         {"type": "string", "optional": false, "field": "table"},
                         {"type": "int64", "optional": true, "field": "txId"},
                         {"type": "int64", "optional": true, "field": "lsn"},
                         {"type": "int64", "optional": true, "field": "xmin"}]}'::jsonb,
            '{"type": "string", "optional": false, "field": "op"}'::jsonb,
            '{"type": "int64", "optional": true, "field": "ts_ms"}'::jsonb))
    FROM row_schema
$$;

-- A Debezium event of public.all_types: payload only, or with the schema envelope.
CREATE FUNCTION pg_temp.event(after jsonb, with_schema boolean, op text DEFAULT 'c') RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN with_schema THEN jsonb_build_object('schema', pg_temp.envelope_schema(), 'payload', p)
                ELSE p END::text
    FROM (SELECT jsonb_build_object('before', NULL, 'after', after, 'op', op, 'ts_ms', 1714557600123,
              'source', '{"version": "2.5.0.Final", "connector": "postgresql", "name": "pg", "ts_ms": 1714557600000,
                          "snapshot": "false", "db": "app", "sequence": "[null,\"34567896\"]", "schema": "public",
                          "table": "all_types", "txId": 771, "lsn": 34567896, "xmin": null}'::jsonb) AS p) x
$$;

-- Checks one column of one row against the expected literal, typed (IS NOT DISTINCT FROM, by
-- pgTAP's is()); json and xml have no equality and interval's ignores the form: compared as text.
CREATE FUNCTION pg_temp.check_value(tbl text, row_id int, col text, expected text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    typ text;
    result text;
    what text := format('%s row %s: %s = %s', tbl, row_id, col,
                        coalesce(replace(replace(expected, E'\n', '\n'), E'\t', '\t'), 'NULL'));
BEGIN
    SELECT format_type(atttypid, atttypmod) INTO typ FROM pg_attribute WHERE attrelid = tbl::regclass AND attname = col;
    EXECUTE format(CASE WHEN typ IN ('json', 'xml', 'interval')
                        THEN 'SELECT is(%I::text, %L::%s::text, %L) FROM %I WHERE id = %s'
                        ELSE 'SELECT is(%I, %L::%s, %L) FROM %I WHERE id = %s' END,
                   col, expected, typ, what, tbl, row_id) INTO result;
    RETURN coalesce(result, fail(what || ' (row missing)'));
END $$;

SELECT plan((SELECT 2 * count(*)::int FROM t08_grid) + 20);

SELECT cdc_test.create_topic('t08_schema', 1);
SELECT cdc_test.create_topic('t08_noschema', 1);
SELECT cdc_test.produce('t08_schema', $$
    SELECT 0, jsonb_build_object('id', id)::text,
           pg_temp.event(jsonb_build_object('id', id) || jsonb_object_agg(col, ws), true, CASE WHEN id <= 2 THEN 'r' ELSE 'c' END)
    FROM t08_grid GROUP BY id ORDER BY id$$);
SELECT cdc_test.produce('t08_noschema', $$
    SELECT 0, jsonb_build_object('id', id)::text,
           pg_temp.event(jsonb_build_object('id', id) || jsonb_object_agg(col, wo), false, CASE WHEN id <= 2 THEN 'r' ELSE 'c' END)
    FROM t08_grid GROUP BY id ORDER BY id$$);

SELECT cdc_sync.create_pipeline('t08s', cdc_test.brokers(), ARRAY['t08_schema']);
SELECT cdc_sync.add_sync_table('t08s', 'public\.all_types', 't08_schema');
-- Schema-less decimals come base64-encoded (the connector's default decimal.handling.mode=precise):
-- the pipeline says so.
SELECT cdc_sync.create_pipeline('t08n', cdc_test.brokers(), ARRAY['t08_noschema'], 'debezium',
                                '{"decimal_handling_mode": "precise"}');
SELECT cdc_sync.add_sync_table('t08n', 'public\.all_types', 't08_noschema');
SELECT cdc_sync.start_pipeline('t08s');
SELECT cdc_sync.start_pipeline('t08n');
SELECT ok(cdc_sync.wait_for_catchup('t08s', '60 s'), 'with schema: caught up');
SELECT ok(cdc_sync.wait_for_catchup('t08n', '60 s'), 'without schema: caught up');
SELECT is((SELECT count(*) FROM t08_schema), 4::bigint, 'with schema: 4 rows');
SELECT is((SELECT count(*) FROM t08_noschema), 4::bigint, 'without schema: 4 rows');

SELECT pg_temp.check_value('t08_schema', id, col, expected) FROM t08_grid ORDER BY id, pos;
SELECT pg_temp.check_value('t08_noschema', id, col, expected) FROM t08_grid ORDER BY id, pos;

SELECT set_eq('SELECT t::text FROM t08_schema t', 'SELECT t::text FROM t08_noschema t',
              'with and without schema: identical tables');

-- Values that cannot convert: dead letters whose error names the column and the value.
CREATE TABLE t08_bad (LIKE t08_schema INCLUDING ALL);
SELECT cdc_test.create_topic('t08_bad', 1);
SELECT cdc_test.produce('t08_bad', $$
    SELECT 0, NULL, v FROM (VALUES
      (0, pg_temp.event('{"id": 10, "c_integer": "abc"}', false)),
      (1, pg_temp.event((SELECT jsonb_build_object('id', 11) || jsonb_object_agg(col, ws) FROM t08_grid WHERE id = 1)
                        || '{"c_num38": "not base64!"}', true)),
      (2, pg_temp.event('{"id": 12, "c_date": "2020-13-45"}', false)),
      (3, pg_temp.event('{"id": 13, "c_bit": "101"}', false)),
      (4, pg_temp.event('{"id": 14, "c_text": "ok"}', false))) m(n, v) ORDER BY n$$);
SELECT cdc_sync.create_pipeline('t08d', cdc_test.brokers(), ARRAY['t08_bad'], 'debezium', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t08d', 'public\.all_types', 't08_bad');
SELECT cdc_sync.start_pipeline('t08d');
SELECT ok(cdc_sync.wait_for_catchup('t08d', '60 s'), 'bad values: caught up');
SELECT results_eq('SELECT id, c_text FROM t08_bad', $$VALUES (14, 'ok')$$, 'only the good row applied');
SELECT results_eq($$SELECT "offset" FROM cdc_sync.dead_letters WHERE pipeline = 't08d' ORDER BY "offset"$$,
                  'VALUES (0::bigint), (1), (2), (3)', 'the four bad messages are dead letters');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't08d' AND "offset" = 0),
               'invalid input syntax for type integer: "abc".*c_integer', '''abc'' into integer: names value and column');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't08d' AND "offset" = 1),
               'c_num38', 'a Decimal that is not base64: names the column');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't08d' AND "offset" = 1),
               'not base64!', 'a Decimal that is not base64: names the value (README: "its error names the column and the value")');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't08d' AND "offset" = 2),
               '"2020-13-45".*c_date', 'an impossible date: names value and column');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't08d' AND "offset" = 3),
               'c_bit.*101|101.*c_bit', '3 bits into bit(8): names value and column');

-- MySQL BINARY(16) holding a UUID (the flink-cdc sample's file_uuid) into a uuid column: without a
-- schema the base64 bytes become the uuid; the same event with its schema ("bytes") must too.
CREATE TABLE t08_uuid (id int PRIMARY KEY, file_uuid uuid);
SELECT cdc_test.create_topic('t08_uuid', 1);
SELECT cdc_test.produce('t08_uuid', $$
    SELECT 0, NULL, v FROM (VALUES
      (1, '{"before": null, "after": {"id": 1, "file_uuid": "ZRrtCDkPSJOy8TaSPnt0AA=="}, "op": "r",
            "source": {"connector": "mysql", "db": "column_type_test", "table": "full_types"}}'),
      (2, '{"schema": {"type": "struct", "optional": false, "name": "mysql.column_type_test.full_types.Envelope", "fields": [
              {"type": "struct", "optional": true, "name": "mysql.column_type_test.full_types.Value", "field": "after", "fields": [
                {"type": "int32", "optional": false, "field": "id"}, {"type": "bytes", "optional": true, "field": "file_uuid"}]},
              {"type": "string", "optional": false, "field": "op"}]},
            "payload": {"before": null, "after": {"id": 2, "file_uuid": "ZRrtCDkPSJOy8TaSPnt0AA=="}, "op": "r",
                        "source": {"connector": "mysql", "db": "column_type_test", "table": "full_types"}}}')) m(n, v)
    ORDER BY n$$);
SELECT cdc_sync.create_pipeline('t08u', cdc_test.brokers(), ARRAY['t08_uuid'], 'debezium', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t08u', 'column_type_test\.full_types', 't08_uuid');
SELECT cdc_sync.start_pipeline('t08u');
SELECT ok(cdc_sync.wait_for_catchup('t08u', '60 s'), 'BINARY(16) uuid: caught up');
SELECT results_eq('SELECT id, file_uuid FROM t08_uuid ORDER BY id',
                  $$VALUES (1, '651aed08-390f-4893-b2f1-36923e7b7400'::uuid), (2, '651aed08-390f-4893-b2f1-36923e7b7400')$$,
                  'BINARY(16) into uuid: the same value with and without schema');

-- MySQL BIT and binary columns as Canal and Maxwell write them. Canal: every value a string, BIT(n)
-- as an unsigned decimal, BINARY/BLOB bytes as ISO-8859-1 characters, typed by "mysqlType" (built as
-- text: jsonb cannot hold \u0000). Maxwell: BIT(n) a JSON number, bytes base64. Both rows must hold
-- the same values: bits into bit(n)/bit varying, BIT(1) into boolean, BIT(64) into numeric, bytes
-- into bytea, BINARY(16) into uuid.
CREATE TABLE t08_mysql (id int PRIMARY KEY, flags bit(8), vflags bit varying(8), b1 boolean, big numeric(20),
                        big_bits bit(64), bin bytea, blb bytea, u uuid);
SELECT cdc_test.create_topic('t08_canal', 1);
SELECT cdc_test.create_topic('t08_maxwell', 1);
SELECT cdc_test.produce('t08_canal', $q$
    SELECT 0, NULL, v FROM (VALUES
      (1, $m${"data":[{"id":"1","flags":"5","vflags":"5","b1":"1","big":"18446744073709551615","big_bits":"18446744073709551615","bin":"\u0000\u0001\u00ff\u00e9","blb":"\u00c3\u00a9","u":"e\u001a\u00ed\u00089\u000fH\u0093\u00b2\u00f16\u0092>{t\u0000"}],"database":"shop","isDdl":false,"mysqlType":{"id":"int(11)","flags":"bit(8)","vflags":"bit(8)","b1":"bit(1)","big":"bit(64)","big_bits":"bit(64)","bin":"binary(4)","blb":"longblob","u":"binary(16)"},"old":null,"pkNames":["id"],"table":"bits","type":"INSERT"}$m$),
      (2, $m${"data":[{"id":"3","flags":"abc"}],"database":"shop","isDdl":false,"mysqlType":{"id":"int(11)","flags":"bit(8)"},"old":null,"pkNames":["id"],"table":"bits","type":"INSERT"}$m$)) m(n, v)
    ORDER BY n$q$);
SELECT cdc_test.produce('t08_maxwell', $q$
    SELECT 0, NULL, $m${"database":"shop","table":"bits","type":"insert","ts":1714557600,"xid":8123,"commit":true,"data":{"id":2,"flags":5,"vflags":5,"b1":1,"big":18446744073709551615,"big_bits":18446744073709551615,"bin":"AAH/6Q==","blb":"w6k=","u":"ZRrtCDkPSJOy8TaSPnt0AA=="},"primary_key_columns":["id"]}$m$$q$);
SELECT cdc_sync.create_pipeline('t08c', cdc_test.brokers(), ARRAY['t08_canal'], 'canal', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t08c', 'shop.bits', 't08_mysql');
SELECT cdc_sync.create_pipeline('t08m', cdc_test.brokers(), ARRAY['t08_maxwell'], 'maxwell');
SELECT cdc_sync.add_sync_table('t08m', 'shop.bits', 't08_mysql');
SELECT cdc_sync.start_pipeline('t08c');
SELECT cdc_sync.start_pipeline('t08m');
SELECT ok(cdc_sync.wait_for_catchup('t08c', '60 s'), 'Canal BIT and bytes: caught up');
SELECT ok(cdc_sync.wait_for_catchup('t08m', '60 s'), 'Maxwell BIT and bytes: caught up');
SELECT results_eq($$SELECT flags, vflags, b1, big, big_bits, bin, blb, u FROM t08_mysql WHERE id = 1$$,
                  $$VALUES (B'00000101', B'00000101'::varbit, true, 18446744073709551615::numeric,
                            ~B'0000000000000000000000000000000000000000000000000000000000000000', '\x0001ffe9'::bytea,
                            '\xc3a9'::bytea, '651aed08-390f-4893-b2f1-36923e7b7400'::uuid)$$,
                  'Canal: BIT(n) by mysqlType into bit, varbit, boolean and numeric; bytes into bytea and uuid');
SELECT results_eq($$SELECT flags, vflags, b1, big, big_bits, bin, blb, u FROM t08_mysql WHERE id = 2$$,
                  $$SELECT flags, vflags, b1, big, big_bits, bin, blb, u FROM t08_mysql WHERE id = 1$$,
                  'Maxwell: the same values');
SELECT matches((SELECT error FROM cdc_sync.dead_letters WHERE pipeline = 't08c'),
               'flags.*bit\(8\).*abc', 'Canal BIT that is not a number: dead letter naming column, type and value');

SELECT cdc_sync.drop_pipeline(p) FROM unnest(ARRAY['t08c', 't08m']) p;

SELECT cdc_sync.drop_pipeline(p) FROM unnest(ARRAY['t08s', 't08n', 't08d', 't08u']) p;
SELECT * FROM finish();
