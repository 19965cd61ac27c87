-- Test helpers for the end-to-end tests, installed once per run in the e2e database.
-- They reach Kafka (a real broker, or the mock) through our test tools, run by the server via COPY TO PROGRAM.
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

-- Real broker (cdc_test.kafka = 'real') or the mock cluster.
CREATE FUNCTION cdc_test.real_kafka() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT current_setting('cdc_test.kafka', true) = 'real' $$;

-- Creates a topic with a number of partitions (and, on a real broker, topic configs 'name=value').
CREATE FUNCTION cdc_test.create_topic(topic text, partitions int, configs text[] DEFAULT '{}')
RETURNS void LANGUAGE sql AS $$
    SELECT CASE WHEN cdc_test.real_kafka() THEN
        cdc_test.run(format('%s --brokers %s create-topic %s %s %s >/dev/null', cdc_test.bin('kafka_admin'),
                            cdc_test.brokers(), topic, partitions, array_to_string(configs, ' ')))
    ELSE
        cdc_test.run(format('%s ctl --state-dir %s/kafka create-topic %s %s >/dev/null',
                            cdc_test.bin('mock_kafka'), current_setting('cdc_test.run_dir'), topic, partitions))
    END
$$;

-- Adds partitions to a topic, up to `total` (real broker only).
CREATE FUNCTION cdc_test.add_partitions(topic text, total int) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.run(format('%s --brokers %s add-partitions %s %s >/dev/null', cdc_test.bin('kafka_admin'),
                               cdc_test.brokers(), topic, total))
$$;

-- Deletes a topic (real broker only).
CREATE FUNCTION cdc_test.delete_topic(topic text) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.run(format('%s --brokers %s delete-topic %s >/dev/null', cdc_test.bin('kafka_admin'),
                               cdc_test.brokers(), topic))
$$;

-- Low and high watermarks of each partition of a topic, asked of the broker now.
CREATE FUNCTION cdc_test.watermarks(topic text) RETURNS TABLE (part int, low bigint, high bigint)
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('pg_temp.cdc_test_marks') IS NULL THEN
        CREATE TEMP TABLE cdc_test_marks (part int, low bigint, high bigint);
    END IF;
    TRUNCATE cdc_test_marks;
    EXECUTE format('COPY cdc_test_marks FROM PROGRAM %L', format('%s --brokers %s watermarks %s',
                   cdc_test.bin('kafka_admin'), cdc_test.brokers(), topic));
    RETURN QUERY SELECT * FROM cdc_test_marks ORDER BY 1;
END $$;

-- A consumer group as Kafka's own kafka-consumer-groups --describe shows it (real broker only).
CREATE FUNCTION cdc_test.describe_group(grp text)
RETURNS TABLE (topic text, part int, committed bigint, log_end bigint, lag bigint) LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('pg_temp.cdc_test_group_lines') IS NULL THEN
        CREATE TEMP TABLE cdc_test_group_lines (line text);
    END IF;
    TRUNCATE cdc_test_group_lines;
    EXECUTE format('COPY cdc_test_group_lines FROM PROGRAM %L', format(
        '%s --bootstrap-server %s --describe --group %s 2>&1', cdc_test.bin('kafka-consumer-groups'),
        cdc_test.brokers(), grp));
    -- GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
    RETURN QUERY
        SELECT f[2], f[3]::int, nullif(f[4], '-')::bigint, nullif(f[5], '-')::bigint, nullif(f[6], '-')::bigint
        FROM (SELECT regexp_split_to_array(btrim(line), '\s+') AS f FROM cdc_test_group_lines) l
        WHERE f[1] = grp
        ORDER BY 1, 2;
END $$;

-- Produces the rows of `query` (partition int, key text, value text) to `topic`, in order.
CREATE FUNCTION cdc_test.produce(topic text, query text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (%s) TO PROGRAM %L', query,
        format('%s --brokers %s --topic %s 2>/dev/null', cdc_test.bin('kafka_produce'), cdc_test.brokers(), topic));
END $$;

-- Produces the rows of `query` in one transaction of a transactional producer, then commits or
-- aborts it: the broker ends it with a marker (an offset no consumer gets) in each partition.
CREATE FUNCTION cdc_test.produce_transaction(topic text, query text, commit boolean DEFAULT true)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (%s) TO PROGRAM %L', query,
        format('%s --brokers %s --topic %s --transaction %s 2>/dev/null', cdc_test.bin('kafka_produce'),
               cdc_test.brokers(), topic, CASE WHEN commit THEN 'commit' ELSE 'abort' END));
END $$;

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

-- A table's primary key columns, in key order: "order_no, line".
CREATE FUNCTION cdc_test.primary_key(t regclass) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
    FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = t AND i.indisprimary
$$;

-- A table's columns and their types, in order: "id integer, v text".
CREATE FUNCTION cdc_test.columns(t regclass) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
    FROM pg_attribute WHERE attrelid = t AND attnum > 0 AND NOT attisdropped
$$;

-- `s` quoted for the shell.
CREATE FUNCTION cdc_test.sh_quote(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT '''' || replace(s, '''', '''\''''') || ''''
$$;

-- The test MariaDB (full loads): connection options for cdc_sync.create_mysql_connection.
CREATE FUNCTION cdc_test.mysql_options() RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('host', '127.0.0.1', 'port', current_setting('cdc_test.mysql_port')::int,
                              'user', 'cdc', 'password', 'cdc')
$$;

-- Runs SQL statements at the test MariaDB (its client, as the server's OS user, over TCP).
CREATE FUNCTION cdc_test.mysql(statements text) RETURNS void LANGUAGE sql AS $$
    SELECT cdc_test.run(format('mariadb -h127.0.0.1 -P%s -ucdc -pcdc -e %s', current_setting('cdc_test.mysql_port'),
                               cdc_test.sh_quote(statements)))
$$;

-- One value from the test MariaDB.
CREATE FUNCTION cdc_test.mysql_value(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS cdc_test_mysql_out (v text);
    TRUNCATE cdc_test_mysql_out;
    EXECUTE format('COPY cdc_test_mysql_out FROM PROGRAM %L',
                   format('mariadb -h127.0.0.1 -P%s -ucdc -pcdc --batch --skip-column-names -e %s',
                          current_setting('cdc_test.mysql_port'), cdc_test.sh_quote(query)));
    SELECT cdc_test_mysql_out.v INTO v FROM cdc_test_mysql_out LIMIT 1;
    RETURN v;
END $$;
