-- Changes are applied as the pipeline's owner, not as superuser; Kafka trouble is visible in
-- status and retried, never a crash loop.
\set ON_ERROR_STOP 1
SELECT plan(10);

CREATE ROLE t05_owner LOGIN;
GRANT USAGE ON SCHEMA cdc_sync TO t05_owner;
CREATE TABLE t05 (id int PRIMARY KEY, v text, applied_by text);
ALTER TABLE t05 OWNER TO t05_owner;
CREATE FUNCTION t05_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.applied_by := current_user; RETURN NEW; END $$;
CREATE TRIGGER t05_stamp BEFORE INSERT OR UPDATE ON t05 FOR EACH ROW EXECUTE FUNCTION t05_stamp();

SELECT cdc_test.create_topic('t05', 1);
SELECT cdc_test.produce('t05', $$SELECT 0, NULL, cdc_test.dbz('c', '{"id": 1, "v": "a"}')$$);
SELECT cdc_test.brokers() AS brokers \gset
SET ROLE t05_owner;
SELECT cdc_sync.create_pipeline('t05', :'brokers', ARRAY['t05']);
SELECT cdc_sync.add_sync_table('t05', 's.t', 't05');
SELECT cdc_sync.start_pipeline('t05');
SELECT ok(cdc_sync.wait_for_catchup('t05', '60 s'), 'owner''s pipeline caught up');
RESET ROLE;
SELECT is((SELECT applied_by FROM t05 WHERE id = 1), 't05_owner', 'rows are written as the pipeline owner');

-- the owner loses a privilege: the apply fails with a permission error instead of using superuser
-- rights, and the table is parked (on_table_error 'park', the default) naming the cause
SET ROLE t05_owner;  -- (a second pipeline, for on_table_error 'fail' below, added while it may)
SELECT cdc_sync.create_pipeline('t05f', :'brokers', ARRAY['t05'], 'debezium', '{"on_error": "dead_letter"}');
SELECT cdc_sync.add_sync_table('t05f', 's.t', 't05', options => '{"on_table_error": "fail"}');
RESET ROLE;
ALTER TABLE t05 OWNER TO postgres;
GRANT SELECT, INSERT ON t05 TO t05_owner;
SELECT cdc_test.produce('t05', $$SELECT 0, NULL, cdc_test.dbz('u', '{"id": 1, "v": "b"}', '{"id": 1}')$$);
SELECT ok(cdc_sync.wait_for_catchup('t05', '60 s'), 'the pipeline goes on');
SELECT matches((SELECT parked_reason FROM cdc_sync.table_stats WHERE pipeline = 't05'), 'permission denied for table t05',
               'no superuser fallback: missing UPDATE privilege parks the table, naming the cause');
SELECT is((SELECT v FROM t05 WHERE id = 1), 'a', 'the update was not applied');
-- on_table_error 'fail' stops the pipeline; not the message's fault: even with on_error
-- 'dead_letter' nothing is dead-lettered
SET ROLE t05_owner;
SELECT cdc_sync.start_pipeline('t05f');
SELECT throws_like($$SELECT cdc_sync.wait_for_catchup('t05f', '60 s')$$, '%permission denied for table t05%',
                   'on_table_error fail: a privilege error fails the pipeline, dead_letter or not');
RESET ROLE;
SELECT is((SELECT count(*) FROM cdc_sync.dead_letters WHERE pipeline IN ('t05', 't05f')), 0::bigint,
          'no message was dead-lettered for an environment error');
SELECT cdc_sync.drop_pipeline('t05f');

-- brokers that do not answer: the pipeline keeps running, retries, and says why in status
SELECT cdc_sync.create_pipeline('t05down', '127.0.0.1:1', ARRAY['t05']);
SELECT cdc_sync.add_sync_table('t05down', 's.t', 't05');
SELECT cdc_sync.start_pipeline('t05down');
SELECT ok(cdc_test.wait_until($$SELECT kafka_problem IS NOT NULL FROM cdc_sync.status WHERE pipeline = 't05down'$$, '60 s'),
          'status shows the Kafka problem');
SELECT is((SELECT state FROM cdc_sync.status WHERE pipeline = 't05down'), 'running', 'still running (retrying)');
SELECT throws_like($$SELECT cdc_sync.wait_for_catchup('t05down', '2 s')$$, '%cannot read the high-water marks%',
                   'wait_for_catchup says it cannot reach Kafka');

SELECT cdc_sync.drop_pipeline('t05');
SELECT cdc_sync.drop_pipeline('t05down');
DROP TABLE t05;
DROP FUNCTION t05_stamp();
REVOKE USAGE ON SCHEMA cdc_sync FROM t05_owner;
DROP ROLE t05_owner;
SELECT * FROM finish();
