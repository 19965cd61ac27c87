-- One MySQL row with a column of every MySQL type, through every non-Debezium format: Canal, Maxwell,
-- AWS DMS and plain JSON. Each format gets the row encoded exactly as that tool writes it and applies
-- it into its own table (identical DDL); every column must then hold exactly the value MySQL held,
-- and the four tables must be identical.
--
-- Source truth: the flink-cdc sample cdc-samples/flink-cdc/column_type_test.sql (table full_types,
-- its DDL and its one INSERT). Values MySQL itself changes on the way in are expected as MySQL stores
-- them: NUMERIC(6,0) 345.6 is 346, SET 'a,b,a' is 'a,b', JSON is normalised to {"key1": "value1"}.
-- The MySQL server (and the Canal and Maxwell JVMs) run in UTC, so TIMESTAMP '2020-07-17 18:00:22'
-- is 18:00:22 UTC. Canal and Maxwell write it without a zone, which PostgreSQL reads in the server's
-- TimeZone: UTC on the test cluster, so those two checks hold only because both zones agree.
--
-- Each format's topic holds the whole row (offset 0, id 1), then the same row once per column with
-- only the key and that column (offset = the column's ord, id 100 + ord): what the tool writes with a
-- column filter (Canal canal.instance.filter.field, Maxwell --exclude_columns, a DMS remove-column
-- rule). The whole row proves the real message works; the single-column rows show each conversion on
-- its own, since a message with one bad value is a dead letter as a whole (on_error dead_letter, so
-- one bad message does not stop the rest).
--
-- How each tool writes each type, and where that is read from:
--   Canal   (alibaba/canal dbsync .../event/RowsLogBuffer.java, parse .../dbsync/LogEventConvert.java,
--            flat message from MQMessageUtils): every value a string; unsigned integers already
--            widened; FLOAT/DOUBLE by Float/Double.toString; DECIMAL by toPlainString; BIT(n) as an
--            unsigned decimal; DATETIME/TIMESTAMP as 'yyyy-MM-dd HH:mm:ss[.fff]' (TIMESTAMP in the
--            Canal JVM's zone); TIME 'HH:mm:ss'; YEAR '2021'; BINARY/BLOB bytes as ISO-8859-1
--            characters; ENUM as its 1-based index and SET as its bitmask (the binlog holds numbers
--            and Canal does not map them, alibaba/canal issues #157, #1008, #2610); JSON printed by
--            JsonConversion ('{"key1": "value1"}'); "mysqlType" gives each column's MySQL type.
--   Maxwell (zendesk/maxwell src/main/java/com/zendesk/maxwell/schema/columndef/*ColumnDef.java,
--            asJSON): integers and DECIMAL as JSON numbers (unsigned widened); FLOAT/DOUBLE as
--            numbers; BIT(n) as a number (BitColumnDef); DATETIME/TIMESTAMP 'yyyy-MM-dd HH:mm:ss'
--            plus the column's fraction digits; TIME 'HH:mm:ss'; YEAR a number; binary charsets in
--            base64 (StringColumnDef); ENUM its label; SET a JSON array of labels (SetColumnDef);
--            JSON embedded as a JSON value (JsonColumnDef, RawJSONString).
--   DMS     (Kafka target, JSON; awsdocs/aws-dms-user-guide CHAP_Source.MySQL.md type map and
--            CHAP_Target.Kafka.md): a full-load record ("operation": "load") -- values as SELECT
--            returns them. AWS documents no per-type JSON value format; the encodings are those of
--            real DMS Kafka/Kinesis records (integers as JSON numbers, date-times ISO 8601 with a
--            'Z': "2020-01-09T04:13:38Z") and of Qlik Replicate's Kafka JSON type table, the engine
--            DMS derives from (NUMERIC and UINT8 as strings, REAL4/REAL8 numbers, BOOLEAN true/false,
--            binary as hexadecimal) with the '0x' prefix DMS adds unless the endpoint sets
--            NoHexPrefix (KafkaSettings.NoHexPrefix). MySQL BIT maps to BOOLEAN, BIT(64) to BYTES(8),
--            TIME to STRING, YEAR to INT2, ENUM/SET to STRING, JSON to CLOB (the document's text).
--   JSON    what an application writes (Jackson defaults): numbers and booleans as JSON numbers and
--            booleans, dates and times ISO 8601, the UUID as its text, BIT(64) flags as a number,
--            bytes in base64 (Jackson's byte[] encoding), SET as MySQL's text 'a,b', JSON embedded.
--
-- Binlog-based tools never see BINARY(n)'s trailing 0x00 bytes: MySQL strips them when it writes a
-- row to the binlog (Field_string::pack), and neither Canal nor Maxwell pads them back
-- (mysql-binlog-connector-java issue #169, python-mysql-replication #400). file_uuid ends in 00, so
-- Canal and Maxwell carry 15 bytes; DMS's full load and the application carry all 16.
--
-- Expected values are MySQL's, with two exceptions for Maxwell, each given in maxwell_expected and
-- documented in the README: its BIT(64) value is wrong at the source (a bug in Maxwell, see ord 40),
-- and it writes SET as a JSON array, which a text column keeps as JSON text (map SET to text[] for
-- Maxwell, see ord 48).
\set ON_ERROR_STOP 1

-- The text Canal makes of binary bytes: each byte one ISO-8859-1 character.
CREATE FUNCTION pg_temp.latin1(b bytea) RETURNS jsonb LANGUAGE sql IMMUTABLE AS
$$ SELECT to_jsonb(convert_from(b, 'LATIN1')) $$;

-- The columns of full_types but its key `id` (which every message carries) and its spatial columns
-- (see the target DDL). ord: the column's place; canal_type: the column type in Canal's "mysqlType"
-- (MySQL 5.7 SHOW COLUMNS text); canal_sql_type: Canal's "sqlType" (java.sql.Types after
-- LogEventConvert's unsigned widening and BLOB/CLOB relabelling); expected: the value MySQL holds,
-- as a PostgreSQL literal of the target column's type; then each tool's JSON value.
CREATE TABLE t10_columns (
    ord int PRIMARY KEY, col text NOT NULL UNIQUE, canal_type text NOT NULL, canal_sql_type int NOT NULL,
    expected text NOT NULL, canal jsonb NOT NULL, maxwell jsonb NOT NULL, dms jsonb NOT NULL, app jsonb NOT NULL,
    maxwell_expected text);  -- what Maxwell's table holds when it differs from MySQL's value (see above)
INSERT INTO t10_columns (ord, col, canal_type, canal_sql_type, expected, canal, maxwell, dms, app) VALUES
  -- ord, col, Canal mysqlType, sqlType, expected, Canal, Maxwell, DMS, JSON
  (1,  'tiny_c',         'tinyint(4)',                      -6, '127',         '"127"', '127', '127', '127'),
  -- unsigned maxima are negative in the binlog; Canal and Maxwell add 2^bits (Canal then reports
  -- the next wider sqlType)
  (2,  'tiny_un_c',      'tinyint(3) unsigned',              5, '255',         '"255"', '255', '255', '255'),
  (3,  'tiny_un_z_c',    'tinyint(3) unsigned zerofill',     5, '255',         '"255"', '255', '255', '255'),
  (4,  'small_c',        'smallint(6)',                      5, '32767',       '"32767"', '32767', '32767', '32767'),
  (5,  'small_un_c',     'smallint(5) unsigned',             4, '65535',       '"65535"', '65535', '65535', '65535'),
  (6,  'small_un_z_c',   'smallint(5) unsigned zerofill',    4, '65535',       '"65535"', '65535', '65535', '65535'),
  (7,  'medium_c',       'mediumint(9)',                     4, '8388607',     '"8388607"', '8388607', '8388607', '8388607'),
  (8,  'medium_un_c',    'mediumint(8) unsigned',            4, '16777215',    '"16777215"', '16777215', '16777215', '16777215'),
  (9,  'medium_un_z_c',  'mediumint(8) unsigned zerofill',   4, '16777215',    '"16777215"', '16777215', '16777215', '16777215'),
  (10, 'int_c',          'int(11)',                          4, '2147483647',  '"2147483647"', '2147483647', '2147483647', '2147483647'),
  (11, 'int_un_c',       'int(10) unsigned',                -5, '4294967295',  '"4294967295"', '4294967295', '4294967295', '4294967295'),
  (12, 'int_un_z_c',     'int(10) unsigned zerofill',       -5, '4294967295',  '"4294967295"', '4294967295', '4294967295', '4294967295'),
  (13, 'int11_c',        'int(11)',                          4, '2147483647',  '"2147483647"', '2147483647', '2147483647', '2147483647'),
  (14, 'big_c',          'bigint(20)',                      -5, '9223372036854775807',
       '"9223372036854775807"', '9223372036854775807', '9223372036854775807', '9223372036854775807'),
  -- DMS UINT8: a string (Qlik Replicate's JSON type for UINT8)
  (15, 'big_un_c',       'bigint(20) unsigned',              3, '18446744073709551615',
       '"18446744073709551615"', '18446744073709551615', '"18446744073709551615"', '18446744073709551615'),
  (16, 'big_un_z_c',     'bigint(20) unsigned zerofill',     3, '18446744073709551615',
       '"18446744073709551615"', '18446744073709551615', '"18446744073709551615"', '18446744073709551615'),
  (17, 'varchar_c',      'varchar(255)',                    12, 'Hello World', '"Hello World"', '"Hello World"', '"Hello World"', '"Hello World"'),
  (18, 'char_c',         'char(3)',                          1, 'abc',         '"abc"', '"abc"', '"abc"', '"abc"'),
  -- REAL is DOUBLE in MySQL (unless sql_mode REAL_AS_FLOAT); FLOAT's float32 prints as typed
  -- (Float.toString, Jackson)
  (19, 'real_c',         'double',                           8, '123.102',     '"123.102"', '123.102', '123.102', '123.102'),
  (20, 'float_c',        'float',                            7, '123.102',     '"123.102"', '123.102', '123.102', '123.102'),
  (21, 'float_un_c',     'float unsigned',                   7, '123.103',     '"123.103"', '123.103', '123.103', '123.103'),
  (22, 'float_un_z_c',   'float unsigned zerofill',          7, '123.104',     '"123.104"', '123.104', '123.104', '123.104'),
  (23, 'double_c',       'double',                           8, '404.4443',    '"404.4443"', '404.4443', '404.4443', '404.4443'),
  (24, 'double_un_c',    'double unsigned',                  8, '404.4444',    '"404.4444"', '404.4444', '404.4444', '404.4444'),
  (25, 'double_un_z_c',  'double unsigned zerofill',         8, '404.4445',    '"404.4445"', '404.4445', '404.4445', '404.4445'),
  -- DECIMAL: Canal BigDecimal.toPlainString, Maxwell BigDecimal (a JSON number), DMS NUMERIC a string
  (26, 'decimal_c',      'decimal(8,4)',                     3, '123.4567',    '"123.4567"', '123.4567', '"123.4567"', '123.4567'),
  (27, 'decimal_un_c',   'decimal(8,4) unsigned',            3, '123.4568',    '"123.4568"', '123.4568', '"123.4568"', '123.4568'),
  (28, 'decimal_un_z_c', 'decimal(8,4) unsigned zerofill',   3, '123.4569',    '"123.4569"', '123.4569', '"123.4569"', '123.4569'),
  (29, 'numeric_c',      'decimal(6,0)',                     3, '346',         '"346"', '346', '"346"', '346'),  -- 345.6 rounded by MySQL
  (30, 'big_decimal_c',  'decimal(65,1)',                    3, '34567892.1',  '"34567892.1"', '34567892.1', '"34567892.1"', '34567892.1'),
  -- BIT(1): Canal the bit as a number, Maxwell the number of its bytes, DMS BOOLEAN
  (31, 'bit1_c',         'bit(1)',                          -7, 'false',       '"0"', '0', 'false', 'false'),
  (32, 'tiny1_c',        'tinyint(1)',                      -6, '1',           '"1"', '1', '1', '1'),
  -- BOOLEAN is TINYINT(1): every binlog tool and DMS (INT1) write 1
  (33, 'boolean_c',      'tinyint(1)',                      -6, 'true',        '"1"', '1', '1', 'true'),
  (34, 'date_c',         'date',                            91, '2020-07-17',  '"2020-07-17"', '"2020-07-17"', '"2020-07-17"', '"2020-07-17"'),
  (35, 'time_c',         'time',                            92, '18:00:22',    '"18:00:22"', '"18:00:22"', '"18:00:22"', '"18:00:22"'),
  -- DMS writes date-times ISO 8601 with 'Z', DATETIME too (it has no zone; the 'Z' is DMS's)
  (36, 'datetime3_c',    'datetime(3)',                     93, '2020-07-17 18:00:22.123',
       '"2020-07-17 18:00:22.123"', '"2020-07-17 18:00:22.123"', '"2020-07-17T18:00:22.123Z"', '"2020-07-17T18:00:22.123"'),
  (37, 'datetime6_c',    'datetime(6)',                     93, '2020-07-17 18:00:22.123456',
       '"2020-07-17 18:00:22.123456"', '"2020-07-17 18:00:22.123456"', '"2020-07-17T18:00:22.123456Z"', '"2020-07-17T18:00:22.123456"'),
  -- TIMESTAMP: Canal (new Timestamp(sec * 1000).toString()) and Maxwell (java.sql.Timestamp, default
  -- Calendar) print it in their JVM's zone, UTC here, without saying so
  (38, 'timestamp_c',    'timestamp',                       93, '2020-07-17 18:00:22+00',
       '"2020-07-17 18:00:22"', '"2020-07-17 18:00:22"', '"2020-07-17T18:00:22Z"', '"2020-07-17T18:00:22Z"'),
  -- BINARY(16): the binlog tools carry 15 bytes (trailing 00 stripped, see the header)
  (39, 'file_uuid',      'binary(16)',                    2004, '651aed08-390f-4893-b2f1-36923e7b7400',
       pg_temp.latin1('\x651aed08390f4893b2f136923e7b74'), '"ZRrtCDkPSJOy8TaSPnt0"',
       '"0x651AED08390F4893B2F136923E7B7400"', '"651aed08-390f-4893-b2f1-36923e7b7400"'),
  -- BIT(64) b'00000100' x 8 = 0x0404040404040404 = 289360691352306692. Maxwell's
  -- BitColumnDef.bytesToLong shifts an int ((bytes[i] & 0xFF) << (i * 8)): Java masks the shift to
  -- 5 bits, so bytes 4-7 land on bits 0-31 again and Maxwell writes 2 * 0x04040404 = 134744072.
  (40, 'bit_c',          'bit(64)',                         -7, '0000010000000100000001000000010000000100000001000000010000000100',
       '"289360691352306692"', '134744072', '"0x0404040404040404"', '289360691352306692'),
  (41, 'text_c',         'text',                          2005, 'text',        '"text"', '"text"', '"text"', '"text"'),
  -- UNHEX(HEX(16)) is the one byte 0x10
  (42, 'tiny_blob_c',    'tinyblob',                      2004, '\x10', pg_temp.latin1('\x10'), '"EA=="', '"0x10"', '"EA=="'),
  (43, 'blob_c',         'blob',                          2004, '\x10', pg_temp.latin1('\x10'), '"EA=="', '"0x10"', '"EA=="'),
  (44, 'medium_blob_c',  'mediumblob',                    2004, '\x10', pg_temp.latin1('\x10'), '"EA=="', '"0x10"', '"EA=="'),
  (45, 'long_blob_c',    'longblob',                      2004, '\x10', pg_temp.latin1('\x10'), '"EA=="', '"0x10"', '"EA=="'),
  (46, 'year_c',         'year(4)',                         12, '2021',        '"2021"', '2021', '2021', '2021'),
  -- ENUM: Canal its 1-based index, SET: Canal its bitmask (a = 1, b = 2), Maxwell an array
  (47, 'enum_c',         'enum(''red'',''white'')',          4, 'red',         '"1"', '"red"', '"red"', '"red"'),
  (48, 'set_c',          'set(''a'',''b'')',                -7, 'a,b',         '"3"', '["a", "b"]', '"a,b"', '"a,b"'),
  (49, 'json_c',         'json',                            12, '{"key1": "value1"}',
       to_jsonb('{"key1": "value1"}'::text), '{"key1": "value1"}', to_jsonb('{"key1": "value1"}'::text), '{"key1": "value1"}'),
  (50, 'varchar_len0_c', 'varchar(0)',                      12, '',            '""', '""', '""', '""');

-- Maxwell's two exceptions (see the header): the bits of the 134744072 it writes for BIT(64), and
-- its SET array kept as JSON text by a text column.
UPDATE t10_columns SET maxwell_expected = '0000000000000000000000000000000000001000000010000000100000001000'
WHERE col = 'bit_c';
UPDATE t10_columns SET maxwell_expected = '["a", "b"]' WHERE col = 'set_c';

-- The target of every format: each MySQL type as its natural PostgreSQL type. full_types' spatial
-- columns (point_c, geometry_c, linestring_c, polygon_c, multipoint_c, multiline_c, multipolygon_c,
-- geometrycollection_c) are left out: PostgreSQL has no spatial type without PostGIS, and the tools
-- write four different things (Canal MySQL's internal SRID + WKB bytes as ISO-8859-1 text, Maxwell
-- WKT text, DMS a BLOB in hex, Debezium {"wkb", "srid"}), so there is no one exact target to check.
CREATE TABLE t10_canal (
    id             numeric(20,0) PRIMARY KEY,  -- SERIAL: BIGINT UNSIGNED NOT NULL AUTO_INCREMENT
    tiny_c         smallint,
    tiny_un_c      smallint,                   -- TINYINT UNSIGNED: 0..255
    tiny_un_z_c    smallint,                   -- ZEROFILL only pads MySQL's display
    small_c        smallint,
    small_un_c     integer,
    small_un_z_c   integer,
    medium_c       integer,
    medium_un_c    integer,
    medium_un_z_c  integer,
    int_c          integer,
    int_un_c       bigint,
    int_un_z_c     bigint,
    int11_c        integer,
    big_c          bigint,
    big_un_c       numeric(20,0),              -- BIGINT UNSIGNED: up to 2^64 - 1
    big_un_z_c     numeric(20,0),
    varchar_c      varchar(255),
    char_c         char(3),
    real_c         double precision,           -- MySQL REAL is DOUBLE
    float_c        real,
    float_un_c     real,
    float_un_z_c   real,
    double_c       double precision,
    double_un_c    double precision,
    double_un_z_c  double precision,
    decimal_c      numeric(8,4),
    decimal_un_c   numeric(8,4),
    decimal_un_z_c numeric(8,4),
    numeric_c      numeric(6,0),
    big_decimal_c  numeric(65,1),
    bit1_c         boolean,                    -- BIT is BIT(1)
    tiny1_c        smallint,                   -- TINYINT(1): a number with display width 1
    boolean_c      boolean,                    -- BOOLEAN: TINYINT(1) declared as a truth value
    date_c         date,
    time_c         time(0),
    datetime3_c    timestamp(3),
    datetime6_c    timestamp(6),
    timestamp_c    timestamptz(0),             -- TIMESTAMP is an instant (stored in UTC)
    file_uuid      uuid,                       -- BINARY(16) holding a UUID
    bit_c          bit(64),
    text_c         text,
    tiny_blob_c    bytea,
    blob_c         bytea,
    medium_blob_c  bytea,
    long_blob_c    bytea,
    year_c         smallint,
    enum_c         text,
    set_c          text,
    json_c         jsonb,
    varchar_len0_c text                        -- VARCHAR(0): PostgreSQL has no varchar(0)
);
CREATE TABLE t10_maxwell (LIKE t10_canal INCLUDING ALL);
CREATE TABLE t10_dms (LIKE t10_canal INCLUDING ALL);
CREATE TABLE t10_json (LIKE t10_canal INCLUDING ALL);

-- The messages: the whole row (row_id 1, only_ord NULL) or the key plus column only_ord.

-- A Canal flat message (MQMessageUtils.messageConverter): one INSERT row, its mysqlType and sqlType.
CREATE FUNCTION pg_temp.canal_message(row_id int, only_ord int, OUT key text, OUT value text) LANGUAGE sql AS $$
    SELECT NULL::text, jsonb_build_object(
        'data', jsonb_build_array(jsonb_build_object('id', row_id::text) || jsonb_object_agg(col, canal)),
        'database', 'column_type_test', 'table', 'full_types', 'type', 'INSERT', 'isDdl', false,
        'es', 1595008822000, 'ts', 1595008822517, 'id', row_id, 'sql', '', 'old', NULL,
        'pkNames', jsonb_build_array('id'),
        'mysqlType', jsonb_build_object('id', 'bigint(20) unsigned') || jsonb_object_agg(col, canal_type),
        'sqlType', jsonb_build_object('id', -5) || jsonb_object_agg(col, canal_sql_type))::text
    FROM t10_columns WHERE only_ord IS NULL OR ord = only_ord
$$;

-- A Maxwell insert, keyed as Maxwell keys by default (database, table, pk.<column>).
CREATE FUNCTION pg_temp.maxwell_message(row_id int, only_ord int, OUT key text, OUT value text) LANGUAGE sql AS $$
    SELECT jsonb_build_object('database', 'column_type_test', 'table', 'full_types', 'pk.id', row_id)::text,
           jsonb_build_object('database', 'column_type_test', 'table', 'full_types', 'type', 'insert',
                              'ts', 1595008822, 'xid', 8123, 'commit', true,
                              'data', jsonb_build_object('id', row_id) || jsonb_object_agg(col, maxwell))::text
    FROM t10_columns WHERE only_ord IS NULL OR ord = only_ord
$$;

-- A DMS full-load data record (IncludeNullAndEmpty on, so the empty VARCHAR(0) is sent).
CREATE FUNCTION pg_temp.dms_message(row_id int, only_ord int, OUT key text, OUT value text) LANGUAGE sql AS $$
    SELECT NULL::text, jsonb_build_object(
        'data', jsonb_build_object('id', row_id::text) || jsonb_object_agg(col, dms),
        'metadata', jsonb_build_object('timestamp', '2020-07-17T18:00:23.104726Z', 'record-type', 'data',
                                       'operation', 'load', 'partition-key-type', 'primary-key',
                                       'schema-name', 'column_type_test', 'table-name', 'full_types'))::text
    FROM t10_columns WHERE only_ord IS NULL OR ord = only_ord
$$;

-- A plain JSON event: the row itself.
CREATE FUNCTION pg_temp.json_message(row_id int, only_ord int, OUT key text, OUT value text) LANGUAGE sql AS $$
    SELECT NULL::text, (jsonb_build_object('id', row_id) || jsonb_object_agg(col, app))::text
    FROM t10_columns WHERE only_ord IS NULL OR ord = only_ord
$$;

-- Produces the whole row (offset 0) and then each column alone (offset ord, row id 100 + ord).
CREATE FUNCTION pg_temp.produce_row(topic text, builder text) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.create_topic(topic, 1);
    SELECT cdc_test.produce(topic, format(
        $q$SELECT 0, m.key, m.value
           FROM (SELECT 0 AS n, 1 AS row_id, NULL::int AS ord
                 UNION ALL SELECT ord, 100 + ord, ord FROM t10_columns) r,
                LATERAL %s(r.row_id, r.ord) m
           ORDER BY r.n$q$, builder))
$$;

-- Checks one column of one row against MySQL's value, typed (pgTAP is(): IS NOT DISTINCT FROM); a
-- missing row fails with the dead letter of its message.
CREATE FUNCTION pg_temp.check_value(tbl text, pipeline text, row_id int, msg_offset int, col text,
                                    expected text, what text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    typ text;
    result text;
    why text;
BEGIN
    SELECT format_type(atttypid, atttypmod) INTO typ FROM pg_attribute WHERE attrelid = tbl::regclass AND attname = col;
    EXECUTE format('SELECT is(%I, %L::%s, %L) FROM %I WHERE id = %s', col, expected, typ, what, tbl, row_id) INTO result;
    IF result IS NULL THEN
        SELECT string_agg(d.error, '; ') INTO why FROM cdc_sync.dead_letters d
        WHERE d.pipeline = check_value.pipeline AND d."offset" = msg_offset;
        result := fail(what) || E'\n' || diag(format('row %s missing; dead letter: %s', row_id, coalesce(why, 'none')));
    END IF;
    RETURN result;
END $$;

-- The columns whose values differ between two tables, over all their rows (the whole row and the
-- single-column rows); a row only one table has counts as a difference.
CREATE FUNCTION pg_temp.same_table(a text, b text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    diff text;
BEGIN
    EXECUTE format($q$
        WITH ra AS (SELECT t.id, to_jsonb(t) AS r FROM %I t), rb AS (SELECT t.id, to_jsonb(t) AS r FROM %I t)
        SELECT string_agg(d, '; ' ORDER BY id, d) FROM (
            SELECT id, format('row %%s only in %%s', id, CASE WHEN ra.r IS NULL THEN %L ELSE %L END) AS d
            FROM ra FULL JOIN rb USING (id) WHERE ra.r IS NULL OR rb.r IS NULL
            UNION ALL
            SELECT id, format('row %%s %%s: %%s vs %%s', id, x.key, x.value, y.value)
            FROM ra JOIN rb USING (id), jsonb_each(ra.r) x JOIN jsonb_each(rb.r) y USING (key)
            WHERE x.value IS DISTINCT FROM y.value) diffs$q$, a, b, b, a) INTO diff;
    RETURN ok(diff IS NULL, format('%s and %s hold the same rows', a, b))
           || CASE WHEN diff IS NULL THEN '' ELSE E'\n' || diag('differences: ' || diff) END;
END $$;

SELECT plan(4 + 4 + 2 * 4 * (SELECT count(*)::int FROM t10_columns) + 6);

SELECT pg_temp.produce_row('t10_canal', 'pg_temp.canal_message');
SELECT pg_temp.produce_row('t10_maxwell', 'pg_temp.maxwell_message');
SELECT pg_temp.produce_row('t10_dms', 'pg_temp.dms_message');
SELECT pg_temp.produce_row('t10_json', 'pg_temp.json_message');

SELECT cdc_sync.create_pipeline('t10c', cdc_test.brokers(), ARRAY['t10_canal'], 'canal', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t10c', 'column_type_test\.full_types', 't10_canal');
SELECT cdc_sync.create_pipeline('t10m', cdc_test.brokers(), ARRAY['t10_maxwell'], 'maxwell', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t10m', 'column_type_test\.full_types', 't10_maxwell');
SELECT cdc_sync.create_pipeline('t10d', cdc_test.brokers(), ARRAY['t10_dms'], 'dms', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t10d', 'column_type_test\.full_types', 't10_dms');
SELECT cdc_sync.create_pipeline('t10j', cdc_test.brokers(), ARRAY['t10_json'], 'json',
                                '{"on_error": "dead_letter", "topic_sources": {"t10_json": "column_type_test.full_types"}}');
SELECT cdc_sync.add_sync_table('t10j', 'column_type_test\.full_types', 't10_json');
SELECT cdc_sync.start_pipeline(p) FROM unnest(ARRAY['t10c', 't10m', 't10d', 't10j']) p;

-- The value format n's table must hold for column c (Maxwell's exceptions, see the header).
CREATE FUNCTION pg_temp.expected(n int, c t10_columns) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN n = 2 THEN coalesce(c.maxwell_expected, c.expected) ELSE c.expected END
$$;

-- The four formats, in one place: pipeline, table and label.
CREATE TABLE t10_formats (n int, label text, pipeline text, tbl text);
INSERT INTO t10_formats VALUES (1, 'canal', 't10c', 't10_canal'), (2, 'maxwell', 't10m', 't10_maxwell'),
                               (3, 'dms', 't10d', 't10_dms'), (4, 'json', 't10j', 't10_json');

SELECT ok(cdc_sync.wait_for_catchup(pipeline, '60 s'), label || ': caught up') FROM t10_formats ORDER BY n;

-- The real message: the whole row in one message must be applied, not dead-lettered.
SELECT is((SELECT string_agg(d.error, '; ') FROM cdc_sync.dead_letters d WHERE d.pipeline = f.pipeline AND d."offset" = 0),
          NULL, f.label || ': the whole row (one message) is applied, not a dead letter')
FROM t10_formats f ORDER BY n;

-- Every column of the whole row, then every column alone; the description shows what the tool wrote.
SELECT pg_temp.check_value(f.tbl, f.pipeline, 1, 0, c.col, pg_temp.expected(f.n, c),
           format('%s: %s = %s (message: %s)', f.label, c.col, pg_temp.expected(f.n, c),
                  CASE f.n WHEN 1 THEN c.canal WHEN 2 THEN c.maxwell WHEN 3 THEN c.dms ELSE c.app END))
FROM t10_formats f CROSS JOIN t10_columns c ORDER BY f.n, c.ord;
SELECT pg_temp.check_value(f.tbl, f.pipeline, 100 + c.ord, c.ord, c.col, pg_temp.expected(f.n, c),
           format('%s, column alone: %s = %s (message: %s)', f.label, c.col, pg_temp.expected(f.n, c),
                  CASE f.n WHEN 1 THEN c.canal WHEN 2 THEN c.maxwell WHEN 3 THEN c.dms ELSE c.app END))
FROM t10_formats f CROSS JOIN t10_columns c ORDER BY f.n, c.ord;

-- The four tables against each other (Maxwell's without the columns it gets wrong or writes as JSON).
ALTER TABLE t10_maxwell DROP COLUMN bit_c, DROP COLUMN set_c;
SELECT pg_temp.same_table(a.tbl, b.tbl) FROM t10_formats a JOIN t10_formats b ON a.n < b.n ORDER BY a.n, b.n;

SELECT cdc_sync.drop_pipeline(pipeline) FROM t10_formats ORDER BY n;
SELECT * FROM finish();
