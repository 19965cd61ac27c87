-- Options that decide what a value means: json append and op_field, Debezium's placeholder for
-- unchanged TOASTed values, MySQL zero dates, the zone of zone-less date-times.
\set ON_ERROR_STOP 1
SELECT plan(11);

-- json: plain events appended, or upserted and deleted through an op field
CREATE TABLE t09_log (id int, msg text, at timestamptz DEFAULT now());
CREATE TABLE t09_kv (k text PRIMARY KEY, v int);
SELECT cdc_test.create_topic('t09_events', 1);
SELECT cdc_test.produce('t09_events', $$SELECT 0, NULL, v FROM (VALUES
  (1, '{"id": 1, "msg": "start"}'), (2, '{"id": 1, "msg": "start"}'), (3, '{"id": 2, "msg": "stop"}')) m(n, v) ORDER BY n$$);
SELECT cdc_test.create_topic('t09_kv', 1);
SELECT cdc_test.produce('t09_kv', $$SELECT 0, NULL, v FROM (VALUES
  (1, '{"k": "a", "v": 1}'), (2, '{"k": "b", "v": 2}'), (3, '{"k": "a", "v": 10}'),
  (4, '{"k": "b", "kind": "DELETE"}'), (5, '{"k": "c", "v": 3, "kind": "upsert"}')) m(n, v) ORDER BY n$$);
SELECT cdc_sync.create_pipeline('t09j', cdc_test.brokers(), ARRAY['t09_events', 't09_kv'], 'json',
                                '{"topic_sources": {"t09_events": "app.events"}}');
SELECT cdc_sync.add_sync_table('t09j', 'app.events', 't09_log', NULL, '{"append": true}');
SELECT cdc_sync.add_sync_table('t09j', 't09_kv', 't09_kv', NULL, '{"op_field": "kind"}');
SELECT cdc_sync.start_pipeline('t09j');
SELECT ok(cdc_sync.wait_for_catchup('t09j', '60 s'), 'json pipeline caught up');
SELECT results_eq('SELECT id, msg FROM t09_log ORDER BY id, msg', $$VALUES (1, 'start'), (1, 'start'), (2, 'stop')$$,
                  'append keeps every message, duplicates included, defaults for absent columns');
SELECT results_eq('SELECT k, v FROM t09_kv ORDER BY k', $$VALUES ('a', 10), ('c', 3)$$,
                  'op_field: upserts by key, "DELETE" deletes');

-- Debezium PostgreSQL connector: an unchanged TOASTed column arrives as a placeholder
CREATE TABLE t09_doc (id int PRIMARY KEY, title text, body text);
SELECT cdc_test.create_topic('t09_doc', 1);
SELECT cdc_test.produce('t09_doc', $$SELECT 0, NULL, v FROM (VALUES
  (1, cdc_test.dbz('c', '{"id": 1, "title": "t", "body": "a very long body"}', NULL, 'public', 'doc')),
  (2, cdc_test.dbz('u', '{"id": 1, "title": "t2", "body": "__debezium_unavailable_value"}', NULL, 'public', 'doc'))
  ) m(n, v) ORDER BY n$$);
SELECT cdc_sync.create_pipeline('t09d', cdc_test.brokers(), ARRAY['t09_doc'], 'debezium', '{"batch_max_rows": 1}');
SELECT cdc_sync.add_sync_table('t09d', 'public.doc', 't09_doc');
SELECT cdc_sync.start_pipeline('t09d');
SELECT ok(cdc_sync.wait_for_catchup('t09d', '60 s'), 'debezium pipeline caught up');
SELECT results_eq('SELECT title, body FROM t09_doc', $$VALUES ('t2', 'a very long body')$$,
                  'the placeholder never overwrites the stored value');

-- MySQL zero dates through Canal: NULL by default; 'error' makes them bad messages
CREATE TABLE t09_z (id int PRIMARY KEY, d date);
CREATE TABLE t09_z2 (LIKE t09_z INCLUDING ALL);
SELECT cdc_test.create_topic('t09_z', 1);
SELECT cdc_test.produce('t09_z', $$SELECT 0, NULL, '{"data": [{"id": "1", "d": "0000-00-00"}, {"id": "2", "d": "2024-02-29"}],
  "type": "INSERT", "isDdl": false, "database": "s", "table": "z", "pkNames": ["id"],
  "mysqlType": {"id": "int", "d": "date"}, "old": null, "es": 0, "ts": 0}'$$);
SELECT cdc_sync.create_pipeline('t09z', cdc_test.brokers(), ARRAY['t09_z'], 'canal');
SELECT cdc_sync.add_sync_table('t09z', 's.z', 't09_z');
SELECT cdc_sync.create_pipeline('t09e', cdc_test.brokers(), ARRAY['t09_z'], 'canal',
                                '{"zero_dates": "error", "on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t09e', 's.z', 't09_z2');
SELECT cdc_sync.start_pipeline('t09z');
SELECT cdc_sync.start_pipeline('t09e');
SELECT ok(cdc_sync.wait_for_catchup('t09z', '60 s') AND cdc_sync.wait_for_catchup('t09e', '60 s'), 'canal pipelines caught up');
SELECT results_eq('SELECT id, d FROM t09_z ORDER BY id', $$VALUES (1, NULL::date), (2, '2024-02-29'::date)$$,
                  'zero dates become NULL by default');
SELECT results_eq($$SELECT (SELECT count(*) FROM t09_z2), (SELECT count(*) FROM cdc_sync.dead_letters WHERE pipeline = 't09e')$$,
                  'VALUES (0::bigint, 1::bigint)', 'zero_dates error: the whole message is a dead letter');

-- time_zone: Canal and Maxwell write MySQL TIMESTAMP in their JVM's zone without saying which; the
-- pipeline's time_zone reads it as that zone. Changed while running, it applies to what follows.
CREATE TABLE t09_tz (id int PRIMARY KEY, ts timestamptz, dt timestamp);
SELECT cdc_test.create_topic('t09_tz', 1);
SELECT cdc_test.produce('t09_tz', $$SELECT 0, NULL, jsonb_build_object(
    'data', jsonb_build_array(jsonb_build_object('id', '1', 'ts', '2020-07-17 18:00:22', 'dt', '2020-07-17 18:00:22')),
    'database', 'shop', 'table', 'tz', 'type', 'INSERT', 'isDdl', false, 'pkNames', jsonb_build_array('id'),
    'mysqlType', '{"id": "int", "ts": "timestamp", "dt": "datetime"}'::jsonb)::text$$);
SELECT cdc_sync.create_pipeline('t09t', cdc_test.brokers(), ARRAY['t09_tz'], 'canal', '{"time_zone": "Asia/Shanghai"}');
SELECT cdc_sync.add_sync_table('t09t', 'shop.tz', 't09_tz');
SELECT cdc_sync.start_pipeline('t09t');
SELECT ok(cdc_sync.wait_for_catchup('t09t', '60 s'), 'time_zone pipeline caught up');
SELECT results_eq($$SELECT ts, dt FROM t09_tz$$,
                  $$VALUES ('2020-07-17 10:00:22+00'::timestamptz, '2020-07-17 18:00:22'::timestamp)$$,
                  'TIMESTAMP read in the source''s zone (Asia/Shanghai, UTC+8); DATETIME, zone-less, unchanged');
SELECT cdc_sync.alter_pipeline('t09t', '{"time_zone": "UTC"}');
SELECT cdc_sync.wait_for_catchup('t09t', '60 s');
SELECT cdc_test.produce('t09_tz', $$SELECT 0, NULL, jsonb_build_object(
    'data', jsonb_build_array(jsonb_build_object('id', '2', 'ts', '2020-07-17 18:00:22')),
    'database', 'shop', 'table', 'tz', 'type', 'INSERT', 'isDdl', false, 'pkNames', jsonb_build_array('id'),
    'mysqlType', '{"id": "int", "ts": "timestamp"}'::jsonb)::text$$);
SELECT cdc_sync.wait_for_catchup('t09t', '60 s');
SELECT is((SELECT ts FROM t09_tz WHERE id = 2), '2020-07-17 18:00:22+00'::timestamptz,
          'time_zone changed by alter_pipeline applies to later messages');

SELECT cdc_sync.drop_pipeline(p) FROM unnest(ARRAY['t09j', 't09d', 't09z', 't09e', 't09t']) p;
SELECT * FROM finish();
