-- Topics written by transactional producers (Kafka Connect's exactly-once source, Flink's
-- exactly-once sink), on a real broker: each transaction ends with a marker that takes an offset
-- but is never delivered. Committed messages are applied, aborted ones never; the pipeline still
-- stores offsets up to the high-water mark, so wait_for_catchup() returns true and the lag is 0 —
-- on one partition and with several workers, after a restart, and when an aborted transaction is
-- the very first thing a worker meets.
\set ON_ERROR_STOP 1
SELECT plan(12);

CREATE TABLE t11 (id int PRIMARY KEY, v text);
SELECT cdc_test.create_topic('t11', 2);

-- One transaction over both partitions: ids lo..hi (odd ids to partition 1), committed or aborted.
CREATE FUNCTION pg_temp.transaction(lo int, hi int, commit boolean DEFAULT true, tag text DEFAULT 'v')
RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.produce_transaction('t11', format(
        $q$SELECT i %% 2, jsonb_build_object('id', i)::text, cdc_test.dbz('c', jsonb_build_object('id', i, 'v', %L || i))
           FROM generate_series(%s, %s) i ORDER BY i$q$, tag, lo, hi), commit);
$$;

SELECT pg_temp.transaction(1, 10);
SELECT pg_temp.transaction(11, 20);
SELECT pg_temp.transaction(5, 14, false, 'aborted');   -- rewrites ids 5..14, then aborts
SELECT pg_temp.transaction(101, 110, false);           -- new ids, aborted
SELECT cdc_sync.create_pipeline('t11', cdc_test.brokers(), ARRAY['t11']);
SELECT cdc_sync.add_sync_table('t11', 's.t', 't11');
SELECT cdc_sync.start_pipeline('t11');
SELECT ok(cdc_sync.wait_for_catchup('t11', '60 s'), 'caught up although the logs end with transaction markers');
SELECT results_eq($$SELECT count(*), min(id), max(id) FROM t11$$, $$VALUES (20::bigint, 1, 20)$$,
                  'every committed row applied, no aborted one');
SELECT is((SELECT count(*) FROM t11 WHERE v LIKE 'aborted%'), 0::bigint, 'no aborted update applied');
SELECT results_eq($$SELECT part, high FROM cdc_test.watermarks('t11')$$,
                  $$VALUES (0, 24::bigint), (1, 24::bigint)$$,
                  'the logs hold 4 transactions of 5 messages and a marker per partition');
SELECT results_eq($$SELECT partition, next_offset FROM cdc_sync.offsets WHERE pipeline = 't11' ORDER BY partition$$,
                  $$VALUES (0, 24::bigint), (1, 24::bigint)$$,
                  'stored offsets reach the high-water marks');
SELECT ok(cdc_test.wait_until($$SELECT lag_messages = 0 FROM cdc_sync.status WHERE pipeline = 't11'$$),
          'status shows no lag');
SELECT is((SELECT messages_consumed FROM cdc_sync.status WHERE pipeline = 't11'), 20::bigint,
          'markers and aborted messages are not counted as messages');

-- A restart starts after the markers; an aborted transaction first, then a committed one.
SELECT cdc_sync.stop_pipeline('t11');
SELECT cdc_test.wait_until($$SELECT worker_pids = '{}' FROM cdc_sync.status WHERE pipeline = 't11'$$);
SELECT pg_temp.transaction(1, 4, false, 'aborted');
SELECT pg_temp.transaction(21, 30);
SELECT cdc_sync.alter_pipeline('t11', '{"parallelism": 2}');
SELECT cdc_sync.start_pipeline('t11');
SELECT ok(cdc_sync.wait_for_catchup('t11', '60 s'), 'two workers catch up past markers after a restart');
SELECT results_eq($$SELECT count(*), max(id) FROM t11$$, $$VALUES (30::bigint, 30)$$, 'the new rows applied, none twice');
SELECT is((SELECT count(*) FROM t11 WHERE v LIKE 'aborted%'), 0::bigint, 'still no aborted row');
SELECT results_eq($$SELECT o.partition, o.next_offset - w.high FROM cdc_sync.offsets o
                    JOIN cdc_test.watermarks('t11') w ON w.part = o.partition
                    WHERE o.pipeline = 't11' ORDER BY 1$$,
                  $$VALUES (0, 0::bigint), (1, 0::bigint)$$, 'offsets at the high-water marks again');
SELECT is((SELECT messages_consumed FROM cdc_sync.status WHERE pipeline = 't11'), 30::bigint,
          'each committed message consumed once');

SELECT cdc_sync.drop_pipeline('t11');
SELECT * FROM finish();
