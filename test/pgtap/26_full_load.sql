-- Full loads straight from MariaDB (libmysqlclient API): types loaded exactly into a target
-- created from MySQL's own column types; a load racing the stream converges to the source; a
-- load whose worker is killed half-way goes on without writing a row twice; errors are clear.
\set ON_ERROR_STOP 1
SELECT plan(27);

-- A Debezium event of t26.items keyed by id (as the connector would write for the MariaDB change).
CREATE FUNCTION pg_temp.ev(op text, id int, v text DEFAULT NULL)
RETURNS TABLE (p int, k text, v text) LANGUAGE sql AS $$
    SELECT 0, format('{"id": %s}', id),
           format('{"op": "%s", "before": %s, "after": %s, "source": {"db": "t26", "table": "items"}}', op,
                  CASE WHEN op = 'd' THEN format('{"id": %s}', id) ELSE 'null' END,
                  CASE WHEN op = 'd' THEN 'null' ELSE format('{"id": %s, "v": %s}', id, to_json(v)) END)
$$;
-- The same digest of a table's (id, v) rows on both sides: the count and the sum of a hash per row.
CREATE FUNCTION pg_temp.mysql_digest(tbl text) RETURNS text LANGUAGE sql AS $$
    SELECT cdc_test.mysql_value(format(
        'SELECT CONCAT(COUNT(*), ''/'', SUM(CAST(CONV(LEFT(MD5(CONCAT(id, '':'', v)), 12), 16, 10) AS UNSIGNED))) FROM %s', tbl))
$$;
CREATE FUNCTION pg_temp.pg_digest(t regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    EXECUTE format($q$SELECT count(*) || '/' || sum(('x' || lpad(left(md5(id || ':' || v), 12), 16, '0'))::bit(64)::bigint)
                      FROM %s$q$, t) INTO d;
    RETURN d;
END $$;

-- Connections.
SELECT throws_like($$SELECT cdc_sync.create_mysql_connection('bad', '{"hots": "x"}')$$,
                   'unknown MySQL connection option "hots"', 'an unknown option is named');
SELECT lives_ok($$SELECT cdc_sync.create_mysql_connection('maria', cdc_test.mysql_options())$$, 'a connection is created');
SELECT cdc_sync.create_mysql_connection('wrong_password', cdc_test.mysql_options() || '{"password": "secret-x"}');

-- 1. Every type exactly, into a target created from MySQL's column types.
SELECT cdc_test.mysql($$
  SET SESSION sql_mode = '';
  CREATE DATABASE t26;
  CREATE TABLE t26.types (id INT UNSIGNED PRIMARY KEY, big_un BIGINT UNSIGNED, dec_c DECIMAL(10,2), dbl DOUBLE,
    flag BIT(1), bits BIT(10), fixed CHAR(3), txt VARCHAR(40), body MEDIUMTEXT, bin BINARY(4), blb BLOB, d DATE, zero_d DATE,
    dt DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME(6), yr YEAR, e ENUM('a','b'), s SET('x','y'), j JSON, n INT);
  INSERT INTO t26.types VALUES (1, 18446744073709551615, -12345678.91, 1.5e-7, b'1', b'1000000101', 'ab',
    'tab\there\nnew \\ line', REPEAT('z', 70000), UNHEX('00FF10AB'), UNHEX('DEADBEEF'), '2024-02-29', '0000-00-00',
    '2024-05-01 10:00:00.123456', '2024-05-01 10:00:00.123', '-838:59:59.000001', 2155, 'b', 'x,y',
    '{"k": [1, 2]}', NULL);
$$);
SELECT cdc_test.create_topic('t26', 1);
SELECT cdc_sync.create_pipeline('t26', cdc_test.brokers(), ARRAY['t26']);
SELECT cdc_sync.add_sync_table('t26', 't26.types', 't26_types');
SELECT cdc_sync.full_load('t26', 't26.types', 'maria');
SELECT ok(cdc_sync.wait_for_load('t26', '60 s'), 'types: loaded');
SELECT is(cdc_test.columns('t26_types'),
          'id bigint, big_un numeric(20,0), dec_c numeric(10,2), dbl double precision, flag boolean, bits bit(10), '
          'fixed character(3), txt character varying(40), body text, bin bytea, blb bytea, d date, zero_d date, '
          'dt timestamp(6) without time zone, ts timestamp(3) with time zone, tm interval, yr smallint, e text, s text, '
          'j text, n integer',
          'the target has MySQL''s columns in order, with exact types (MariaDB''s JSON is a LONGTEXT)');
SELECT results_eq($$SELECT big_un, dec_c, dbl, flag, bits, fixed, txt, length(body), bin, blb, d, zero_d, dt,
                           ts AT TIME ZONE 'UTC', tm, yr, e, s, j, n FROM t26_types$$,
                  $$VALUES (18446744073709551615::numeric, -12345678.91::numeric, 1.5e-7::float8, true, B'1000000101',
                            'ab '::char(3), E'tab\there\nnew \\ line'::varchar, 70000, '\x00ff10ab'::bytea,
                            '\xdeadbeef'::bytea, '2024-02-29'::date, NULL::date, '2024-05-01 10:00:00.123456'::timestamp,
                            '2024-05-01 10:00:00.123'::timestamp, '-838:59:59.000001'::interval, 2155::smallint, 'b', 'x,y',
                            '{"k": [1, 2]}'::text, NULL::int)$$,
                  'types: every value exact (a zero date as NULL, TIMESTAMP in UTC, TIME past a day)');
SELECT is((SELECT state || ' ' || chunks_done || '/' || chunks_total || ' ' || rows FROM cdc_sync.loads
           WHERE source = 't26.types'), 'done 1/1 1', 'types: cdc_sync.loads shows it done');

-- 2. A load racing the stream: changes at MariaDB, and their Debezium events in the topic, while
-- the load runs (before, during or after its chunks: every interleaving must converge).
SELECT cdc_test.mysql($$
  CREATE TABLE t26.items (id INT PRIMARY KEY, v VARCHAR(20));
  INSERT INTO t26.items SELECT seq, CONCAT('v', seq) FROM t26.seq_1_to_5000;
$$);
SELECT cdc_sync.add_sync_table('t26', 't26.items', 't26_items');
SELECT cdc_sync.start_pipeline('t26');
SELECT ok(cdc_sync.wait_for_catchup('t26', '60 s'), 'race: the pipeline runs');
SELECT cdc_sync.full_load('t26', 't26.items', 'maria', '{"chunk_rows": 250, "parallelism": 2}');
SELECT cdc_test.mysql($$UPDATE t26.items SET v = 'changed' WHERE id = 10; DELETE FROM t26.items WHERE id = 20;
                        INSERT INTO t26.items VALUES (6000, 'new'); UPDATE t26.items SET v = 'last' WHERE id = 4999;$$);
SELECT cdc_test.produce('t26', $$SELECT * FROM pg_temp.ev('u', 10, 'changed') UNION ALL SELECT * FROM pg_temp.ev('d', 20)
                                 UNION ALL SELECT * FROM pg_temp.ev('c', 6000, 'new')
                                 UNION ALL SELECT * FROM pg_temp.ev('u', 4999, 'last')$$);
SELECT cdc_test.mysql($$UPDATE t26.items SET v = 'again' WHERE id = 10;$$);
SELECT cdc_test.produce('t26', $$SELECT * FROM pg_temp.ev('u', 10, 'again')$$);
SELECT ok(cdc_sync.wait_for_load('t26', '60 s'), 'race: loaded');
SELECT ok(cdc_sync.wait_for_catchup('t26', '60 s'), 'race: the kept changes applied after it');
SELECT is(pg_temp.pg_digest('t26_items'), pg_temp.mysql_digest('t26.items'), 'race: the target equals the source');
SELECT is((SELECT parked_at FROM cdc_sync.table_stats WHERE pipeline = 't26' AND source = 't26.items'), NULL,
          'race: the table is live again');
SELECT is((SELECT chunks_done || '/' || chunks_total FROM cdc_sync.loads WHERE source = 't26.items' AND state = 'done'), '21/21',
          'race: 5000 rows in chunks of 250, and the rest');

-- Loaded again without emptying the target first: chunks replace the rows they hold.
UPDATE t26_items SET v = 'stale' WHERE id <= 100;
SELECT cdc_sync.full_load('t26', 't26.items', 'maria', '{"truncate": false, "chunk_rows": 1000}');
SELECT ok(cdc_sync.wait_for_load('t26', '60 s'), 'reload: loaded');
SELECT is(pg_temp.pg_digest('t26_items'), pg_temp.mysql_digest('t26.items'), 'reload: rows replaced, none twice');

-- 3. A worker killed half-way through 1,000,000 rows: the next one goes on; no row twice.
SELECT cdc_test.mysql($$
  CREATE TABLE t26.big (id INT PRIMARY KEY, v VARCHAR(20));
  INSERT INTO t26.big SELECT seq, CONCAT('row ', seq) FROM t26.seq_1_to_1000000;
$$);
SELECT cdc_sync.add_sync_table('t26', 't26.big', 't26_big');
SELECT cdc_sync.full_load('t26', 't26.big', 'maria', '{"chunk_rows": 10000}');
SELECT ok(cdc_test.wait_until($$SELECT chunks_done >= 50 FROM cdc_sync.loads WHERE source = 't26.big'$$, '60 s'),
          'kill: half of the 100 chunks done');
SELECT ok((SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE backend_type = 'cdc_sync load'),
          'kill: the load worker is terminated');
SELECT ok(cdc_sync.wait_for_load('t26', '90 s'), 'kill: the load goes on and ends');
SELECT is((SELECT rows FROM cdc_sync.loads WHERE source = 't26.big'), 1000000::bigint, 'kill: every chunk counted once');
SELECT is(pg_temp.pg_digest('t26_big'), pg_temp.mysql_digest('t26.big'), 'kill: the target equals the source');

-- Keys of two columns: chunks are ranges of the first; no key: one pass, up to max_unchunked_rows.
SELECT cdc_test.mysql($$
  CREATE TABLE t26.pairs (a INT, b INT, v VARCHAR(20), PRIMARY KEY (a, b));
  INSERT INTO t26.pairs SELECT seq % 7, seq, CONCAT('p', seq) FROM t26.seq_1_to_7000;
  CREATE TABLE t26.nokey (id INT, v VARCHAR(20));
  INSERT INTO t26.nokey SELECT seq, CONCAT('n', seq) FROM t26.seq_1_to_100;
  ANALYZE TABLE t26.nokey;
$$);
SELECT cdc_sync.add_sync_table('t26', 't26.pairs', 't26_pairs');
SELECT cdc_sync.add_sync_table('t26', 't26.nokey', 't26_nokey', ARRAY['id']);
SELECT cdc_sync.full_load('t26', 't26.pairs', 'maria', '{"chunk_rows": 2500, "parallelism": 2}');
SELECT cdc_sync.full_load('t26', 't26.nokey', 'maria', '{"max_unchunked_rows": 50}');
SELECT throws_like($$SELECT cdc_sync.wait_for_load('t26', '60 s')$$,
                   '%t26.nokey has no primary key and about 100 rows%max_unchunked_rows (now 50)%',
                   'a key-less table larger than max_unchunked_rows is refused, with what to do');
SELECT cdc_sync.full_load('t26', 't26.nokey', 'maria');
SELECT ok(cdc_sync.wait_for_load('t26', '60 s'), 'the key-less table loads in one pass (the failed load replaced)');
SELECT results_eq($$SELECT (SELECT count(*) FROM t26_pairs), (SELECT count(DISTINCT (a, b)) FROM t26_pairs),
                           (SELECT chunks_total FROM cdc_sync.loads WHERE source = 't26.pairs'), (SELECT count(*) FROM t26_nokey)$$,
                  $$VALUES (7000::bigint, 7000::bigint, 3::bigint, 100::bigint)$$,
                  'a two-column key: chunks by its first column, every row once');

-- 4. verify: equal after the load; then exactly what was changed by hand.
SELECT results_eq($$SELECT source, target, source_rows, target_rows, missing, extra, changed, equal
                    FROM cdc_sync.verify('t26', 't26\.(items|big|types)', 'maria') ORDER BY 1$$,
                  $$VALUES ('t26.big', 'public.t26_big', 1000000::bigint, 1000000::bigint, 0::bigint, 0::bigint, 0::bigint, true),
                           ('t26.items', 'public.t26_items', 5000, 5000, 0, 0, 0, true),
                           ('t26.types', 'public.t26_types', 1, 1, 0, 0, 0, true)$$,
                  'verify: every table equal, every type normalised alike on both sides');
UPDATE t26_big SET v = 'tampered' WHERE id = 123;
DELETE FROM t26_big WHERE id = 750000;
INSERT INTO t26_big VALUES (2000000, 'extra');
SELECT results_eq($$SELECT source_rows, target_rows, missing, extra, changed, equal, details->'missing', details->'extra',
                           details->'changed', jsonb_array_length(details->'buckets')
                    FROM cdc_sync.verify('t26', 't26.big', 'maria')$$,
                  $$VALUES (1000000::bigint, 1000000::bigint, 1::bigint, 1::bigint, 1::bigint, false, '["750000"]'::jsonb,
                            '["2000000"]'::jsonb, '["123"]'::jsonb, 3)$$,
                  'verify: a changed value, a missing row and an extra row, by key and range');

-- 5. Errors: credentials (never shown), a table that is not there, a load that fails.
SELECT throws_like($$SELECT cdc_sync.full_load('t26', 't26.items', 'wrong_password')$$,
                   'cannot connect to MySQL at 127.0.0.1:%Access denied%', 'a wrong password: the server''s complaint');
SELECT throws_like($$SELECT cdc_sync.full_load('t26', 't26.nothing', 'maria')$$,
                   'MySQL connection "maria" has no table "t26.nothing"', 'a missing table is named');
CREATE TABLE t26_bad (id int PRIMARY KEY, v int);
SELECT cdc_test.mysql($$CREATE TABLE t26.bad (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t26.bad VALUES (1, 'not a number');$$);
SELECT cdc_sync.add_sync_table('t26', 't26.bad', 't26_bad');
SELECT cdc_sync.full_load('t26', 't26.bad', 'maria');
SELECT throws_like($$SELECT cdc_sync.wait_for_load('t26', '60 s')$$,
                   'full load of "t26.bad" into pipeline "t26" failed: %invalid input syntax for type integer%',
                   'a failed load: wait_for_load raises its error');

SELECT cdc_sync.drop_pipeline('t26');
SELECT cdc_sync.drop_mysql_connection(c) FROM unnest(ARRAY['maria', 'wrong_password']) c;
SELECT cdc_test.mysql('DROP DATABASE t26');
SELECT * FROM finish();
