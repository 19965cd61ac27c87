-- Target templates and merged sources: one sync table mirrors a whole database ("shop\..*" into
-- "t24_mirror.{table}", each source its own sync table and target, new tables too), or merges
-- shards into one target, where source_column keeps equal keys of two shards apart; a
-- configuration whose sources could overwrite each other's rows is refused.
\set ON_ERROR_STOP 1
SELECT plan(35);

-- A Debezium event of db.tbl keyed by id, as (partition, key, value).
CREATE FUNCTION pg_temp.ev(db text, tbl text, op text, id int, v text DEFAULT NULL)
RETURNS TABLE (p int, k text, v text) LANGUAGE sql AS $$
    SELECT 0, format('{"id": %s}', id),
           format('{"op": "%s", "before": %s, "after": %s, "source": {"db": %s, "table": %s}}', op,
                  CASE WHEN op = 'd' THEN format('{"id": %s, "v": %s}', id, to_json(v)) ELSE 'null' END,
                  CASE WHEN op = 'd' THEN 'null' ELSE format('{"id": %s, "v": %s}', id, to_json(v)) END,
                  to_json(db), to_json(tbl))
$$;

-- 1. A whole database mirrored by one template.
CREATE SCHEMA t24_mirror;
CREATE TABLE t24_mirror.items (id int PRIMARY KEY, v text, note text DEFAULT 'made by hand');
SELECT cdc_test.create_topic('t24', 1);
SELECT cdc_sync.create_pipeline('t24', cdc_test.brokers(), ARRAY['t24']);
SELECT cdc_sync.add_sync_table('t24', 'shop\..*', 't24_mirror.{table}');
SELECT cdc_test.produce('t24', $$SELECT * FROM pg_temp.ev('shop', 'orders', 'c', 1, 'o1') UNION ALL
                                SELECT * FROM pg_temp.ev('shop', 'items', 'c', 1, 'i1') UNION ALL
                                SELECT * FROM pg_temp.ev('shop', 'we"ird', 'c', 7, 'w7') UNION ALL
                                SELECT * FROM pg_temp.ev('other', 'orders', 'c', 9, 'not mine') UNION ALL
                                SELECT * FROM pg_temp.ev('shop', 'orders', 'c', 2, 'o2') UNION ALL
                                SELECT * FROM pg_temp.ev('shop', 'orders', 'u', 1, 'o1 again')$$);
SELECT cdc_sync.start_pipeline('t24');
SELECT ok(cdc_sync.wait_for_catchup('t24', '60 s'), 'mirror: caught up');
SELECT results_eq($$SELECT s.source, s.target_name, t.source FROM cdc_sync.sync_tables s
                    JOIN cdc_sync.sync_tables t ON t.id = s.template_id WHERE s.pipeline = 't24' ORDER BY s.id$$,
                  $$VALUES ('shop.orders', 't24_mirror.orders', 'shop\..*'), ('shop.items', 't24_mirror.items', 'shop\..*'),
                           ('shop.we"ird', 't24_mirror."we""ird"', 'shop\..*')$$,
                  'each source of the template has its own sync table, in the order they came');
SELECT results_eq($$SELECT source, target, template FROM cdc_sync.table_stats WHERE pipeline = 't24' ORDER BY source$$,
                  $$VALUES ('shop.items', 't24_mirror.items', 'shop\..*'), ('shop.orders', 't24_mirror.orders', 'shop\..*'),
                           ('shop.we"ird', 't24_mirror."we""ird"', 'shop\..*'), ('shop\..*', 't24_mirror.{table}', NULL)$$,
                  'table_stats shows each source with its target and template, and the template');
SELECT results_eq('SELECT id, v FROM t24_mirror.orders ORDER BY id', $$VALUES (1::bigint, 'o1 again'), (2, 'o2')$$,
                  'a missing target is created and holds its source''s rows');
SELECT is(cdc_test.primary_key('t24_mirror.orders'), 'id', 'keyed by the message key');
SELECT results_eq('SELECT id, v, note FROM t24_mirror.items', $$VALUES (1, 'i1', 'made by hand')$$,
                  'an existing target is used as it is');
SELECT results_eq($$SELECT id, v FROM t24_mirror."we""ird"$$, $$VALUES (7::bigint, 'w7')$$,
                  'a source name that needs quoting names its target safely');
SELECT is((SELECT count(*) FROM cdc_sync.sync_tables WHERE pipeline = 't24' AND source LIKE 'other.%'), 0::bigint,
          'a source the pattern does not match gets nothing');
SELECT is((SELECT messages_consumed FROM cdc_sync.status WHERE pipeline = 't24'), 6::bigint,
          'every message counted once, although the first batch was read twice');

-- A table new at the source, mid-stream; a delete; options follow the template.
SELECT cdc_test.produce('t24', $$SELECT * FROM pg_temp.ev('shop', 'refunds', 'c', 5, 'r5') UNION ALL
                                SELECT * FROM pg_temp.ev('shop', 'orders', 'd', 2, 'o2')$$);
SELECT ok(cdc_sync.wait_for_catchup('t24', '60 s'), 'mirror: caught up again');
SELECT results_eq('SELECT id, v FROM t24_mirror.refunds', $$VALUES (5::bigint, 'r5')$$, 'a table created mid-stream is mirrored');
SELECT results_eq('SELECT id FROM t24_mirror.orders', $$VALUES (1::bigint)$$, 'a delete reaches its own target');
SELECT cdc_sync.alter_sync_table('t24', 'shop\..*', '{"schema_changes": "ignore"}');
SELECT is((SELECT count(*) FROM cdc_sync.sync_tables WHERE pipeline = 't24' AND options->>'schema_changes' = 'ignore'),
          5::bigint, 'alter_sync_table on the template changes its sources'' sync tables too');
SELECT throws_like($$SELECT cdc_sync.remove_sync_table('t24', 'shop.orders')$$,
                   '%belongs to the template sync table "shop\\..*"%', 'a source''s own sync table is removed with its template');
SELECT lives_ok($$SELECT cdc_sync.remove_sync_table('t24', 'shop\..*')$$, 'the template can be removed');
SELECT is((SELECT count(*) FROM cdc_sync.sync_tables WHERE pipeline = 't24'), 0::bigint, 'its sources'' sync tables went with it');

-- 2. Shards merged into one target: the source column keeps equal keys apart.
SELECT throws_like($$SELECT cdc_sync.add_sync_table('t24', 'shop_\d+\.orders', 't24_orders')$$,
                   '%source pattern "shop_\\d+\\.orders" writes all the tables it matches into one target%',
                   'merging shards without a source column is refused');
SELECT cdc_test.create_topic('t24s', 1);
SELECT cdc_sync.create_pipeline('t24s', cdc_test.brokers(), ARRAY['t24s']);
SELECT cdc_sync.add_sync_table('t24s', 'shop_\d+\.orders', 't24_orders', options => '{"source_column": "shard"}');
SELECT cdc_test.produce('t24s', $$SELECT * FROM pg_temp.ev('shop_1', 'orders', 'c', 1, 'one of shop 1') UNION ALL
                                 SELECT * FROM pg_temp.ev('shop_2', 'orders', 'c', 1, 'one of shop 2') UNION ALL
                                 SELECT * FROM pg_temp.ev('shop_2', 'orders', 'c', 2, 'two of shop 2') UNION ALL
                                 SELECT * FROM pg_temp.ev('shop_1', 'orders', 'u', 1, 'one of shop 1, updated') UNION ALL
                                 SELECT * FROM pg_temp.ev('shop_2', 'orders', 'd', 2, 'two of shop 2')$$);
SELECT cdc_sync.start_pipeline('t24s');
SELECT ok(cdc_sync.wait_for_catchup('t24s', '60 s'), 'shards: caught up');
SELECT is(cdc_test.columns('t24_orders') || ' | key ' || cdc_test.primary_key('t24_orders'),
          'shard text, id bigint, v text | key shard, id', 'the source column leads the created table and its key');
SELECT results_eq('SELECT shard, id, v FROM t24_orders ORDER BY 1, 2',
                  $$VALUES ('shop_1.orders', 1::bigint, 'one of shop 1, updated'), ('shop_2.orders', 1, 'one of shop 2')$$,
                  'equal keys of two shards stay two rows; updates and deletes find their own shard''s row');

-- An existing target must hold the source column in its key.
CREATE TABLE t24_merged (id int PRIMARY KEY, shard text, v text);
SELECT throws_like($$SELECT cdc_sync.add_sync_table('t24s', 'shop_\d+\.items', 't24_merged', options => '{"source_column": "shard"}')$$,
                   '%does not hold source_column "shard"%', 'a key without the source column is refused');
SELECT lives_ok($$SELECT cdc_sync.add_sync_table('t24s', 'shop_\d+\.items', 't24_merged', options => '{"keys_unique_across_sources": true}')$$,
                'the owner may vouch that keys are unique across the shards');

-- Templates: one target per source, or refused.
SELECT throws_like($$SELECT cdc_sync.add_sync_table('t24s', 'shop_\d+\..*', 't24_mirror.{table}')$$,
                   '%writes all the tables it matches into shared targets%', 'a template without the database, over several databases, is refused');
SELECT lives_ok($$SELECT cdc_sync.add_sync_table('t24s', 'shop_\d+\..*', 't24_mirror.{db}_{table}')$$,
                'a template with the database and the table is accepted');
SELECT throws_like($$SELECT cdc_sync.add_sync_table('t24s', 'x\..*', 't24_mirror.{tabel}')$$,
                   'unknown placeholder "{tabel}"%', 'an unknown placeholder is named');
SELECT throws_like($$SELECT cdc_sync.add_sync_table('t24s', 'x.y', 't24_mirror.{table}')$$,
                   'target template "t24_mirror.{table}" needs a source pattern', 'a template needs a pattern');

-- 3. Two templates that meet in one target at run time stop the pipeline, before writing a row.
CREATE SCHEMA t24_c;
SELECT cdc_test.create_topic('t24c', 1);
SELECT cdc_sync.create_pipeline('t24c', cdc_test.brokers(), ARRAY['t24c']);
SELECT cdc_sync.add_sync_table('t24c', 'a\..*', 't24_c.{table}');
SELECT cdc_sync.add_sync_table('t24c', 'b\..*', 't24_c.{table}');
SELECT cdc_test.produce('t24c', $$SELECT * FROM pg_temp.ev('a', 'x', 'c', 1, 'from a') UNION ALL
                                 SELECT * FROM pg_temp.ev('b', 'x', 'c', 1, 'from b')$$);
SELECT cdc_sync.start_pipeline('t24c');
SELECT ok(cdc_test.wait_until($$SELECT state = 'failed' FROM cdc_sync.pipelines WHERE name = 't24c'$$, '60 s'),
          'templates that collide: the pipeline fails');
SELECT matches((SELECT last_error FROM cdc_sync.status WHERE pipeline = 't24c'),
               'sources "a.x" and "b.x" would share target t24_c.x', 'the error names both sources and the target');
SELECT is((SELECT count(*) FROM cdc_sync.offsets WHERE pipeline = 't24c' AND next_offset > 0), 0::bigint,
          'no offset advanced');

-- 4. A target that cannot be created parks its own sync table; the others go on. Once the user
-- has fixed the cause, retry_table creates it from the kept changes and applies them.
CREATE SCHEMA t24p_shop;
SELECT cdc_test.create_topic('t24p', 1);
SELECT cdc_sync.create_pipeline('t24p', cdc_test.brokers(), ARRAY['t24p']);
SELECT cdc_sync.add_sync_table('t24p', '(shop|other)\..*', 't24p_{db}.{table}');
SELECT cdc_test.produce('t24p', $$SELECT * FROM pg_temp.ev('shop', 'a', 'c', 1, 'shop a') UNION ALL
                                 SELECT * FROM pg_temp.ev('other', 'b', 'c', 1, 'other b') UNION ALL
                                 SELECT * FROM pg_temp.ev('other', 'b', 'u', 1, 'other b again')$$);
SELECT cdc_sync.start_pipeline('t24p');
SELECT ok(cdc_sync.wait_for_catchup('t24p', '60 s'), 'a parked table does not hold up the pipeline');
SELECT results_eq('SELECT id, v FROM t24p_shop.a', $$VALUES (1::bigint, 'shop a')$$, 'the other table is applied');
SELECT matches((SELECT parked_reason FROM cdc_sync.table_stats WHERE pipeline = 't24p' AND source = 'other.b'),
               'creating target t24p_other.b failed: schema "t24p_other" does not exist', 'parked, with the reason');
CREATE SCHEMA t24p_other;
SELECT cdc_sync.retry_table('t24p', 'other.b');
SELECT ok(cdc_sync.wait_for_catchup('t24p', '60 s'), 'retried');
SELECT results_eq('SELECT id, v FROM t24p_other.b', $$VALUES (1::bigint, 'other b again')$$,
                  'the retry created the table and applied the kept changes in order');
SELECT is(cdc_test.primary_key('t24p_other.b') || ' | ' || coalesce((SELECT parked_reason FROM cdc_sync.table_stats
                                                                    WHERE pipeline = 't24p' AND source = 'other.b'), 'live'),
          'id | live', 'keyed by the message key, and live again');

SELECT cdc_sync.drop_pipeline(name) FROM cdc_sync.pipelines WHERE name IN ('t24', 't24s', 't24c', 't24p');
SELECT * FROM finish();
