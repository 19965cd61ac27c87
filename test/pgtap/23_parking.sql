-- Per-table isolation: a sync table whose changes cannot be applied (here a trigger refuses them:
-- not a bad message, the table's fault) is parked; the other tables go on, offsets advance, its
-- changes are kept in order, and retry_table() replays them once the cause is fixed.
\set ON_ERROR_STOP 1
SELECT plan(26);

CREATE TABLE t23_a (id int PRIMARY KEY, v text);
CREATE TABLE t23_b (id int PRIMARY KEY, v text);
CREATE FUNCTION t23_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 't23_b is closed for maintenance'; END $$;
SELECT cdc_test.create_topic('t23', 2);
SELECT cdc_sync.create_pipeline('t23', cdc_test.brokers(), ARRAY['t23']);
SELECT cdc_sync.add_sync_table('t23', 's.a', 't23_a');
SELECT cdc_sync.add_sync_table('t23', 's.b', 't23_b');
SELECT cdc_test.produce('t23', $$SELECT g % 2, NULL, cdc_test.dbz('c', jsonb_build_object('id', g, 'v', 'first'), NULL, 's', t)
                                FROM generate_series(1, 4) g, unnest(ARRAY['a', 'b']) t$$);
SELECT cdc_sync.start_pipeline('t23');
SELECT ok(cdc_sync.wait_for_catchup('t23', '60 s'), 'caught up');

CREATE TRIGGER t23_refuse BEFORE INSERT OR UPDATE ON t23_b FOR EACH ROW EXECUTE FUNCTION t23_refuse();
SELECT cdc_test.produce('t23', $$SELECT g % 2, NULL, cdc_test.dbz('u', jsonb_build_object('id', g, 'v', 'second'), NULL, 's', t)
                                FROM generate_series(1, 4) g, unnest(ARRAY['a', 'b']) t
                                UNION ALL SELECT 1, NULL, cdc_test.dbz('c', '{"id": 5, "v": "new"}', NULL, 's', 'b')$$);
SELECT ok(cdc_sync.wait_for_catchup('t23', '60 s'), 'wait_for_catchup returns although a table is parked');
SELECT is((SELECT count(*) FROM t23_a WHERE v = 'second'), 4::bigint, 'the other table goes on');
SELECT is((SELECT count(*) FROM t23_b WHERE v = 'second'), 0::bigint, 'the parked table is untouched');
SELECT results_eq($$SELECT parked_reason IS NOT NULL AND parked_reason LIKE '%t23_b is closed for maintenance%', parked_messages
                    FROM cdc_sync.table_stats WHERE pipeline = 't23' AND source = 's.b'$$,
                  $$VALUES (true, 5::bigint)$$, 'table_stats: parked, with the reason and its 5 kept messages');
SELECT is((SELECT parked_tables FROM cdc_sync.status WHERE pipeline = 't23'), ARRAY['s.b'], 'status names it');
SELECT results_eq($$SELECT state, last_error FROM cdc_sync.status WHERE pipeline = 't23'$$,
                  $$VALUES ('running'::text, NULL::text)$$, 'the pipeline runs');
SELECT is((SELECT sum(next_offset) FROM cdc_sync.offsets WHERE pipeline = 't23'), 17::numeric,
          'the offsets advanced past the parked messages');

-- Changes that arrive while parked are kept too, after the others.
SELECT cdc_test.produce('t23', $$SELECT 1, NULL, cdc_test.dbz('u', '{"id": 5, "v": "newer"}', NULL, 's', 'b')
                                UNION ALL SELECT 0, NULL, cdc_test.dbz('d', NULL, '{"id": 4}', 's', 'b')
                                UNION ALL SELECT 0, NULL, cdc_test.dbz('c', '{"id": 9, "v": "a9"}', NULL, 's', 'a')$$);
SELECT ok(cdc_sync.wait_for_catchup('t23', '60 s'), 'caught up again');
SELECT is((SELECT parked_messages FROM cdc_sync.table_stats WHERE pipeline = 't23' AND source = 's.b'), 7::bigint,
          'the new changes of the parked table are kept');
SELECT is((SELECT v FROM t23_a WHERE id = 9), 'a9', 'the other table still goes on');

-- A retry before the cause is fixed: still parked, with the reason.
SELECT cdc_sync.retry_table('t23', 's.b');
SELECT ok(cdc_sync.wait_for_catchup('t23', '60 s'), 'a failed retry does not hold wait_for_catchup');
SELECT results_eq($$SELECT parked_at IS NOT NULL, parked_messages FROM cdc_sync.table_stats WHERE pipeline = 't23' AND source = 's.b'$$,
                  $$VALUES (true, 7::bigint)$$, 'still parked, nothing lost');

-- Fixed, then retried: the kept changes are applied in order, then the table is live.
DROP TRIGGER t23_refuse ON t23_b;
SELECT cdc_sync.retry_table('t23', 's.b');
SELECT ok(cdc_sync.wait_for_catchup('t23', '60 s'), 'wait_for_catchup waits for the replay');
SELECT results_eq('SELECT id, v FROM t23_b ORDER BY id',
                  $$VALUES (1, 'second'), (2, 'second'), (3, 'second'), (5, 'newer')$$,
                  'every kept change applied, in order (update after insert, the delete of 4)');
SELECT results_eq($$SELECT parked_at, parked_reason, parked_messages FROM cdc_sync.table_stats WHERE pipeline = 't23' AND source = 's.b'$$,
                  $$VALUES (NULL::timestamptz, NULL::text, 0::bigint)$$, 'live again, nothing kept');
SELECT cdc_test.produce('t23', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 6, "v": "live"}', NULL, 's', 'b')$$);
SELECT ok(cdc_sync.wait_for_catchup('t23', '60 s'), 'caught up live');
SELECT is((SELECT v FROM t23_b WHERE id = 6), 'live', 'later changes are applied live');

-- A column whose source now declares a type the target's cannot hold (Canal: int became
-- varchar(10)): nothing is altered, the table is parked naming the column; once the user changes
-- it, retry_table() applies what was kept.
CREATE TABLE t23_c (id int PRIMARY KEY, qty int);
SELECT cdc_test.create_topic('t23c', 1);
SELECT cdc_sync.create_pipeline('t23c', cdc_test.brokers(), ARRAY['t23c'], 'canal');
SELECT cdc_sync.add_sync_table('t23c', 'shop.c', 't23_c');
SELECT cdc_test.produce('t23c', $$VALUES
  (0, NULL::text, '{"data":[{"id":"1","qty":"1"}],"database":"shop","table":"c","isDdl":false,"pkNames":["id"],"type":"INSERT","mysqlType":{"id":"int","qty":"int"}}'),
  (0, NULL, '{"data":[{"id":"2","qty":"ten"}],"database":"shop","table":"c","isDdl":false,"pkNames":["id"],"type":"INSERT","mysqlType":{"id":"int","qty":"varchar(10)"}}')$$);
SELECT cdc_sync.start_pipeline('t23c');
SELECT ok(cdc_sync.wait_for_catchup('t23c', '60 s'), 'incompatible type: caught up');
SELECT matches((SELECT parked_reason FROM cdc_sync.table_stats WHERE pipeline = 't23c'),
               'the source now declares column "qty" as character varying\(10\), which public.t23_c''s column \(integer\) cannot hold',
               'parked, naming the column, both types and what to do');
SELECT is((SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 't23_c'::regclass AND attname = 'qty'),
          'integer', 'the target column is not altered');
ALTER TABLE t23_c ALTER COLUMN qty TYPE varchar(10);
SELECT cdc_sync.retry_table('t23c', 'shop.c');
SELECT ok(cdc_sync.wait_for_catchup('t23c', '60 s'), 'retried');
SELECT results_eq('SELECT id, qty FROM t23_c ORDER BY id', $$VALUES (1, '1'::varchar), (2, 'ten')$$,
                  'after the user changed the column, the kept change is applied');

-- A bad message of one table and a refusing other table in the same batch: the bad message is
-- handled by on_error (here a dead letter), the other table is parked, the rest applied.
CREATE TABLE t23_ma (id int PRIMARY KEY, n int);
CREATE TABLE t23_mb (id int PRIMARY KEY, v text);
CREATE TRIGGER t23_refuse BEFORE INSERT OR UPDATE ON t23_mb FOR EACH ROW EXECUTE FUNCTION t23_refuse();
SELECT cdc_test.create_topic('t23m', 1);
SELECT cdc_test.produce('t23m', $$VALUES
    (0, NULL::text, cdc_test.dbz('c', '{"id": 1, "n": 1}', NULL, 's', 'ma')),
    (0, NULL, cdc_test.dbz('c', '{"id": 2, "n": "not a number"}', NULL, 's', 'ma')),
    (0, NULL, cdc_test.dbz('c', '{"id": 1, "v": "b"}', NULL, 's', 'mb')),
    (0, NULL, cdc_test.dbz('c', '{"id": 3, "n": 3}', NULL, 's', 'ma'))$$);
SELECT cdc_sync.create_pipeline('t23m', cdc_test.brokers(), ARRAY['t23m'], 'debezium', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t23m', 's.ma', 't23_ma');
SELECT cdc_sync.add_sync_table('t23m', 's.mb', 't23_mb');
SELECT cdc_sync.start_pipeline('t23m');
SELECT ok(cdc_sync.wait_for_catchup('t23m', '60 s'), 'bad message and refusing table: caught up');
SELECT results_eq($$SELECT (SELECT array_agg(id ORDER BY id) FROM t23_ma), (SELECT count(*) FROM cdc_sync.dead_letters WHERE pipeline = 't23m'),
                           (SELECT parked_messages FROM cdc_sync.table_stats WHERE pipeline = 't23m' AND source = 's.mb')$$,
                  $$VALUES (ARRAY[1, 3], 1::bigint, 1::bigint)$$,
                  'the good rows applied, the bad message a dead letter, the refusing table parked with its message');

-- on_table_error 'fail': the same refusal stops the pipeline.
CREATE TABLE t23_f (id int PRIMARY KEY, v text);
CREATE TRIGGER t23_refuse BEFORE INSERT OR UPDATE ON t23_f FOR EACH ROW EXECUTE FUNCTION t23_refuse();
SELECT cdc_sync.create_pipeline('t23f', cdc_test.brokers(), ARRAY['t23']);
SELECT cdc_sync.add_sync_table('t23f', 's.b', 't23_f', options => '{"on_table_error": "fail"}');
SELECT cdc_sync.start_pipeline('t23f');
SELECT throws_like($$SELECT cdc_sync.wait_for_catchup('t23f', '60 s')$$, '%t23_b is closed for maintenance%',
                   'on_table_error fail: the pipeline stops');

SELECT cdc_sync.drop_pipeline(p) FROM unnest(ARRAY['t23', 't23f', 't23c', 't23m']) p;
SELECT * FROM finish();
