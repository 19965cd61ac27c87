-- The changes test/stack/types/run.sh makes after every connector's snapshot has ended, so each
-- arrives once, streamed from the binlog: inserts (op 'c') of the snapshot's edge rows again and of
-- more edge values, updates that change every column, deletes, a primary-key change, and a
-- TRUNCATE (of aux). The final state is compared with PostgreSQL column by column.
USE types;
SET time_zone = '+00:00';

-- Rows 11..16: rows 1..6 again, now streamed (the binlog's encodings, not the snapshot's JDBC reads).
SET sql_mode = '';
CREATE TEMPORARY TABLE copy AS SELECT * FROM all_types;
UPDATE copy SET id = id + 10;
INSERT INTO all_types SELECT * FROM copy ORDER BY id;
DROP TEMPORARY TABLE copy;
SET sql_mode = DEFAULT;

-- Row 7: values at the edges of the encodings rather than of the types: around the epoch (a
-- microsecond timestamp there is a small number), negative fractions, one microsecond, negative
-- zero, the smallest subnormal double, JSON null and scalars, whitespace-only and control text.
INSERT INTO all_types VALUES
(7, -1, 1, 1, -1, 1, -1, 1, -1, 1, 1, -1, 9223372036854775808, true, 0,
  -0.0, 1.17549e-38, 0.001, 2.2250738585072014e-308, -0.0, -5e-324, 4.9e-324,
  -0.01, 0.01, 0, -0.4, 0.00001,
  -1, -0.000000000000000000000000000001,
  b'0', b'0000000001', b'1000000000000000000000000000000000000000000000000000000000000000',
  '1970-01-01', '1969-12-31', '-00:00:01', '00:00:00.001', '00:00:00.000001',
  '1970-01-01 00:00:00', '1969-12-31 23:59:59.999', '1970-01-01 00:00:00.000001',
  '1970-01-01 00:00:01', '1970-01-01 00:00:01.000001', 1970,
  ' a', '   ', '', 'Ärger ½ ÿ', 'a b',
  'tab\there', 'line\nbreak\r\nCRLF', 'quote '' " \\ backslash', CONCAT('nul', CHAR(1), 'ctrl', CHAR(27)),
  UNHEX('00'), UNHEX('00'), UNHEX('00'), UNHEX('5c78'), UNHEX('ff'), UNHEX('0d0a'),
  'white', 'c', 'null',
  ST_GeomFromText('POINT(0.1 -0.1)'), ST_GeomFromText('LINESTRING(1 1, 2 2)'),
  ST_GeomFromText('LINESTRING(1 1, 2 2)'), ST_GeomFromText('POLYGON((0 0, 1 0, 0 1, 0 0))'),
  ST_GeomFromText('MULTIPOINT(5 5)'), ST_GeomFromText('MULTILINESTRING((1 2, 3 4), (5 6, 7 8))'),
  ST_GeomFromText('MULTIPOLYGON(((0 0, 2 0, 2 2, 0 0)), ((3 3, 4 3, 4 4, 3 3)))'),
  ST_GeomFromText('GEOMETRYCOLLECTION(LINESTRING(0 0, 1 1), POINT(2 2))', 3857),
  '1970-01-01 00:00:00.000001', '1970-01-01 00:00:01.000001', '1970-01-01',
  UNHEX('00000000000000000000000000000001'), b'0000000001', 1970, 'null', 'white', 0);

-- Row 8: inserted and deleted within the stream.
INSERT INTO all_types (id, int_c, varchar_c) VALUES (8, 8, 'short-lived');

-- Every column of row 1 (a snapshot row) changes: the values of row 7 with small changes.
UPDATE all_types SET
  tiny_c = -2, tiny_un_c = 2, tiny_z_c = 2, small_c = -2, small_un_c = 2, medium_c = -2, medium_un_c = 2,
  int_c = -2, int_un_c = 2, int_z_c = 2, big_c = -2, big_un_c = 9223372036854775809, bool_c = false, tiny1_c = 2,
  float_c = 0.1, float_un_c = 1e-45, float_md_c = -0.001, float53_c = 0.1, double_c = 0.1, real_c = 1e-300,
  double_un_c = 1e300,
  dec_c = 0.10, dec_un_c = 0.02, dec_default_c = -1, numeric_c = 1, dec_frac_c = 0.1,
  dec_65_0_c = 10000000000000000000000000000000000000000000000000000000000000000,
  dec_65_30_c = 0.000000000000000000000000000001,
  bit1_c = b'0', bit10_c = b'1000000000', bit64_c = b'1',
  date_c = '1969-12-31', date_nn_c = '1970-01-02', time_c = '-12:00:00', time3_c = '-00:00:00.999',
  time6_c = '12:00:00.5', datetime_c = '1969-12-31 23:59:59', datetime3_c = '1970-01-01 00:00:00.001',
  datetime6_c = '1969-12-31 23:59:59.999999', ts_c = '2000-02-29 12:00:00', ts6_c = '2000-02-29 12:00:00.5',
  year_c = 1999,
  char_c = 'ünïcödé', varchar_c = '😀 emoji 中文', varchar0_c = NULL, latin1_c = 'Ç', ascii_c = '',
  tinytext_c = '', text_c = '😀', mediumtext_c = 'x', longtext_c = '',
  binary_c = UNHEX('0102'), varbinary_c = '', tinyblob_c = '', blob_c = UNHEX('00ff'), mediumblob_c = '',
  longblob_c = UNHEX('00'),
  enum_c = 'blå', set_c = 'c,a', json_c = '{"a": {"b": [1, {"c": null}]}, "e": [], "o": {}}',
  point_c = ST_GeomFromText('POINT(2 3)', 4326), geometry_c = ST_GeomFromText('MULTIPOINT(1 1, 2 2)'),
  linestring_c = ST_GeomFromText('LINESTRING(9 9, 8 8)'),
  polygon_c = ST_GeomFromText('POLYGON((0 0, 5 0, 5 5, 0 0))'), multipoint_c = ST_GeomFromText('MULTIPOINT(7 7)'),
  multilinestring_c = ST_GeomFromText('MULTILINESTRING((0 0, 9 9))'),
  multipolygon_c = ST_GeomFromText('MULTIPOLYGON(((1 1, 2 1, 2 2, 1 1)))'),
  geomcoll_c = ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1))'),
  dt6_tz_c = '1969-12-31 23:59:59.999999', ts6_plain_c = '2000-02-29 12:00:00.5', date_ts_c = '1969-12-31',
  uuid_c = UNHEX('0102'), bit10_varbit_c = b'1000000000', year_int_c = 1999, json_json_c = '[1, 2]',
  enum_pg_c = 'blå', dec_int_c = -1
WHERE id = 1;

-- Row 2 (all NULL, a snapshot row) takes every value of row 3 (the maxima); row 13 (the streamed
-- maxima) becomes all NULL; two rows change in one statement.
SET @columns = (SELECT GROUP_CONCAT(CONCAT('a.`', COLUMN_NAME, '` = b.`', COLUMN_NAME, '`') ORDER BY ORDINAL_POSITION)
                FROM information_schema.COLUMNS
                WHERE TABLE_SCHEMA = 'types' AND TABLE_NAME = 'all_types' AND COLUMN_NAME <> 'id');
EXECUTE IMMEDIATE CONCAT('UPDATE all_types a JOIN all_types b ON b.id = 3 SET ', @columns, ' WHERE a.id = 2');
SET @nulls = (SELECT GROUP_CONCAT(CONCAT('`', COLUMN_NAME, '` = NULL') ORDER BY ORDINAL_POSITION)
              FROM information_schema.COLUMNS
              WHERE TABLE_SCHEMA = 'types' AND TABLE_NAME = 'all_types' AND IS_NULLABLE = 'YES');
EXECUTE IMMEDIATE CONCAT('UPDATE all_types SET ', @nulls, ' WHERE id = 13');
UPDATE all_types SET varchar_c = CONCAT(varchar_c, '+'), int_z_c = 42 WHERE id IN (11, 12, 14);

-- Deletes: a snapshot row, a streamed copy of it, and a row inserted in the stream.
DELETE FROM all_types WHERE id IN (6, 16);
DELETE FROM all_types WHERE id = 8;

-- A primary-key change: row 7 moves to 107 (Debezium: a delete of 7, then a create of 107).
UPDATE all_types SET id = 107 WHERE id = 7;

-- TRUNCATE (emitted because the connectors set skipped.operations=none): aux ends with 4 and 5.
INSERT INTO aux VALUES (3, 'three', 3.33, 3, '03:03:03.3');
TRUNCATE TABLE aux;
INSERT INTO aux VALUES (4, 'four', 4.44, 9223372036854775808, '04:04:04.000004'), (5, 'five', NULL, NULL, NULL);
UPDATE aux SET v = 'FOUR', d = -4.44 WHERE id = 4;

-- What PostgreSQL cannot hold (rows 2 and 3), between changes it can.
INSERT INTO rejects VALUES (2, CONCAT('nul', CHAR(0), 'byte'), NULL);
INSERT INTO rejects VALUES (3, 'fine', '{"a": "\\u0000"}');
UPDATE rejects SET txt = 'fine again' WHERE id = 1;
INSERT INTO rejects VALUES (4, 'after', '[]');
