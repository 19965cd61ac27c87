-- DDL on a target while its pipeline runs (a column added, dropped or retyped, the table renamed)
-- takes effect at the next batch, without a restart, and loses nothing.
\set ON_ERROR_STOP 1
SELECT plan(12);

CREATE TABLE t19 (id int PRIMARY KEY, a text);
SELECT cdc_test.create_topic('t19', 1);
SELECT cdc_sync.create_pipeline('t19', cdc_test.brokers(), ARRAY['t19']);
SELECT cdc_sync.add_sync_table('t19', 's.t', 't19', options => '{"schema_changes": "ignore"}');
SELECT cdc_sync.start_pipeline('t19');
SELECT cdc_test.produce('t19', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 1, "a": "x", "b": "early", "n": 1}')$$);
SELECT ok(cdc_sync.wait_for_catchup('t19', '60 s'), 'caught up');

ALTER TABLE t19 ADD COLUMN b text;
SELECT cdc_test.produce('t19', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 2, "a": "y", "b": "new", "n": 2}')$$);
SELECT ok(cdc_sync.wait_for_catchup('t19', '60 s'), 'caught up after ADD COLUMN');
SELECT is((SELECT b FROM t19 WHERE id = 2), 'new', 'a column added to the target is filled from the next batch on');
SELECT is((SELECT b FROM t19 WHERE id = 1), NULL, 'rows applied before keep their values');

ALTER TABLE t19 DROP COLUMN a;
SELECT cdc_test.produce('t19', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 3, "a": "z", "b": "after drop", "n": 3}')$$);
SELECT ok(cdc_sync.wait_for_catchup('t19', '60 s'), 'caught up after DROP COLUMN');
SELECT is((SELECT b FROM t19 WHERE id = 3), 'after drop', 'a dropped column is no longer written');

-- A type the old staging table could not hold: 2.5 into an int column would be a bad message.
ALTER TABLE t19 ADD COLUMN n int;
SELECT cdc_test.produce('t19', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 4, "b": "int", "n": 4}')$$);
SELECT ok(cdc_sync.wait_for_catchup('t19', '60 s'), 'caught up with an int column');
ALTER TABLE t19 ALTER COLUMN n TYPE numeric(10, 2);
SELECT cdc_test.produce('t19', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 5, "b": "numeric", "n": 2.5}')$$);
SELECT ok(cdc_sync.wait_for_catchup('t19', '60 s'), 'caught up after ALTER COLUMN TYPE');
SELECT is((SELECT n FROM t19 WHERE id = 5), 2.50, 'a retyped column takes values of its new type');

ALTER TABLE t19 RENAME TO t19_renamed;
SELECT cdc_test.produce('t19', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 6, "b": "renamed", "n": 6}')$$);
SELECT ok(cdc_sync.wait_for_catchup('t19', '60 s'), 'caught up after RENAME');
SELECT is((SELECT b FROM t19_renamed WHERE id = 6), 'renamed', 'a renamed target keeps receiving its rows');

SELECT results_eq($$SELECT state, last_error FROM cdc_sync.status WHERE pipeline = 't19'$$,
                  $$VALUES ('running'::text, NULL::text)$$, 'the pipeline never failed');
SELECT cdc_sync.drop_pipeline('t19');
SELECT * FROM finish();
