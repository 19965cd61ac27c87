-- Topics written by transactional producers (Kafka Connect's exactly-once source, Flink's
-- exactly-once sink): each transaction ends with a marker that takes an offset but is never
-- delivered as a message. The pipeline must still store offsets up to the high-water mark, so
-- wait_for_catchup() returns true and the lag is 0 — on one partition and with several workers,
-- after a restart, and when the marker is the very first offset a worker starts from.
\set ON_ERROR_STOP 1
SELECT plan(9);

CREATE TABLE t11 (id int PRIMARY KEY, v text);
SELECT cdc_test.create_topic('t11', 2);

-- Transactions: rows then a commit marker, on both partitions.
CREATE FUNCTION pg_temp.transaction(lo int, hi int) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.produce('t11', format(
        $q$SELECT i %% 2, jsonb_build_object('id', i)::text, cdc_test.dbz('c', jsonb_build_object('id', i, 'v', 'v' || i))
           FROM generate_series(%s, %s) i ORDER BY i$q$, lo, hi));
    SELECT cdc_test.mark_transaction('t11', 0);
    SELECT cdc_test.mark_transaction('t11', 1);
$$;

SELECT pg_temp.transaction(1, 10);
SELECT pg_temp.transaction(11, 20);
SELECT cdc_sync.create_pipeline('t11', cdc_test.brokers(), ARRAY['t11']);
SELECT cdc_sync.add_sync_table('t11', 's.t', 't11');
SELECT cdc_sync.start_pipeline('t11');
SELECT ok(cdc_sync.wait_for_catchup('t11', '60 s'), 'caught up although the logs end with transaction markers');
SELECT results_eq($$SELECT count(*), min(id), max(id) FROM t11$$, $$VALUES (20::bigint, 1, 20)$$, 'every row applied');
SELECT results_eq($$SELECT partition, next_offset FROM cdc_sync.offsets WHERE pipeline = 't11' ORDER BY partition$$,
                  $$VALUES (0, 12::bigint), (1, 12::bigint)$$,
                  'stored offsets reach the high-water marks (10 messages + 2 markers per partition)');
SELECT ok(cdc_test.wait_until($$SELECT lag_messages = 0 FROM cdc_sync.status WHERE pipeline = 't11'$$),
          'status shows no lag');
SELECT is((SELECT messages_consumed FROM cdc_sync.status WHERE pipeline = 't11'), 20::bigint,
          'markers are not counted as messages');

-- A restart starts after the markers; a marker alone (an empty transaction) is passed too.
SELECT cdc_sync.stop_pipeline('t11');
SELECT cdc_test.wait_until($$SELECT worker_pids = '{}' FROM cdc_sync.status WHERE pipeline = 't11'$$);
SELECT cdc_test.mark_transaction('t11', 0);
SELECT pg_temp.transaction(21, 30);
SELECT cdc_sync.alter_pipeline('t11', '{"parallelism": 2}');
SELECT cdc_sync.start_pipeline('t11');
SELECT ok(cdc_sync.wait_for_catchup('t11', '60 s'), 'two workers catch up past markers after a restart');
SELECT results_eq($$SELECT count(*), max(id) FROM t11$$, $$VALUES (30::bigint, 30)$$, 'the new rows applied, none twice');
SELECT results_eq($$SELECT partition, next_offset FROM cdc_sync.offsets WHERE pipeline = 't11' ORDER BY partition$$,
                  $$VALUES (0, 19::bigint), (1, 18::bigint)$$, 'offsets at the high-water marks again');
SELECT is((SELECT messages_consumed FROM cdc_sync.status WHERE pipeline = 't11'), 30::bigint,
          'each message consumed once');

SELECT cdc_sync.drop_pipeline('t11');
SELECT * FROM finish();
