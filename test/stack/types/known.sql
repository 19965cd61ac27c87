-- The differences between MariaDB and PostgreSQL that test/stack/types/run.sh finds and expects,
-- each with its cause. A rule matches cells by configuration, table, column and row id (regular
-- expressions; the first matching rule counts); where a matched cell differs, PostgreSQL must hold
-- exactly `expected` (SQL over m, MariaDB's value in canonical form, and id), and every rule must
-- match a differing cell in some comparison.
--
-- Rows 1-6 are snapshot reads, 11-16 the same values streamed, 107 is row 7 after its key change.
-- run.sh runs PostgreSQL in Asia/Kathmandu (+05:45 today, +05:30 in 1969, +05:41:16 in year 1000).
SET search_path = types_check, pg_catalog;
INSERT INTO known (config_re, tbl_re, col_re, id_re, expected, why) VALUES

-- ------------------------------------------------------------------ cdc_sync, with a schema
-- A DATETIME (io.debezium.time.Timestamp/MicroTimestamp: a wall-clock time, no zone) into a
-- timestamptz column is read in the worker's TimeZone (the pipeline's time_zone, here the
-- server's Asia/Kathmandu), whereas the same message without a schema is read as UTC (rules below
-- expect UTC for n_*): the envelope changes the instant stored. See the report: one of the two
-- should change; which is a decision about time_zone's meaning.
('^s_.*_connect$', '^all_types$', '^dt6_tz_c$', '.',
 $$((date_trunc('milliseconds', m::timestamp) AT TIME ZONE 'Asia/Kathmandu') AT TIME ZONE 'UTC')::text$$,
 'schema: DATETIME into timestamptz read in the worker TimeZone (connect mode: also cut to milliseconds)'),
('^s_', '^all_types$', '^dt6_tz_c$', '.',
 $$((m::timestamp AT TIME ZONE 'Asia/Kathmandu') AT TIME ZONE 'UTC')::text$$,
 'schema: DATETIME into timestamptz read in the worker TimeZone, without a schema as UTC'),

-- ------------------------------------------------------------------ cdc_sync, without a schema
-- Without the envelope (configurations n_*) a temporal value is a bare number whose unit only the
-- schema gave; cdc_sync reads it by the target column's type and, for timestamps, the number's
-- magnitude, as its README documents:
-- * A DATETIME(4-6) is microseconds (io.debezium.time.MicroTimestamp), but a microsecond count
--   within about ten years of 1970 is also a plausible millisecond count and is read as one:
--   1970-01-01 00:00:00.000001 becomes 00:00:00.001, 1969-12-31 23:59:59.999999 becomes
--   23:59:59.999 (README: "send schemas when such timestamps matter").
('^n_.*_adaptive$', '^all_types$', '^(datetime6_c|dt6_tz_c)$', '.',
 $$('epoch'::timestamp + extract(epoch FROM m::timestamp) * 1000000 * interval '1 ms')::text$$,
 'no schema: a microsecond timestamp near 1970 is read as milliseconds'),
-- * A DATE is days (io.debezium.time.Date); into a timestamp column a number is epoch
--   milliseconds: 2020-07-17 (18460 days) becomes 1970-01-01 00:00:18.46, stored in timestamp(0)
--   as 00:00:18.
('^n_', '^all_types$', '^date_ts_c$', '.',
 $$(('epoch'::timestamp + (m::date - date '1970-01-01') * interval '1 ms')::timestamp(0))::text$$,
 'no schema: DATE days into a timestamp column read as epoch milliseconds'),
-- * A BIT(n) is io.debezium.data.Bits, whose length only the schema gives: into bit varying
--   (no length) it has 8 bits per byte, BIT(10) b'1000000000' becomes 16 bits 0000001000000000.
('^n_', '^all_types$', '^bit10_varbit_c$', '.',
 $$lpad(m, 16, '0')$$,
 'no schema: BIT(10) into bit varying has 8 bits per byte'),
-- * Under time.precision.mode=connect a TIME is milliseconds (Kafka Connect's Time), which
--   cdc_sync, without a schema, reads as microseconds, the unit of Debezium's default MicroTime
--   (README: connect mode "needs the schema"): 12:00:00.5 becomes 00:00:43.2005. Out-of-day values
--   are NULL as with a schema (below).
('^n_.*_connect$', '^all_types$', '^time3?_c$', '.',
 $$CASE WHEN types_check.seconds_of(m) < 0 OR types_check.seconds_of(m) >= 86400 THEN NULL
        ELSE types_check.hms(floor(types_check.seconds_of(m) * 1000) / 1000000) END$$,
 'no schema, connect mode: TIME milliseconds read as microseconds'),
('^n_.*_connect$', '.', '^(time6_c|t)$', '.',
 $$(time '00:00' + floor(types_check.seconds_of(m) * 1000) / 1000000 * interval '1 s')::text$$,
 'no schema, connect mode: TIME(6) milliseconds read as microseconds'),

-- ------------------------------------------------------------------ the connector (or its JDBC driver)
-- FLOAT in the snapshot: Debezium's snapshot reads a FLOAT column's text from the JDBC driver, and
-- MariaDB's text protocol prints FLOAT with 6 significant digits (FLT_DIG), so a stored float
-- needing more (FLOAT UNSIGNED 3.402823466e38, i.e. FLT_MAX 3.4028234663852886e38) arrives as the
-- float nearest to its 6-digit text (3.40282e38 = 3.402820018375656e38). Streamed from the binlog
-- (row 2 got row 3's values by an UPDATE) the float is exact.
('.', '^all_types$', '^float(_un|_md)?_c$', '^[1-6]$',
 $$trim(to_char(m::float8, '9.99999EEEE'))::real::float8::text$$,
 'snapshot: FLOAT read as the 6 significant digits MariaDB''s text protocol prints'),

-- BIGINT UNSIGNED under bigint.unsigned.handling.mode=long (Debezium's default, used by the two
-- 'double' configurations): values of 2^63 and above arrive as the Java long of the same 64 bits,
-- a negative number (18446744073709551615 -> -1). 'precise' (the other configurations) is exact.
('_double_', '.', '^(big_un_c|u)$', '.',
 $$CASE WHEN m::numeric >= 9223372036854775808 THEN (m::numeric - 18446744073709551616)::text ELSE m END$$,
 'bigint.unsigned.handling.mode=long: values >= 2^63 wrap to negative'),

-- decimal.handling.mode=double into an integer column: the double nearest the DECIMAL(18,0),
-- 999999999999999999 -> 1.0E18 -> 1000000000000000000. (Into double precision columns the
-- comparison is of doubles: MariaDB's value as a double equals PostgreSQL's.)
('_double_', '^all_types$', '^dec_int_c$', '.',
 $$(m::float8::numeric)::text$$,
 'decimal.handling.mode=double: DECIMAL(18,0) as the nearest double'),

-- YEAR 0000 (MySQL's zero year): the snapshot sends 2000 (MariaDB's JDBC driver and Debezium's
-- two-digit-year rule: 0 -> 2000), the binlog reader 1900 (the binlog stores YEAR as year - 1900,
-- and 0 for 0000; mysql-binlog-connector-java adds 1900 back).
('.', '^all_types$', '^year(_int)?_c$', '^5$', $$'2000'$$, 'YEAR 0000 in the snapshot arrives as 2000'),
('.', '^all_types$', '^year(_int)?_c$', '^15$', $$'1900'$$, 'YEAR 0000 streamed arrives as 1900'),

-- A zero date in a NOT NULL DATE column: Debezium cannot send NULL, so it sends the column's
-- default ('1999-12-31' here). (Zero dates in nullable columns arrive as NULL, as cdc_sync
-- documents; the comparison expects that.)
('.', '^all_types$', '^date_nn_c$', '^1?5$', $$'1999-12-31'$$, 'zero date in a NOT NULL column: Debezium sends the column default'),

-- time.precision.mode=connect: Kafka Connect's Time is milliseconds within a day, so Debezium
-- sends NULL for a MySQL TIME outside 00:00:00..23:59:59.999 (negative, or 24 hours and more), and
-- drops the microseconds of the others and of DATETIME(4-6) (Connect's Timestamp is
-- milliseconds; the instant is floored: 1969-12-31 23:59:59.999999 -> .999). TIMESTAMP is
-- unaffected (ZonedTimestamp, a string). Without a schema cdc_sync reads DATETIME milliseconds by
-- the magnitude of the number, with the same result.
('_connect$', '^all_types$', '^time3?_c$', '.',
 $$CASE WHEN types_check.seconds_of(m) < 0 OR types_check.seconds_of(m) >= 86400 THEN NULL
        ELSE types_check.hms(floor(types_check.seconds_of(m) * 1000) / 1000) END$$,
 'connect mode: TIME outside a day is NULL, within a day cut to milliseconds'),
('_connect$', '.', '^(time6_c|t)$', '.',
 $$date_trunc('milliseconds', m::time::interval)::time::text$$,
 'connect mode: TIME(6) cut to milliseconds'),
('_connect$', '^all_types$', '^(datetime6_c|dt6_tz_c)$', '.',
 $$date_trunc('milliseconds', m::timestamp)::text$$,
 'connect mode: DATETIME(6) cut to milliseconds'),

-- ------------------------------------------------------------------ PostgreSQL
-- What PostgreSQL cannot hold (table rejects, rows 2 and 3): text with a NUL character, and
-- JSON with the escape \u0000 in a jsonb column. Their messages are dead letters (run.sh checks
-- them: one each per pipeline, and no other); the rows are not in the targets.
('.', '^rejects$', '.', '^[23]$', $$'(no row)'$$, 'PostgreSQL cannot hold NUL in text or \u0000 in jsonb: dead letter'),

-- ------------------------------------------------------------------ schema changes
-- A column added at the source mid-stream (evolve.sql) while the target does not have it: the
-- pipelines go on; its values are not applied, and cdc_sync counts them
-- (table_stats.values_unmatched) and names the field (unmatched_fields; run.sh checks both).
('.', '^all_types$', '^added_c$', '^$', 'NULL', 'column added at the source only: not in the target'),
-- With schema_changes 'evolve' (s_precise_adaptive), cdc_sync adds it at the first change that
-- carries it: rows changed since (3, 4, 20, 21 and the later markers) have it; rows not changed
-- since keep NULL, their MariaDB default is not backfilled.
('^s_precise_adaptive$', '^all_types$', '^added_c$', '^(?!(3|4|20|21|100[2-9])$)', 'NULL', 'evolve: added by the first change that carries it, no backfill'),
-- Then added to the target by hand (run.sh, phase 3): row 20, changed before the pipelines
-- reloaded their configuration, arrives without it; rows changed after (4 and marker 1004) carry
-- it; the others keep NULL, their MariaDB default or earlier value is not backfilled.
('.', '^all_types$', '^added_c$', '^(?!(4|1004)$)', 'NULL', 'column added to the target later: applied from the reload on, no backfill');
