-- The source of test/stack/types/run.sh: a MariaDB table with a column of every MySQL/MariaDB type
-- Debezium's MySQL connector reads, and the rows that exist before the connectors start (so they
-- arrive as snapshot reads, op 'r'). changes.sql later inserts copies of them (op 'c'), updates,
-- deletes and moves them. Column names say the type; the comparison (compare.sql) reads each
-- column's type from information_schema, so a column added here is compared without more code.
--
-- Row 1: ordinary values. Row 2: every nullable column NULL. Row 3: every maximum (TEXT and BLOB
-- columns full, MEDIUM and LONG ones past 64 KiB, but small enough that an update's before and
-- after images stay within Kafka's default 1 MB message). Row 4: every
-- minimum. Row 5: MySQL's zero and invalid values (zero dates, an out-of-list ENUM, YEAR 0000),
-- written with sql_mode ''. Row 6: deleted later.
CREATE DATABASE types CHARACTER SET utf8mb4;
USE types;
CREATE TABLE all_types (
  id INT NOT NULL PRIMARY KEY,
  tiny_c TINYINT, tiny_un_c TINYINT UNSIGNED, tiny_z_c TINYINT UNSIGNED ZEROFILL,
  small_c SMALLINT, small_un_c SMALLINT UNSIGNED,
  medium_c MEDIUMINT, medium_un_c MEDIUMINT UNSIGNED,
  int_c INT, int_un_c INT UNSIGNED, int_z_c INT(10) UNSIGNED ZEROFILL,
  big_c BIGINT, big_un_c BIGINT UNSIGNED,
  bool_c BOOLEAN, tiny1_c TINYINT(1),
  float_c FLOAT, float_un_c FLOAT UNSIGNED, float_md_c FLOAT(7,3), float53_c FLOAT(53),
  double_c DOUBLE, real_c REAL, double_un_c DOUBLE UNSIGNED,
  dec_c DECIMAL(10,2), dec_un_c DECIMAL(10,2) UNSIGNED ZEROFILL, dec_default_c DECIMAL, numeric_c NUMERIC(6,0),
  dec_frac_c DECIMAL(5,5), dec_65_0_c DECIMAL(65,0), dec_65_30_c DECIMAL(65,30),
  bit1_c BIT(1), bit10_c BIT(10), bit64_c BIT(64),
  date_c DATE, date_nn_c DATE NOT NULL DEFAULT '1999-12-31',
  time_c TIME, time3_c TIME(3), time6_c TIME(6),
  datetime_c DATETIME, datetime3_c DATETIME(3), datetime6_c DATETIME(6),
  ts_c TIMESTAMP NULL, ts6_c TIMESTAMP(6) NULL,
  year_c YEAR,
  char_c CHAR(10), varchar_c VARCHAR(255), varchar0_c VARCHAR(0),
  latin1_c VARCHAR(20) CHARACTER SET latin1, ascii_c CHAR(5) CHARACTER SET ascii,
  tinytext_c TINYTEXT, text_c TEXT, mediumtext_c MEDIUMTEXT, longtext_c LONGTEXT,
  binary_c BINARY(16), varbinary_c VARBINARY(64),
  tinyblob_c TINYBLOB, blob_c BLOB, mediumblob_c MEDIUMBLOB, longblob_c LONGBLOB,
  enum_c ENUM('red', 'white', 'blå'), set_c SET('a', 'b', 'c'), json_c JSON,
  point_c POINT, geometry_c GEOMETRY, linestring_c LINESTRING, polygon_c POLYGON,
  multipoint_c MULTIPOINT, multilinestring_c MULTILINESTRING, multipolygon_c MULTIPOLYGON,
  geomcoll_c GEOMETRYCOLLECTION,
  -- The same types again, for other PostgreSQL targets a user may choose (postgres.sql): DATETIME
  -- into timestamptz, TIMESTAMP into timestamp, DATE into timestamp, BINARY(16) into uuid, BIT(10)
  -- into bit varying, YEAR into integer, JSON into json, ENUM into an enum type, DECIMAL(18,0)
  -- into bigint.
  dt6_tz_c DATETIME(6), ts6_plain_c TIMESTAMP(6) NULL, date_ts_c DATE, uuid_c BINARY(16),
  bit10_varbit_c BIT(10), year_int_c YEAR, json_json_c JSON, enum_pg_c ENUM('red', 'white', 'blå'),
  dec_int_c DECIMAL(18,0)
);

-- A second table for TRUNCATE (the types table keeps its rows for the comparison). Its first
-- row's d, u and t also show run.sh that each connector's configuration took effect (the forms
-- of a DECIMAL, a BIGINT UNSIGNED and a TIME(6) in its messages).
CREATE TABLE aux (id INT NOT NULL PRIMARY KEY, v VARCHAR(20), d DECIMAL(5,2), u BIGINT UNSIGNED, t TIME(6));
INSERT INTO aux VALUES (1, 'one', 1.50, 18446744073709551615, '12:34:56.789012'), (2, 'two', -0.01, 1, '00:00:00');

-- Values MariaDB holds and PostgreSQL cannot: a NUL character in text, and the JSON escape \u0000
-- (jsonb refuses it). changes.sql inserts them; their messages must become dead letters.
CREATE TABLE rejects (id INT NOT NULL PRIMARY KEY, txt VARCHAR(20), j JSON);
INSERT INTO rejects VALUES (1, 'fine', '{"a": 1}');

SET time_zone = '+00:00';
INSERT INTO all_types VALUES
(1, 127, 255, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 4294967295,
  9223372036854775807, 18446744073709551615, true, 1,
  123.102, 123.103, 1234.567, 404.4443, 404.4444, 123.102, 404.4445,
  12345678.90, 1234.56, 345, 345.6, 0.5,
  12345678901234567890123456789012345678901234567890123456789012345,
  12345678901234567890123456789012345.123456789012345678901234567890,
  b'1', b'1010101010', b'0000010000000100000001000000010000000100000001000000010000000100',
  '2020-07-17', '2020-07-18', '18:00:22', '18:00:22.123', '18:00:22.123456',
  '2020-07-17 18:00:22', '2020-07-17 18:00:22.123', '2020-07-17 18:00:22.123456',
  '2020-07-17 18:00:22', '2020-07-17 18:00:22.123456', 2021,
  'abc', 'Hello World', '', 'café', 'abc',
  'tiny', 'text', 'medium', 'long',
  UNHEX('651aed08390f4893b2f136923e7b7400'), UNHEX('0010ff'),
  UNHEX('10'), UNHEX('1020'), UNHEX('102030'), UNHEX('10203040'),
  'red', 'a,b', '{"key1": "value1"}',
  ST_GeomFromText('POINT(1 1)'), ST_GeomFromText('POLYGON((1 1, 2 1, 2 2, 1 2, 1 1))'),
  ST_GeomFromText('LINESTRING(3 0, 3 3, 3 5)'), ST_GeomFromText('POLYGON((1 1, 2 1, 2 2, 1 2, 1 1))'),
  ST_GeomFromText('MULTIPOINT(1 1, 2 2)'), ST_GeomFromText('MULTILINESTRING((1 1, 2 2, 3 3), (4 4, 5 5))'),
  ST_GeomFromText('MULTIPOLYGON(((0 0, 10 0, 10 10, 0 10, 0 0)), ((5 5, 7 5, 7 7, 5 7, 5 5)))'),
  ST_GeomFromText('GEOMETRYCOLLECTION(POINT(10 10), POINT(30 30), LINESTRING(15 15, 20 20))'),
  '2020-07-17 18:00:22.123456', '2020-07-17 18:00:22.123456', '2020-07-17',
  UNHEX('651aed08390f4893b2f136923e7b7400'), b'1010101010', 2021, '{"key1": "value1"}', 'red', 12345),
-- maxima; multi-byte text filling each column's length in characters or bytes
(3, 127, 255, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 4294967295,
  9223372036854775807, 18446744073709551615, true, 127,
  3.40282e38, 3.402823466e38, 9999.999, 1.7976931348623157e308, 1.7976931348623157e308,
  5e-324, 1.7976931348623157e308,
  99999999.99, 99999999.99, 9999999999, 999999, 0.99999,
  99999999999999999999999999999999999999999999999999999999999999999,
  99999999999999999999999999999999999.999999999999999999999999999999,
  b'1', b'1111111111', b'1111111111111111111111111111111111111111111111111111111111111111',
  '9999-12-31', '9999-12-31', '838:59:59', '838:59:59.999', '23:59:59.999999',
  '9999-12-31 23:59:59', '9999-12-31 23:59:59.999', '9999-12-31 23:59:59.999999',
  '2038-01-19 03:14:07', '2038-01-19 03:14:07.999999', 2155,
  REPEAT('😀', 10), REPEAT('中', 255), '', REPEAT('ÿ', 20), '~~~~~',
  REPEAT('a', 255), REPEAT('é', 32767), REPEAT('ü', 35000), REPEAT('long 😀 ', 7000),
  UNHEX(REPEAT('ff', 16)), UNHEX(REPEAT('fe', 64)),
  UNHEX(REPEAT('00ff', 127)), UNHEX(REPEAT('0001fffe', 1000)), UNHEX(REPEAT('ab', 70000)),
  UNHEX(REPEAT('cd', 70000)),
  'blå', 'a,b,c',
  '{"nested": {"a": [1, 2.5, -3e-10, 12345678901234567890.123456789, true, false, null]}, "u": "ü😀\\u00e9\\n\\"", "": ""}',
  ST_GeomFromText('POINT(180 90)', 4326), ST_GeomFromText('POINT(-1.5 1e300)'),
  ST_GeomFromText('LINESTRING(0 0, 1e-300 1e300)'),
  ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))'),
  ST_GeomFromText('MULTIPOINT(0 0, 1 1, 2 2, 3 3)'), ST_GeomFromText('MULTILINESTRING((0 0, 1 1))'),
  ST_GeomFromText('MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)))'), ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'),
  '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '9999-12-31',
  UNHEX(REPEAT('ff', 16)), b'1111111111', 2155, '{"big": 1e308, "s": "😀"}', 'blå', 999999999999999999),
-- minima
(4, -128, 0, 0, -32768, 0, -8388608, 0, -2147483648, 0, 0,
  -9223372036854775808, 0, false, -128,
  -3.40282e38, 0, -9999.999, -1.7976931348623157e308, -2.2250738585072014e-308,
  -1.7976931348623157e308, 0,
  -99999999.99, 0, -9999999999, -999999, -0.99999,
  -99999999999999999999999999999999999999999999999999999999999999999,
  -99999999999999999999999999999999999.999999999999999999999999999999,
  b'0', b'0000000000', b'0',
  '1000-01-01', '1000-01-01', '-838:59:59', '-838:59:59.999', '00:00:00',
  '1000-01-01 00:00:00', '1000-01-01 00:00:00.000', '1000-01-01 00:00:00.000000',
  '1970-01-01 00:00:01', '1970-01-01 00:00:01.000000', 1901,
  '', '', '', '', '',
  '', '', '', '',
  UNHEX(REPEAT('00', 16)), '',
  '', '', '', '',
  'red', '', '[]',
  ST_GeomFromText('POINT(-180 -90)'), ST_GeomFromText('POINT(0 0)'),
  ST_GeomFromText('LINESTRING(-1 -1, 1 1)'), ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))'),
  ST_GeomFromText('MULTIPOINT(-1 -1)'), ST_GeomFromText('MULTILINESTRING((-1 -1, 1 1))'),
  ST_GeomFromText('MULTIPOLYGON(((0 0, -1 0, -1 -1, 0 0)))'),
  ST_GeomFromText('GEOMETRYCOLLECTION(POINT(-1 -1))'),
  '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', '1000-01-01',
  UNHEX(REPEAT('00', 16)), b'0000000000', 1901, '{}', 'red', -999999999999999999);

-- MySQL's zero and invalid values, which only a permissive sql_mode accepts.
SET sql_mode = '';
INSERT INTO all_types (id, date_c, date_nn_c, time_c, time3_c, time6_c, datetime_c, datetime3_c, datetime6_c,
                       ts_c, ts6_c, year_c, enum_c, set_c, dt6_tz_c, ts6_plain_c, date_ts_c, year_int_c)
VALUES (5, '0000-00-00', '0000-00-00', '00:00:00', '-00:00:00.001', '00:00:00.000001', '0000-00-00 00:00:00',
        '2020-00-15 10:00:00.123', '2020-07-00 00:00:00.000001', '0000-00-00 00:00:00', '0000-00-00 00:00:00',
        0, 'purple', '', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00', 0);
-- (enum_c holds '', MySQL's value for an ENUM value not in the list; enum_pg_c stays NULL: a
-- PostgreSQL enum has no such value)
SET sql_mode = DEFAULT;

INSERT INTO all_types (id) VALUES (2);  -- every nullable column NULL, date_nn_c its default
INSERT INTO all_types (id, int_c, varchar_c, date_c) VALUES (6, 6, 'to be deleted', '2006-06-06');
