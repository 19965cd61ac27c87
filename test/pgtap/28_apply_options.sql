-- Sync table options delete_mode, truncate_mode, version_column, metadata_columns and mode
-- changelog, one by one, as a user checks them: the rows, the columns the options add, the
-- archive, the positions recorded, and what alter_sync_table changes.
\set ON_ERROR_STOP 1
SELECT plan(26);

-- A Debezium event of crm.<tbl> keyed by id, committed at ts_ms.
CREATE FUNCTION pg_temp.ev(op text, id int, name text, ver int, ts bigint, tbl text)
RETURNS TABLE (p int, k text, v text) LANGUAGE sql AS $$
    SELECT 0, CASE WHEN op <> 't' THEN format('{"id": %s}', id) END,
           format('{"op": "%s", "before": %s, "after": %s, "source": {"db": "crm", "table": "%s", "ts_ms": %s}}', op,
                  CASE WHEN op IN ('d', 'u') THEN format('{"id": %s, "name": %s, "ver": %s}', id, to_json(name), ver) ELSE 'null' END,
                  CASE WHEN op IN ('c', 'u') THEN format('{"id": %s, "name": %s, "ver": %s}', id, to_json(name), ver) ELSE 'null' END,
                  tbl, ts)
$$;
-- The same changes for table `tbl`: 1 and 2 inserted, 1 updated, 2 deleted, 3 inserted.
CREATE FUNCTION pg_temp.story(tbl text) RETURNS TABLE (p int, k text, v text) LANGUAGE sql AS $$
    SELECT * FROM pg_temp.ev('c', 1, 'ann', 1, 1700000000000, tbl) UNION ALL
    SELECT * FROM pg_temp.ev('c', 2, 'bob', 1, 1700000001000, tbl) UNION ALL
    SELECT * FROM pg_temp.ev('u', 1, 'ann2', 2, 1700000002000, tbl) UNION ALL
    SELECT * FROM pg_temp.ev('d', 2, 'bob', 1, 1700000003000, tbl) UNION ALL
    SELECT * FROM pg_temp.ev('c', 3, 'cy', 1, 1700000004000, tbl)
$$;

SELECT cdc_test.create_topic('t28', 1);
SELECT cdc_sync.create_pipeline('t28', cdc_test.brokers(), ARRAY['t28']);
CREATE TABLE t28_soft (id int PRIMARY KEY, name text, ver int);
SELECT cdc_sync.add_sync_table('t28', 'crm.soft', 't28_soft', NULL,
    '{"delete_mode": "soft", "metadata_columns": ["_cdc_op", "_cdc_source_ts", "_cdc_topic", "_cdc_partition", "_cdc_offset", "_cdc_synced_at"]}');
SELECT cdc_sync.add_sync_table('t28', 'crm.arch', 't28_arch', NULL, '{"delete_mode": "archive"}');
SELECT cdc_sync.add_sync_table('t28', 'crm.only', 't28_only', NULL, '{"delete_mode": "only_archive"}');
SELECT cdc_sync.add_sync_table('t28', 'crm.ign', 't28_ign', NULL, '{"delete_mode": "ignore"}');
SELECT cdc_sync.add_sync_table('t28', 'crm.log', 't28_log', NULL, '{"mode": "changelog", "metadata_columns": ["_cdc_offset"]}');
SELECT cdc_test.produce('t28', $$SELECT * FROM pg_temp.story('soft') UNION ALL SELECT * FROM pg_temp.story('arch') UNION ALL
                                 SELECT * FROM pg_temp.story('only') UNION ALL SELECT * FROM pg_temp.story('ign') UNION ALL
                                 SELECT * FROM pg_temp.story('log')$$);
SELECT cdc_sync.start_pipeline('t28');
SELECT ok(cdc_sync.wait_for_catchup('t28', '60 s'), 'caught up');

SELECT is(cdc_test.columns('t28_soft'),
          'id integer, name text, ver integer, _cdc_op text, _cdc_source_ts timestamp with time zone, _cdc_topic text, '
          '_cdc_partition integer, _cdc_offset bigint, _cdc_synced_at timestamp with time zone, _cdc_deleted boolean, '
          '_cdc_deleted_at timestamp with time zone',
          'delete_mode soft and metadata_columns add their columns to an existing target');
SELECT results_eq($$SELECT id, name, _cdc_deleted, _cdc_deleted_at, _cdc_op, _cdc_source_ts, _cdc_topic, _cdc_partition, _cdc_offset
                    FROM t28_soft ORDER BY id$$,
                  $$VALUES (1, 'ann2', false, NULL::timestamptz, 'update', to_timestamp(1700000002), 't28', 0, 2::bigint),
                           (2, 'bob', true, to_timestamp(1700000003), 'delete', to_timestamp(1700000003), 't28', 0, 3),
                           (3, 'cy', false, NULL, 'insert', to_timestamp(1700000004), 't28', 0, 4)$$,
                  'soft: the deleted row stays, marked with its source time; every row records its last change');
SELECT ok((SELECT bool_and(_cdc_synced_at BETWEEN now() - interval '5 min' AND now()) FROM t28_soft), '_cdc_synced_at is the write time');
SELECT results_eq('SELECT id, name FROM t28_arch ORDER BY id', $$VALUES (1::bigint, 'ann2'::text), (3, 'cy')$$,
                  'archive: the deleted row leaves the target');
SELECT results_eq($$SELECT id, name, _cdc_deleted_at, _cdc_topic, _cdc_partition, _cdc_offset FROM t28_arch_deleted$$,
                  $$VALUES (2::bigint, 'bob'::text, to_timestamp(1700000003), 't28'::text, 0, 8::bigint)$$,
                  '... and goes to <target>_deleted with when and where it was deleted');
SELECT is((SELECT count(*) FROM t28_only) || ' ' || (SELECT string_agg(id || ' ' || name, ',') FROM t28_only_deleted), '0 2 bob',
          'only_archive: only the deleted row is kept');
SELECT results_eq('SELECT id, name FROM t28_ign ORDER BY id', $$VALUES (1::bigint, 'ann2'::text), (2, 'bob'), (3, 'cy')$$,
                  'ignore: a delete changes nothing');
SELECT results_eq($$SELECT _cdc_op, id, name, _cdc_before::text, _cdc_offset FROM t28_log ORDER BY _cdc_offset$$,
                  $$VALUES ('insert', 1::bigint, 'ann'::text, NULL::text, 20::bigint),
                           ('insert', 2, 'bob', NULL, 21),
                           ('update', 1, 'ann2', '{"id": 1, "ver": 2, "name": "ann2"}', 22),
                           ('delete', 2, 'bob', '{"id": 2, "ver": 1, "name": "bob"}', 23),
                           ('insert', 3, 'cy', NULL, 24)$$,
                  'changelog: every change is a row with its op and before image, in a table without a key');

-- A soft delete undone: the key comes back.
SELECT cdc_test.produce('t28', $$SELECT * FROM pg_temp.ev('c', 2, 'bob again', 3, 1700000005000, 'soft')$$);
SELECT ok(cdc_sync.wait_for_catchup('t28', '60 s'), 'caught up');
SELECT results_eq('SELECT name, _cdc_deleted, _cdc_deleted_at, _cdc_op FROM t28_soft WHERE id = 2',
                  $$VALUES ('bob again'::text, false, NULL::timestamptz, 'insert')$$, 're-inserting a soft-deleted key clears the mark');

-- truncate_mode soft and ignore; changed on a running pipeline with alter_sync_table.
SELECT cdc_sync.alter_sync_table('t28', 'crm.soft', '{"truncate_mode": "soft"}');
SELECT cdc_sync.alter_sync_table('t28', 'crm.ign', '{"truncate_mode": "ignore"}');
SELECT cdc_test.produce('t28', $$SELECT * FROM pg_temp.ev('t', 0, '', 0, 1700000006000, 'soft') UNION ALL
                                 SELECT * FROM pg_temp.ev('t', 0, '', 0, 1700000006000, 'ign')$$);
SELECT ok(cdc_sync.wait_for_catchup('t28', '60 s'), 'caught up');
SELECT results_eq('SELECT id, _cdc_deleted, _cdc_deleted_at, _cdc_op FROM t28_soft ORDER BY id',
                  $$VALUES (1, true, to_timestamp(1700000006), 'truncate'), (2, true, to_timestamp(1700000006), 'truncate'),
                           (3, true, to_timestamp(1700000006), 'truncate')$$,
                  'truncate_mode soft marks every row deleted, at the truncate''s source time');
SELECT is((SELECT count(*) FROM t28_ign), 3::bigint, 'truncate_mode ignore keeps the rows');

-- version_column: replaying older changes, a late insert after a delete.
CREATE TABLE t28_ver (id int PRIMARY KEY, name text, ver int);
SELECT cdc_sync.add_sync_table('t28', 'crm.ver', 't28_ver', NULL, '{"version_column": "ver"}');
SELECT cdc_test.produce('t28', $$SELECT * FROM pg_temp.ev('c', 1, 'v5', 5, 1, 'ver') UNION ALL
                                 SELECT * FROM pg_temp.ev('c', 2, 'v5', 5, 1, 'ver') UNION ALL
                                 SELECT * FROM pg_temp.ev('d', 2, 'v6', 6, 1, 'ver')$$);
SELECT ok(cdc_sync.wait_for_catchup('t28', '60 s'), 'caught up');
SELECT cdc_test.produce('t28', $$SELECT * FROM pg_temp.ev('u', 1, 'v3 replayed', 3, 1, 'ver') UNION ALL
                                 SELECT * FROM pg_temp.ev('c', 2, 'v4 late', 4, 1, 'ver') UNION ALL
                                 SELECT * FROM pg_temp.ev('c', 3, 'v1', 1, 1, 'ver')$$);
SELECT ok(cdc_sync.wait_for_catchup('t28', '60 s'), 'caught up');
SELECT results_eq('SELECT id, name, ver FROM t28_ver ORDER BY id', $$VALUES (1, 'v5'::text, 5), (3, 'v1', 1)$$,
                  'an older version neither moves a row back nor brings a deleted one back');
SELECT results_eq('SELECT id, ver FROM t28_ver_tombstones', $$VALUES (2, 6)$$, 'the delete''s version is kept in <target>_tombstones');

-- verify() leaves soft-deleted rows out: they are rows the source no longer has.
SELECT cdc_test.mysql($$CREATE DATABASE t28m; CREATE TABLE t28m.vs (id INT PRIMARY KEY, name VARCHAR(20), ver INT);
                        INSERT INTO t28m.vs VALUES (1, 'a', 1);$$);
SELECT cdc_sync.create_mysql_connection('t28', cdc_test.mysql_options());
CREATE TABLE t28_vs (id int PRIMARY KEY, name varchar(20), ver int);
SELECT cdc_sync.add_sync_table('t28', 't28m.vs', 't28_vs', NULL, '{"delete_mode": "soft"}');
SELECT cdc_test.produce('t28', $$SELECT 0, '{"id": ' || i || '}', format('{"op": "%s", "before": %s, "after": %s, "source": {"db": "t28m", "table": "vs"}}',
                                   op, CASE WHEN op = 'd' THEN '{"id": 2, "name": "b", "ver": 1}' ELSE 'null' END,
                                   CASE WHEN op = 'c' THEN format('{"id": %s, "name": "%s", "ver": 1}', i, n) ELSE 'null' END)
                                 FROM (VALUES (1, 'c', 'a'), (2, 'c', 'b'), (2, 'd', 'b')) v(i, op, n)$$);
SELECT ok(cdc_sync.wait_for_catchup('t28', '60 s'), 'caught up');
SELECT is((SELECT equal::text || ' ' || source_rows || ' ' || target_rows FROM cdc_sync.verify('t28', 't28m.vs', 't28')),
          'true 1 1', 'verify compares the live rows of a soft-delete target');

-- Two workers find the same DDL wanting: one makes it, both run, each statement is recorded once.
CREATE TABLE t28_par (id int PRIMARY KEY, name text, ver int);
SELECT cdc_test.create_topic('t28p', 2);
SELECT cdc_sync.create_pipeline('t28p', cdc_test.brokers(), ARRAY['t28p'], 'debezium', '{"parallelism": 2}');
SELECT cdc_sync.add_sync_table('t28p', 'crm.par', 't28_par', NULL,
                               '{"delete_mode": "archive", "version_column": "ver", "metadata_columns": ["_cdc_offset"]}');
SELECT cdc_test.produce('t28p', $$SELECT i % 2, k, v FROM (SELECT row_number() OVER () AS i, * FROM pg_temp.story('par')) x$$);
SELECT cdc_sync.start_pipeline('t28p');
SELECT ok(cdc_sync.wait_for_catchup('t28p', '60 s'), 'two workers caught up');
SELECT is((SELECT count(*) || ' ' || count(DISTINCT ddl) FROM cdc_sync.schema_history WHERE pipeline = 't28p'), '8 8',
          'the options'' DDL ran once each: a column, the archive and its 5 columns, the tombstones');
-- version_column changed: the tombstones gain the new column.
SELECT cdc_sync.alter_sync_table('t28p', 'crm.par', '{"version_column": "_cdc_offset"}');
SELECT cdc_test.produce('t28p', $$SELECT 0, k, v FROM pg_temp.ev('d', 3, 'cy', 1, 1700000009000, 'par')$$);
SELECT ok(cdc_sync.wait_for_catchup('t28p', '60 s'), 'caught up after version_column changed');
SELECT results_eq('SELECT id, ver, _cdc_offset FROM t28_par_tombstones ORDER BY id', $$VALUES (2, 1, NULL::bigint), (3, NULL, 2)$$,
                  'the tombstones follow version_column');
SELECT cdc_sync.drop_pipeline('t28p');

-- A change without its version is a bad message that names the option.
SELECT cdc_test.produce('t28', $$SELECT 0, '{"id": 9}', '{"op": "c", "after": {"id": 9, "name": "x"}, "source": {"db": "crm", "table": "ver"}}'$$);
SELECT ok(cdc_test.wait_until($$SELECT state = 'failed' FROM cdc_sync.pipelines WHERE name = 't28'$$, '60 s'), 'the pipeline stops');
SELECT matches((SELECT last_error FROM cdc_sync.status WHERE pipeline = 't28'),
               'version column "ver" is missing from the message.*version_column', 'its error names the column and the option');

SELECT cdc_sync.drop_pipeline('t28');
SELECT * FROM finish();
