-- Sync table option columns: fields left out never reach the warehouse (not even as a column the
-- pipeline adds), renamed fields land in their target columns; the same in full loads and verify.
\set ON_ERROR_STOP 1
SELECT plan(10);

-- A Debezium event of crm.people keyed by id (text JSON: the fields in source order).
CREATE FUNCTION pg_temp.ev(op text, id int, name text, ssn text, email text, tbl text DEFAULT 'people')
RETURNS TABLE (p int, k text, v text) LANGUAGE sql AS $$
    SELECT 0, format('{"id": %s}', id),
           format('{"op": "%s", "before": %s, "after": %s, "source": {"db": "crm", "table": "%s"}}', op,
                  CASE WHEN op = 'd' THEN format('{"id": %s, "name": %s, "ssn": %s, "email": %s}', id, to_json(name),
                                                 to_json(ssn), to_json(email)) ELSE 'null' END,
                  CASE WHEN op = 'd' THEN 'null' ELSE format('{"id": %s, "name": %s, "ssn": %s, "email": %s}', id,
                                                             to_json(name), to_json(ssn), to_json(email)) END, tbl)
$$;

SELECT cdc_test.create_topic('t27', 1);
SELECT cdc_sync.create_pipeline('t27', cdc_test.brokers(), ARRAY['t27']);
-- Created by the pipeline, without the SSN, the e-mail under the warehouse's name.
SELECT cdc_sync.add_sync_table('t27', 'crm.people', 't27_people', NULL,
                               '{"columns": {"exclude": ["ssn"], "rename": {"email": "email_address"}}}');
-- An existing table that takes only two fields (schema_changes evolve: the others are no new columns).
CREATE TABLE t27_names (id bigint PRIMARY KEY, name text);
SELECT cdc_sync.add_sync_table('t27', 'crm.staff', 't27_names', NULL, '{"columns": {"include": ["id", "name"]}}');
SELECT cdc_test.produce('t27', $$SELECT * FROM pg_temp.ev('c', 1, 'Ada', '123-45-6789', 'ada@example.com') UNION ALL
                                 SELECT * FROM pg_temp.ev('c', 2, 'Bob', '987-65-4321', 'bob@example.com') UNION ALL
                                 SELECT * FROM pg_temp.ev('u', 1, 'Ada L.', '123-45-6789', 'ada@example.org') UNION ALL
                                 SELECT * FROM pg_temp.ev('d', 2, 'Bob', '987-65-4321', 'bob@example.com') UNION ALL
                                 SELECT * FROM pg_temp.ev('c', 7, 'Eve', '555-55-5555', 'eve@example.com', 'staff')$$);
SELECT cdc_sync.start_pipeline('t27');
SELECT ok(cdc_sync.wait_for_catchup('t27', '60 s'), 'caught up');
SELECT is(cdc_test.columns('t27_people'), 'id bigint, name text, email_address text',
          'created without the excluded field, the renamed one under its new name');
SELECT results_eq('SELECT id, name, email_address FROM t27_people', $$VALUES (1::bigint, 'Ada L.', 'ada@example.org')$$,
                  'inserts, updates and deletes applied through the mapping');
SELECT is((SELECT values_unmatched FROM cdc_sync.table_stats WHERE pipeline = 't27' AND source = 'crm.people'), 0::bigint,
          'a field left out on purpose is not counted as unmatched');
SELECT is(cdc_test.columns('t27_names') || ' | ' || (SELECT string_agg(id || ' ' || name, ',') FROM t27_names),
          'id bigint, name text | 7 Eve', 'an include list: its fields applied, no other column added');

-- A full load and verify use the same mapping.
SELECT cdc_test.mysql($$
  CREATE DATABASE t27crm;
  CREATE TABLE t27crm.people (id INT PRIMARY KEY, name VARCHAR(40), ssn CHAR(11), email VARCHAR(80));
  INSERT INTO t27crm.people VALUES (1, 'Ada', '123-45-6789', 'ada@example.com'), (2, 'Bob', '987-65-4321', NULL);
$$);
SELECT cdc_sync.create_mysql_connection('t27', cdc_test.mysql_options());
SELECT cdc_sync.add_sync_table('t27', 't27crm.people', 't27_loaded', NULL,
                               '{"columns": {"exclude": ["ssn"], "rename": {"email": "email_address"}}}');
SELECT cdc_sync.full_load('t27', 't27crm.people', 't27');
SELECT ok(cdc_sync.wait_for_load('t27', '60 s'), 'loaded');
SELECT is(cdc_test.columns('t27_loaded'), 'id integer, name character varying(40), email_address character varying(80)',
          'the load creates the target through the mapping');
SELECT results_eq('SELECT id, name, email_address FROM t27_loaded ORDER BY id',
                  $$VALUES (1, 'Ada'::varchar, 'ada@example.com'::varchar), (2, 'Bob', NULL)$$, 'the load writes through it');
SELECT is((SELECT equal::text || ' ' || source_rows FROM cdc_sync.verify('t27', 't27crm.people', 't27')), 'true 2',
          'verify compares the renamed column and not the excluded one');
SELECT throws_like($$SELECT cdc_sync.add_sync_table('t27', 'x.y', 't27_x', NULL,
                                                   '{"columns": {"include": ["a"], "exclude": ["b"]}}')$$,
                   'sync table option "columns" must be%', 'include and exclude together are refused');

SELECT cdc_sync.drop_pipeline('t27');
SELECT cdc_sync.drop_mysql_connection('t27');
SELECT cdc_test.mysql('DROP DATABASE t27crm');
SELECT * FROM finish();
