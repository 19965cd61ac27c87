-- Lifecycle through the SQL API: options merge, states, offsets reset, removal, and the
\set SHOW_CONTEXT never
-- isolation of pipelines between roles. (No worker runs in this database.)
CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric);
SELECT cdc_sync.create_pipeline('life', 'b:9092', ARRAY['shop.orders'], 'debezium',
    '{"batch_max_rows": 100, "kafka": {"fetch.wait.max.ms": 50, "client.id": "x"}}');

-- starting needs a sync table
SELECT cdc_sync.start_pipeline('life');
SELECT cdc_sync.add_sync_table('life', 'shop.orders', 'orders');

-- alter_pipeline merges; null removes a setting; "kafka" merges property by property
SELECT cdc_sync.alter_pipeline('life', '{"batch_max_ms": 200, "batch_max_rows": null}');
SELECT cdc_sync.alter_pipeline('life', '{"kafka": {"client.id": null, "socket.timeout.ms": 20000}}');
SELECT options FROM cdc_sync.pipelines WHERE name = 'life';
SELECT cdc_sync.alter_pipeline('life', '{"batch_max_ms": -1}');
SELECT cdc_sync.alter_pipeline('life', NULL);
SELECT options FROM cdc_sync.pipelines WHERE name = 'life';

-- states
SELECT state FROM cdc_sync.status WHERE pipeline = 'life';
SELECT cdc_sync.start_pipeline('life');
SELECT cdc_sync.start_pipeline('life');
SELECT state, last_error FROM cdc_sync.status WHERE pipeline = 'life';
SELECT cdc_sync.reset_offsets('life', 'earliest');
SELECT cdc_sync.stop_pipeline('life');
SELECT cdc_sync.stop_pipeline('life');
SELECT state FROM cdc_sync.status WHERE pipeline = 'life';

-- offsets: reset only while stopped; a reset clears stored offsets and records where to start
INSERT INTO cdc_sync.offsets (pipeline, topic, partition, next_offset) VALUES ('life', 'shop.orders', 0, 42);
SELECT cdc_sync.reset_offsets('life', '2024-05-01 12:00:00+00');
SELECT count(*) AS stored_offsets FROM cdc_sync.offsets WHERE pipeline = 'life';
SELECT start_override FROM cdc_sync.pipelines WHERE name = 'life';
SELECT cdc_sync.reset_offsets('life', 'latest');
SELECT start_override FROM cdc_sync.pipelines WHERE name = 'life';

-- remove_sync_table keeps the target table
SELECT cdc_sync.remove_sync_table('life', 'shop.orders');
SELECT count(*) AS sync_tables FROM cdc_sync.sync_tables WHERE pipeline = 'life';
SELECT cdc_sync.add_sync_table('life', 'shop.orders', 'orders');

-- roles: a pipeline belongs to its creator; others neither see nor touch it
CREATE ROLE regress_cdc_alice;
CREATE ROLE regress_cdc_bob;
GRANT USAGE ON SCHEMA cdc_sync TO regress_cdc_alice, regress_cdc_bob;
CREATE TABLE alice_t (id int PRIMARY KEY, v text);
ALTER TABLE alice_t OWNER TO regress_cdc_alice;
CREATE TABLE secret_t (id int PRIMARY KEY);
GRANT SELECT, INSERT ON secret_t TO regress_cdc_alice;
CREATE TABLE shared_t (id int PRIMARY KEY);
GRANT SELECT, INSERT, UPDATE, DELETE ON shared_t TO regress_cdc_alice;
SET ROLE regress_cdc_alice;
SELECT cdc_sync.create_pipeline('alice_p', 'b:9092', ARRAY['a.t'], 'debezium',
    '{"kafka": {"sasl.username": "alice", "sasl.password": "s3cret"}}');
SELECT cdc_sync.add_sync_table('alice_p', 'a.t', 'alice_t');
-- a table alice may write but does not own: columns new at the source cannot be added to it
SELECT cdc_sync.add_sync_table('alice_p', 'a.shared', 'shared_t');
SELECT cdc_sync.add_sync_table('alice_p', 'a.shared2', 'shared_t', options => '{"schema_changes": "ignore"}');
-- properties that name commands, plugins or files are for superusers' pipelines only
SELECT cdc_sync.alter_pipeline('alice_p', '{"kafka": {"sasl.kerberos.kinit.cmd": "id > /tmp/x"}}');
SELECT cdc_sync.alter_pipeline('alice_p', '{"kafka": {"plugin.library.paths": "/tmp/evil.so"}}');
SELECT cdc_sync.alter_pipeline('alice_p', '{"kafka": {"ssl.ca.location": "/etc/passwd"}}');
SELECT cdc_sync.alter_pipeline('alice_p', '{"kafka": {"ssl.ca.pem": "-----BEGIN CERTIFICATE-----"}}');
SELECT cdc_sync._check_kafka_property('plugin.library.paths', '/tmp/evil.so');
SELECT cdc_sync.add_sync_table('alice_p', 'a.secret', 'secret_t');
SELECT name, owner FROM cdc_sync.pipelines ORDER BY name;
SELECT pipeline FROM cdc_sync.status ORDER BY pipeline;
SELECT cdc_sync.alter_pipeline('life', '{"batch_max_ms": 1}');
INSERT INTO cdc_sync.offsets (pipeline, topic, partition, next_offset) VALUES ('alice_p', 'a.t', 0, 1);
UPDATE cdc_sync.pipelines SET brokers = 'evil:1';
SELECT cdc_sync._create_pipeline(0, '', 'x', 'b', ARRAY['t'], 'debezium', '{}');
RESET ROLE;
SET ROLE regress_cdc_bob;
SELECT name FROM cdc_sync.pipelines;
SELECT count(*) AS visible_sync_tables FROM cdc_sync.sync_tables;
SELECT pipeline FROM cdc_sync.status;
SELECT cdc_sync.drop_pipeline('alice_p');
SELECT cdc_sync.add_sync_table('alice_p', 'a.x', 'alice_t');
RESET ROLE;
SELECT name, owner FROM cdc_sync.pipelines ORDER BY name;

-- drop_pipeline removes configuration, offsets and sync tables, never target tables
SELECT cdc_sync.drop_pipeline('life');
SELECT cdc_sync.drop_pipeline('alice_p');
SELECT (SELECT count(*) FROM cdc_sync.pipelines) AS pipelines,
       (SELECT count(*) FROM cdc_sync.sync_tables) AS sync_tables,
       (SELECT count(*) FROM cdc_sync.offsets) AS offsets,
       (SELECT count(*) FROM cdc_sync.pipeline_counters) AS counters,
       (SELECT count(*) FROM pg_class WHERE relname IN ('orders', 'alice_t')) AS targets_kept;
DROP TABLE alice_t, secret_t, shared_t;
REVOKE USAGE ON SCHEMA cdc_sync FROM regress_cdc_alice, regress_cdc_bob;
DROP ROLE regress_cdc_alice;
DROP ROLE regress_cdc_bob;
