-- Topics by pattern: an entry starting with ^ selects every topic whose whole name matches, also
-- topics created while the pipeline runs; partitions added to a topic are read too; alter_pipeline
-- replaces the topics of a running pipeline.
\set ON_ERROR_STOP 1
SELECT plan(19);

CREATE TABLE t14_orders (id int PRIMARY KEY, v text);
CREATE TABLE t14_items (id int PRIMARY KEY, v text);
CREATE TABLE t14_people (id int PRIMARY KEY, v text);
SELECT cdc_test.create_topic('t14.shop.orders', 2);
SELECT cdc_test.create_topic('t14.hr.people', 1);
SELECT cdc_test.create_topic('t14.shop.orders_v2', 1);  -- ^t14\.shop\.[a-z]+ matches only a prefix of it

-- Produces ids lo..hi as Debezium inserts of table `tbl` to `topic`.
CREATE FUNCTION pg_temp.produce(topic text, tbl text, lo int, hi int) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.produce(topic, format(
        $q$SELECT 0, NULL, cdc_test.dbz('c', jsonb_build_object('id', i, 'v', 'x' || i), NULL, 'shop', %L)
           FROM generate_series(%s, %s) i ORDER BY i$q$, tbl, lo, hi))
$$;
SELECT pg_temp.produce('t14.shop.orders', 'orders', 1, 50);
SELECT pg_temp.produce('t14.hr.people', 'people', 1, 5);
SELECT pg_temp.produce('t14.shop.orders_v2', 'orders', 1000, 1000);

SELECT cdc_sync.create_pipeline('t14', cdc_test.brokers(), ARRAY['^t14\.shop\.[a-z]+']);
SELECT cdc_sync.add_sync_table('t14', 'shop.orders', 't14_orders');
SELECT cdc_sync.add_sync_table('t14', 'shop.items', 't14_items');
SELECT cdc_sync.add_sync_table('t14', 'shop.people', 't14_people');
SELECT cdc_sync.start_pipeline('t14');
SELECT ok(cdc_sync.wait_for_catchup('t14', '60 s'), 'a pattern pipeline catches up');
SELECT results_eq('SELECT count(*), min(id), max(id) FROM t14_orders', 'VALUES (50::bigint, 1, 50)',
                  'every message of the matching topic is applied');
SELECT is((SELECT count(*) FROM t14_people), 0::bigint, 'a topic the pattern does not match is not read');
SELECT is((SELECT count(*) FROM t14_orders WHERE id = 1000), 0::bigint, 'the pattern matches whole topic names');

-- A topic created while the pipeline runs is picked up, from its first message.
SELECT pg_temp.produce('t14.shop.items', 'items', 1, 20);
SELECT ok(cdc_test.wait_until($$SELECT count(*) = 20 FROM t14_items$$, '60 s'),
          'a new topic that matches is read from its start');
SELECT ok(cdc_sync.wait_for_catchup('t14', '60 s'), 'wait_for_catchup covers the new topic');
SELECT is((SELECT count(DISTINCT topic) FROM cdc_sync.offsets WHERE pipeline = 't14'), 2::bigint,
          'offsets are stored for both matching topics');

-- Partitions added to a topic while the pipeline runs are read from their start.
SELECT cdc_test.add_partitions('t14.shop.orders', 4);
SELECT cdc_test.produce('t14.shop.orders', $$
    SELECT 2 + i % 2, NULL, cdc_test.dbz('c', jsonb_build_object('id', i, 'v', 'x' || i), NULL, 'shop', 'orders')
    FROM generate_series(51, 60) i ORDER BY i$$);
SELECT ok(cdc_test.wait_until($$SELECT count(*) = 60 FROM t14_orders$$, '60 s'),
          'messages in partitions added later are applied');
SELECT results_eq($$SELECT partition, next_offset FROM cdc_sync.offsets
                    WHERE pipeline = 't14' AND topic = 't14.shop.orders' AND partition >= 2 ORDER BY 1$$,
                  $$VALUES (2, 5::bigint), (3, 5::bigint)$$, 'and their offsets are stored');

-- alter_pipeline replaces the topics while running: names and patterns together.
SELECT cdc_sync.alter_pipeline('t14', '{"topics": ["t14.hr.people", "^t14\\.shop\\.[a-z]+"]}');
SELECT ok(cdc_sync.wait_for_catchup('t14', '60 s'), 'caught up after the topics changed');
SELECT is((SELECT count(*) FROM t14_people), 5::bigint, 'the added topic is read from its start');
SELECT is((SELECT topics FROM cdc_sync.pipelines WHERE name = 't14'), ARRAY['t14.hr.people', '^t14\.shop\.[a-z]+'],
          'the catalog holds the new topics');

-- Bad entries are refused with what is wrong.
SELECT throws_ok($$SELECT cdc_sync.alter_pipeline('t14', '{"topics": ["^t14(("]}')$$, '22023', NULL,
                 'an invalid pattern is refused');
SELECT throws_ok($$SELECT cdc_sync.alter_pipeline('t14', '{"topics": "t14.hr.people"}')$$, '22023',
                 '"topics" must be a JSON array of topic names and patterns', 'topics must be an array');

-- A matched topic deleted while the pipeline runs: it is dropped from the assignment, the
-- pipeline goes on with the others.
SELECT cdc_test.create_topic('t14.shop.gone', 1);
SELECT pg_temp.produce('t14.shop.gone', 'items', 101, 110);
SELECT ok(cdc_test.wait_until($$SELECT count(*) = 30 FROM t14_items$$, '60 s'), 'the topic is read');
SELECT cdc_test.delete_topic('t14.shop.gone');
SELECT pg_temp.produce('t14.shop.items', 'items', 21, 25);
SELECT ok(cdc_test.wait_until($$SELECT count(*) = 35 FROM t14_items$$, '60 s'),
          'after a matched topic is deleted the others are still read');
SELECT results_eq($$SELECT state, last_error FROM cdc_sync.status WHERE pipeline = 't14'$$,
                  $$VALUES ('running', NULL::text)$$, 'and the pipeline keeps running without error');

SELECT cdc_sync.drop_pipeline('t14');

-- start_from latest with a pattern that matches nothing yet: a topic that appears later is new to
-- the pipeline and is read from its first message.
CREATE TABLE t14_late (id int PRIMARY KEY, v text);
SELECT cdc_sync.create_pipeline('t14l', cdc_test.brokers(), ARRAY['^t14\.late\..*'], 'debezium',
                                '{"start_from": "latest"}');
SELECT cdc_sync.add_sync_table('t14l', 'shop.late', 't14_late');
SELECT cdc_sync.start_pipeline('t14l');
SELECT ok(cdc_test.wait_until($$SELECT start_resolved FROM cdc_sync.pipelines WHERE name = 't14l'$$, '60 s'),
          'the first start resolved its (empty) start position');
SELECT pg_temp.produce('t14.late.a', 'late', 1, 30);
SELECT ok(cdc_test.wait_until($$SELECT count(*) = 30 FROM t14_late$$, '60 s'),
          'a topic created after the first start is read from its beginning, not from latest');
SELECT cdc_sync.drop_pipeline('t14l');
SELECT * FROM finish();
