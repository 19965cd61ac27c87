-- What Kafka itself sees and offers on a real broker: start positions by timestamp (offsets for
-- times), and the consumer group that cdc_sync commits to after each batch, as Kafka's own
-- kafka-consumer-groups --describe shows it.
\set ON_ERROR_STOP 1
SELECT plan(9);

CREATE TABLE t15 (id int PRIMARY KEY, v text);
SELECT cdc_test.create_topic('t15', 2);
CREATE FUNCTION pg_temp.produce_ids(lo int, hi int) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.produce('t15', format(
        $q$SELECT i %% 2, NULL, cdc_test.dbz('c', jsonb_build_object('id', i, 'v', 'v' || i))
           FROM generate_series(%s, %s) i ORDER BY i$q$, lo, hi))
$$;

-- Messages before a point in time, then after it: the producer stamps each message with its
-- clock (CreateTime); every message of the first call was acknowledged before the point is taken.
SELECT pg_temp.produce_ids(1, 20);
CREATE TEMP TABLE t15_points AS SELECT 1 AS n, clock_timestamp() AS at;
SELECT pg_temp.produce_ids(21, 40);
INSERT INTO t15_points SELECT 2, clock_timestamp();
SELECT pg_temp.produce_ids(41, 60);

SELECT cdc_sync.create_pipeline('t15', cdc_test.brokers(), ARRAY['t15'], 'debezium',
                                jsonb_build_object('start_from', (SELECT at FROM t15_points WHERE n = 1)::text));
SELECT cdc_sync.add_sync_table('t15', 's.t', 't15');
SELECT cdc_sync.start_pipeline('t15');
SELECT ok(cdc_sync.wait_for_catchup('t15', '60 s'), 'a pipeline that starts from a timestamp catches up');
SELECT results_eq('SELECT count(*), min(id), max(id) FROM t15', 'VALUES (40::bigint, 21, 60)',
                  'start_from a timestamp applies exactly the messages from that time on');

-- reset_offsets to a later timestamp replays from there.
SELECT cdc_sync.stop_pipeline('t15');
SELECT cdc_test.wait_until($$SELECT worker_pids = '{}' FROM cdc_sync.status WHERE pipeline = 't15'$$);
TRUNCATE t15;
SELECT cdc_sync.reset_offsets('t15', (SELECT at FROM t15_points WHERE n = 2)::text);
SELECT cdc_sync.start_pipeline('t15');
SELECT ok(cdc_sync.wait_for_catchup('t15', '60 s'), 'caught up after reset_offsets to a timestamp');
SELECT results_eq('SELECT count(*), min(id), max(id) FROM t15', 'VALUES (20::bigint, 41, 60)',
                  'reset_offsets to a timestamp replays exactly from that time');

-- The consumer group: committed to Kafka after each PostgreSQL commit, so Kafka's own tool agrees
-- with cdc_sync.offsets and shows no lag once caught up.
SELECT ok(cdc_test.wait_until($$SELECT count(*) = 2 AND bool_and(g.committed = o.next_offset)
                                FROM cdc_test.describe_group('cdc_sync.t15') g
                                JOIN cdc_sync.offsets o ON o.pipeline = 't15' AND o.topic = g.topic
                                                       AND o.partition = g.part$$, '60 s'),
          'kafka-consumer-groups --describe shows the offsets of cdc_sync.offsets');
SELECT results_eq($$SELECT part, lag FROM cdc_test.describe_group('cdc_sync.t15')$$,
                  $$VALUES (0, 0::bigint), (1, 0::bigint)$$, 'and no lag');

-- A custom group_id is the group Kafka shows.
SELECT cdc_sync.alter_pipeline('t15', '{"group_id": "analytics.t15"}');
SELECT pg_temp.produce_ids(61, 64);
SELECT ok(cdc_sync.wait_for_catchup('t15', '60 s'), 'caught up with a custom group');
SELECT ok(cdc_test.wait_until($$SELECT count(*) = 2 AND bool_and(lag = 0 AND committed = log_end)
                                FROM cdc_test.describe_group('analytics.t15')$$, '60 s'),
          'the custom group shows the offsets, without lag');

-- status agrees with the committed offsets the moment wait_for_catchup sees them: no lag left
-- over from the last status update (it was published at most once a second).
CREATE FUNCTION pg_temp.lag_after_rounds(rounds int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    seen text := '';
BEGIN
    FOR r IN 1..rounds LOOP
        PERFORM pg_temp.produce_ids(1000 + r * 3000, 1000 + r * 3000 + 2999);
        IF NOT cdc_sync.wait_for_catchup('t15', '60 s') THEN RETURN 'no catch-up'; END IF;
        PERFORM pg_stat_clear_snapshot();
        seen := seen || coalesce((SELECT lag_messages FROM cdc_sync.status WHERE pipeline = 't15'), -1) || ' ';
    END LOOP;
    RETURN seen;
END $$;
SELECT is(pg_temp.lag_after_rounds(3), '0 0 0 ', 'right after each catch-up, status shows no lag');

SELECT cdc_sync.drop_pipeline('t15');
SELECT * FROM finish();
