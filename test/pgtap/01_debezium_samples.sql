-- Real Debezium events (Flink's test data) through Kafka into a table, with and without schema.
\set ON_ERROR_STOP 1
SELECT plan(10);

CREATE TABLE public.products_a (id int PRIMARY KEY, name text, description text, weight real);
CREATE TABLE public.products_b (id int PRIMARY KEY, name text, description text, weight real);
SELECT cdc_test.create_topic('t01_exclude', 1);
SELECT cdc_test.create_topic('t01_include', 1);
SELECT cdc_test.produce_sample('t01_exclude', 'flink-json/debezium-data-schema-exclude.txt');
SELECT cdc_test.produce_sample('t01_include', 'flink-json/debezium-data-schema-include.txt');

SELECT cdc_sync.create_pipeline('t01a', cdc_test.brokers(), ARRAY['t01_exclude']);
SELECT cdc_sync.add_sync_table('t01a', 'inventory.products', 'public.products_a');
SELECT cdc_sync.create_pipeline('t01b', cdc_test.brokers(), ARRAY['t01_include'], 'debezium',
                                '{"batch_max_rows": 3}');
SELECT cdc_sync.add_sync_table('t01b', 'inventory\.prod.*', 'products_b', options => '{"keys_unique_across_sources": true}');
SELECT cdc_sync.start_pipeline('t01a');
SELECT cdc_sync.start_pipeline('t01b');

SELECT ok(cdc_sync.wait_for_catchup('t01a', '60 s'), 'payload-only events caught up');
SELECT ok(cdc_sync.wait_for_catchup('t01b', '60 s'), 'schema+payload events caught up');

SELECT results_eq('SELECT id FROM products_a ORDER BY id', 'SELECT generate_series(101, 110)',
                  'ids 101-110 remain, 111 deleted');
SELECT is((SELECT description FROM products_a WHERE id = 106), '18oz carpenter hammer', 'update applied to 106');
SELECT is((SELECT weight FROM products_a WHERE id = 107), 5.1::real, 'weight of 107 is 5.1');
SELECT is((SELECT (description, weight)::text FROM products_a WHERE id = 110),
          '("new water resistent white wind breaker",0.5)', '110 updated twice');
SELECT results_eq('TABLE products_a EXCEPT TABLE products_b', 'SELECT * FROM products_a WHERE false',
                  'both envelopes give the same table');
SELECT results_eq($$SELECT messages_consumed, rows_inserted - rows_deleted, state FROM cdc_sync.status
                    WHERE pipeline = 't01b'$$,
                  $$VALUES (16::bigint, 10::bigint, 'running'::text)$$, 'status: 16 messages, net 10 rows');
SELECT results_eq($$SELECT topic, partition, next_offset FROM cdc_sync.offsets WHERE pipeline = 't01a'$$,
                  $$VALUES ('t01_exclude'::text, 0, 16::bigint)$$, 'offset stored after the last message');
SELECT cmp_ok((SELECT batches FROM cdc_sync.status WHERE pipeline = 't01b'), '>=', 6::bigint,
              'batch_max_rows 3 splits 16 messages into at least 6 batches');

SELECT cdc_sync.drop_pipeline('t01a');
SELECT cdc_sync.drop_pipeline('t01b');
SELECT * FROM finish();
