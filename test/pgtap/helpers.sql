-- Test helpers for the end-to-end tests, installed once per run in the e2e database.
-- They reach the mock Kafka through our test tools, run by the server via COPY TO PROGRAM.
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS cdc_sync;
CREATE EXTENSION IF NOT EXISTS dblink;
DROP SCHEMA IF EXISTS cdc_test CASCADE;
CREATE SCHEMA cdc_test;

-- The mock cluster's bootstrap servers.
CREATE FUNCTION cdc_test.brokers() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT current_setting('cdc_test.brokers') $$;

-- Path of a test tool.
CREATE FUNCTION cdc_test.bin(tool text) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT current_setting('cdc_test.run_dir') || '/bin/' || tool $$;

-- Runs a shell command as the server's OS user; the statement fails if it exits non-zero.
CREATE FUNCTION cdc_test.run(cmd text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT 1 WHERE false) TO PROGRAM %L', cmd);
END $$;

-- Creates a topic with a number of partitions in the mock cluster.
CREATE FUNCTION cdc_test.create_topic(topic text, partitions int) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.run(format('%s ctl --state-dir %s/kafka create-topic %s %s >/dev/null',
        cdc_test.bin('mock_kafka'), current_setting('cdc_test.run_dir'), topic, partitions))
$$;

-- Produces the rows of `query` (partition int, key text, value text) to `topic`, in order.
CREATE FUNCTION cdc_test.produce(topic text, query text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (%s) TO PROGRAM %L', query,
        format('%s --brokers %s --topic %s 2>/dev/null', cdc_test.bin('kafka_produce'), cdc_test.brokers(), topic));
END $$;

-- Appends a transaction marker (commit, or abort) to a partition of `topic`, as a transactional
-- producer's broker does when the transaction ends: an offset no consumer ever gets as a message.
CREATE FUNCTION cdc_test.mark_transaction(topic text, part int DEFAULT 0, commit boolean DEFAULT true)
RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.run(format('%s --brokers %s --topic %s --partition %s %s', cdc_test.bin('kafka_marker'),
                               cdc_test.brokers(), topic, part, CASE WHEN commit THEN '' ELSE '--abort' END))
$$;

-- The non-empty lines of a file of ../shared/cdc-samples, in order.
CREATE FUNCTION cdc_test.sample_lines(path text) RETURNS TABLE (n bigint, line text) LANGUAGE sql AS $$
    SELECT n, line
    FROM regexp_split_to_table(pg_read_file(current_setting('cdc_test.run_dir') || '/samples/' || path), E'\n')
         WITH ORDINALITY AS l(line, n)
    WHERE btrim(line) <> ''
$$;

-- Produces every line of a sample file as one message (no key) to partition 0.
CREATE FUNCTION cdc_test.produce_sample(topic text, path text) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.produce(topic, format(
        'SELECT 0, NULL::text, line FROM cdc_test.sample_lines(%L) ORDER BY n', path))
$$;

-- Polls `condition` (a boolean query) until true or `timeout` passes; for states that have no
-- catch-up point to wait for (a failing broker, a stopped worker).
CREATE FUNCTION cdc_test.wait_until(condition text, timeout interval DEFAULT '30 s') RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + timeout;
    result boolean;
BEGIN
    LOOP
        PERFORM pg_stat_clear_snapshot();  -- else pg_stat_activity stays as first read in this call
        EXECUTE condition INTO result;
        IF result THEN RETURN true; END IF;
        IF clock_timestamp() > deadline THEN RETURN false; END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;

-- A Debezium create/update event for source s.t (payload only).
CREATE FUNCTION cdc_test.dbz(op text, after jsonb, before jsonb DEFAULT NULL, db text DEFAULT 's',
                             tbl text DEFAULT 't') RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('op', op, 'before', before, 'after', after,
                              'source', jsonb_build_object('db', db, 'table', tbl))::text
$$;
