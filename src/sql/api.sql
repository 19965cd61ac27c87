-- The SQL API. Each public function is a thin C entry point (cdc_sync_api_dispatch) that records
-- the calling role, switches to the extension owner and calls the _impl below with
-- (caller, caller's search_path, arguments...). The impls are not executable by PUBLIC, so the
-- calling role cannot be forged, and catalog tables can only change through them.

-- Validation helpers -----------------------------------------------------------------------------

-- Parses a start position: 'earliest' -> -2, 'latest' -> -1, a timestamp -> epoch milliseconds.
-- A timestamp without an offset is UTC: the same instant whether the caller's session or the
-- worker (whose TimeZone is the pipeline's time_zone) reads it.
CREATE FUNCTION cdc_sync._position_ms(pos text) RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$
BEGIN
    IF pos IS NULL THEN
        RAISE EXCEPTION 'position must not be null' USING ERRCODE = 'invalid_parameter_value';
    ELSIF lower(pos) = 'earliest' THEN
        RETURN -2;
    ELSIF lower(pos) = 'latest' THEN
        RETURN -1;
    END IF;
    BEGIN
        RETURN (extract(epoch FROM pos::timestamptz) * 1000)::bigint;
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'invalid position "%"', pos
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'use ''earliest'', ''latest'' or a timestamp such as ''2024-05-01 12:00:00+00''';
    END;
END $$;

-- Checks an integer option against its range.
CREATE FUNCTION cdc_sync._int_option(name text, value jsonb, lo bigint, hi bigint) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF jsonb_typeof(value) <> 'number' OR (value #>> '{}') !~ '^[0-9]+$'
       OR (value #>> '{}')::numeric NOT BETWEEN lo AND hi THEN
        RAISE EXCEPTION 'option "%" must be an integer between % and %, not %', name, lo, hi, value
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;

-- Checks one of a fixed set of string values.
CREATE FUNCTION cdc_sync._enum_option(name text, value jsonb, allowed text[]) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF jsonb_typeof(value) <> 'string' OR NOT (value #>> '{}') = ANY (allowed) THEN
        RAISE EXCEPTION 'option "%" must be one of %, not %', name, array_to_string(allowed, ', '), value
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;

-- librdkafka properties a pipeline owner who is not a superuser may set. Everything else (file
-- paths, plugins, kinit commands, OpenSSL engines and providers...) would let the server run
-- code or read files as its OS user, so only superusers may set it.
CREATE FUNCTION cdc_sync._kafka_properties_for_everyone() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY[
        'security.protocol', 'sasl.mechanism', 'sasl.mechanisms', 'sasl.username', 'sasl.password',
        'sasl.oauthbearer.method', 'sasl.oauthbearer.client.id', 'sasl.oauthbearer.client.secret',
        'sasl.oauthbearer.scope', 'sasl.oauthbearer.extensions', 'sasl.oauthbearer.token.endpoint.url',
        'ssl.ca.pem', 'ssl.certificate.pem', 'ssl.key.pem', 'ssl.key.password',
        'ssl.endpoint.identification.algorithm', 'enable.ssl.certificate.verification',
        'ssl.cipher.suites', 'ssl.curves.list', 'ssl.sigalgs.list',
        'client.id', 'client.rack', 'socket.timeout.ms', 'socket.keepalive.enable',
        'socket.connection.setup.timeout.ms', 'connections.max.idle.ms', 'socket.send.buffer.bytes',
        'socket.receive.buffer.bytes', 'reconnect.backoff.ms', 'reconnect.backoff.max.ms', 'retry.backoff.ms',
        'metadata.max.age.ms', 'topic.metadata.refresh.interval.ms', 'fetch.wait.max.ms', 'fetch.min.bytes',
        'fetch.max.bytes', 'max.partition.fetch.bytes', 'fetch.message.max.bytes', 'fetch.error.backoff.ms',
        'receive.message.max.bytes', 'queued.min.messages', 'queued.max.messages.kbytes', 'isolation.level',
        'check.crcs', 'api.version.request', 'api.version.request.timeout.ms', 'broker.version.fallback',
        'session.timeout.ms', 'debug']
$$;

-- Validates the `kafka` object of librdkafka properties for a pipeline owned by `owner`.
CREATE FUNCTION cdc_sync._validate_kafka_options(kafka jsonb, owner oid) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text;
    v jsonb;
    problem text;
    privileged boolean := (SELECT rolsuper FROM pg_authid WHERE oid = owner);
BEGIN
    IF jsonb_typeof(kafka) <> 'object' THEN
        RAISE EXCEPTION 'option "kafka" must be an object of librdkafka properties'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR k, v IN SELECT * FROM jsonb_each(kafka) LOOP
        IF k IN ('bootstrap.servers', 'metadata.broker.list', 'group.id', 'enable.auto.commit',
                 'enable.auto.offset.store', 'auto.offset.reset', 'enable.partition.eof') THEN
            RAISE EXCEPTION 'kafka property "%" is managed by cdc_sync', k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'brokers and group_id are pipeline settings; offsets are kept in cdc_sync.offsets';
        END IF;
        IF NOT coalesce(privileged, false) AND NOT k = ANY (cdc_sync._kafka_properties_for_everyone()) THEN
            RAISE EXCEPTION 'kafka property "%" may only be set for pipelines owned by a superuser', k
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'properties that name files, commands or plugins run with the server''s rights; '
                             'use the *.pem properties for certificates';
        END IF;
        IF jsonb_typeof(v) NOT IN ('string', 'number', 'boolean') THEN
            RAISE EXCEPTION 'kafka property "%" must be a string, number or boolean', k
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        problem := cdc_sync._check_kafka_property(k, v #>> '{}');
        IF problem <> '' THEN
            RAISE EXCEPTION 'invalid kafka property "%": %', k, problem
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
END $$;

-- Whether the worker can SET TimeZone to `zone` (exactly its test: abbreviations such as 'CST'
-- are not accepted there). The trial setting is undone with its subtransaction.
CREATE FUNCTION cdc_sync._is_time_zone(zone text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    accepted boolean := false;
BEGIN
    BEGIN
        PERFORM set_config('TimeZone', zone, true);
        accepted := true;
        RAISE EXCEPTION USING ERRCODE = 'P0001';  -- roll the trial back
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
    RETURN accepted;
END $$;

-- Validates a whole pipeline options object.
CREATE FUNCTION cdc_sync._validate_pipeline_options(options jsonb, owner oid) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text;
    v jsonb;
BEGIN
    IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR k, v IN SELECT * FROM jsonb_each(options) LOOP
        CASE k
        WHEN 'batch_max_rows' THEN PERFORM cdc_sync._int_option(k, v, 1, 1000000);
        WHEN 'batch_max_ms' THEN PERFORM cdc_sync._int_option(k, v, 1, 600000);
        WHEN 'batch_max_bytes' THEN PERFORM cdc_sync._int_option(k, v, 65536, 4294967296);
        WHEN 'parallelism' THEN PERFORM cdc_sync._int_option(k, v, 1, 64);
        WHEN 'on_error' THEN PERFORM cdc_sync._enum_option(k, v, ARRAY['fail', 'dead_letter']);
        WHEN 'apply_strategy' THEN
            PERFORM cdc_sync._enum_option(k, v, ARRAY['auto', 'merge', 'delete_insert']);
            IF v = '"merge"' AND current_setting('server_version_num')::int < 150000 THEN
                RAISE EXCEPTION 'apply_strategy "merge" needs PostgreSQL 15 or later'
                    USING ERRCODE = 'feature_not_supported', HINT = 'use "auto" or "delete_insert"';
            END IF;
        WHEN 'start_from' THEN
            IF jsonb_typeof(v) <> 'string' THEN
                RAISE EXCEPTION 'option "start_from" must be a string' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            PERFORM cdc_sync._position_ms(v #>> '{}');
        WHEN 'group_id' THEN
            IF jsonb_typeof(v) <> 'string' OR v #>> '{}' = '' THEN
                RAISE EXCEPTION 'option "group_id" must be a non-empty string'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        WHEN 'kafka' THEN PERFORM cdc_sync._validate_kafka_options(v, owner);
        WHEN 'truncate' THEN PERFORM cdc_sync._enum_option(k, v, ARRAY['apply', 'ignore']);
        WHEN 'zero_dates' THEN PERFORM cdc_sync._enum_option(k, v, ARRAY['null', 'error']);
        WHEN 'decimal_handling_mode' THEN PERFORM cdc_sync._enum_option(k, v, ARRAY['string', 'double', 'precise']);
        WHEN 'dms_before_image_prefix' THEN
            IF jsonb_typeof(v) <> 'string' OR v #>> '{}' !~ '^[A-Za-z0-9_$#]{0,63}$' THEN
                RAISE EXCEPTION 'option "dms_before_image_prefix" must be a column-name prefix such as "BI_", or "" for none'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        WHEN 'time_zone' THEN
            IF jsonb_typeof(v) <> 'string' OR NOT cdc_sync._is_time_zone(v #>> '{}') THEN
                RAISE EXCEPTION 'option "time_zone" must name a time zone, e.g. "Asia/Shanghai" or "UTC"'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        WHEN 'unavailable_value' THEN
            IF jsonb_typeof(v) <> 'string' OR v #>> '{}' = '' THEN
                RAISE EXCEPTION 'option "unavailable_value" must be a non-empty string'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        WHEN 'topic_sources' THEN
            IF jsonb_typeof(v) <> 'object'
               OR EXISTS (SELECT 1 FROM jsonb_each(v) e WHERE jsonb_typeof(e.value) <> 'string' OR e.value #>> '{}' = '') THEN
                RAISE EXCEPTION 'option "topic_sources" must map topic names to source names, e.g. {"orders": "shop.orders"}'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSE
            RAISE EXCEPTION 'unknown pipeline option "%"', k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'valid options: batch_max_rows, batch_max_ms, batch_max_bytes, start_from, on_error, '
                             'apply_strategy, parallelism, group_id, kafka, truncate, topic_sources, '
                             'zero_dates, unavailable_value, time_zone, decimal_handling_mode, '
                             'dms_before_image_prefix';
        END CASE;
    END LOOP;
END $$;

-- Finds a pipeline the caller may manage, locking it; "does not exist" for others' pipelines.
CREATE FUNCTION cdc_sync._pipeline_for(caller oid, pipeline text, end_batches boolean DEFAULT false)
RETURNS cdc_sync.pipelines
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p cdc_sync.pipelines;
    pipe_id integer;
    workers integer[];
    waited text;
    old_timeout text;
BEGIN
    -- The pipeline's lock (exclusive), then its row: the order batches use, shared (apply.cpp).
    -- A heavyweight lock queues fairly: batches that come later wait behind this call.
    SELECT id INTO pipe_id FROM cdc_sync.pipelines WHERE name = pipeline;
    IF FOUND AND NOT pg_try_advisory_xact_lock(1128547155, pipe_id) THEN
        -- A batch is in flight. Other calls wait for it to commit; a stop or drop (end_batches)
        -- must not wait for whatever the batch waits on (a row lock a user holds, a long MERGE):
        -- the workers are told to stop, which rolls their batches back, and the wait is bounded.
        -- (Only the workers' batches: another API call holding the lock is simply waited for.)
        IF end_batches AND pg_has_role(caller, (SELECT owner FROM cdc_sync.pipelines WHERE id = pipe_id), 'MEMBER') THEN
            SELECT array_agg(l.pid) INTO workers
            FROM cdc_sync._worker_status() w, unnest(w.worker_pids) wp, pg_locks l
            WHERE w.pipeline_id = pipe_id AND l.pid = wp AND l.locktype = 'advisory' AND l.granted
              AND l.classid = 1128547155::bigint::oid AND l.objid = pipe_id::oid AND l.objsubid = 2;
        END IF;
        IF cardinality(workers) > 0 THEN
            SELECT string_agg(format('worker pid %s (%s%s)', a.pid,
                                     coalesce(a.wait_event_type || ': ' || a.wait_event, 'running'),
                                     CASE WHEN cardinality(pg_blocking_pids(a.pid)) > 0
                                          THEN ', blocked by pid ' || array_to_string(pg_blocking_pids(a.pid), ', ')
                                          ELSE '' END), '; ')
            INTO waited FROM pg_stat_activity a WHERE a.pid = ANY (workers);
            PERFORM pg_terminate_backend(w) FROM unnest(workers) w;
            old_timeout := current_setting('lock_timeout');
            PERFORM set_config('lock_timeout', '60s', true);
            BEGIN
                PERFORM pg_advisory_xact_lock(1128547155, pipe_id);
            EXCEPTION WHEN lock_not_available THEN
                RAISE EXCEPTION 'pipeline "%": its batch in flight did not end within 60 s', pipeline
                    USING ERRCODE = 'lock_not_available',
                          DETAIL = coalesce('It was applying in ' || waited || '.', 'No worker was found applying it.'),
                          HINT = 'see pg_stat_activity for the worker and what blocks it, then retry';
            END;
            PERFORM set_config('lock_timeout', old_timeout, true);
            RAISE NOTICE 'pipeline "%": its workers were stopped in the middle of a batch', pipeline
                USING DETAIL = coalesce('The batch was applying in ' || waited || '. ', '')
                               || 'An unfinished batch rolls back; its messages are applied at the next start.';
        ELSE
            PERFORM pg_advisory_xact_lock(1128547155, pipe_id);
        END IF;
    END IF;
    SELECT * INTO p FROM cdc_sync.pipelines WHERE name = pipeline FOR UPDATE;
    IF NOT FOUND OR NOT pg_has_role(caller, p.owner, 'MEMBER') THEN
        RAISE EXCEPTION 'pipeline "%" does not exist', pipeline USING ERRCODE = 'undefined_object';
    END IF;
    RETURN p;
END $$;

-- Drops the staging tables of a pipeline (all of them, or those of one sync table).
CREATE FUNCTION cdc_sync._drop_stage_tables(pipeline_id integer, sync_table_id integer DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT c.oid::regclass FROM pg_class c
             WHERE c.relnamespace = 'cdc_sync_stage'::regnamespace
               AND c.relname LIKE 'p' || pipeline_id || '\_s' || coalesce(sync_table_id::text, '%') || '\_w%'
    LOOP
        EXECUTE format('DROP TABLE IF EXISTS %s', t);
    END LOOP;
END $$;

-- Topic names and patterns: a name is what Kafka allows; an entry starting with '^' is a regular
-- expression (PostgreSQL's syntax, as for sync table sources) matched against whole topic names.
CREATE FUNCTION cdc_sync._validate_topics(p_topics text[])
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t text;
BEGIN
    IF p_topics IS NULL OR cardinality(p_topics) = 0 THEN
        RAISE EXCEPTION 'topics must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH t IN ARRAY p_topics LOOP
        IF t IS NULL THEN
            RAISE EXCEPTION 'topics must not contain NULL' USING ERRCODE = 'invalid_parameter_value';
        ELSIF left(t, 1) = '^' THEN
            IF length(t) > 1000 THEN
                RAISE EXCEPTION 'topic pattern "%..." is longer than 1000 characters', left(t, 60)
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            BEGIN
                PERFORM '' ~ ('^(?:' || t || ')$');  -- the form the worker matches with
            EXCEPTION WHEN invalid_regular_expression THEN
                RAISE EXCEPTION 'topic pattern "%" is not a valid regular expression: %', t, SQLERRM
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'an entry that starts with ^ is a pattern (PostgreSQL regular expression syntax)';
            END;
        ELSIF t !~ '^[A-Za-z0-9._-]{1,249}$' OR t IN ('.', '..') THEN
            RAISE EXCEPTION 'invalid topic name "%"', t USING ERRCODE = 'invalid_parameter_value',
                HINT = 'Kafka topic names use 1 to 249 letters, digits, ".", "_" and "-"; '
                       'to give a pattern, start it with ^ (e.g. ''^mysql\.shop\..*'')';
        END IF;
    END LOOP;
    IF (SELECT count(DISTINCT u) FROM unnest(p_topics) u) <> cardinality(p_topics) THEN
        RAISE EXCEPTION 'topics contain duplicates: %', p_topics USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;

-- API implementations -----------------------------------------------------------------------------

CREATE FUNCTION cdc_sync._create_pipeline(caller oid, caller_path text, p_name text, p_brokers text,
                                          p_topics text[], p_format text, p_options jsonb)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_name IS NULL OR p_name !~ '^[A-Za-z_][A-Za-z0-9_-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid pipeline name "%"', p_name
            USING ERRCODE = 'invalid_name',
                  HINT = 'start with a letter or underscore; then letters, digits, _ or -; at most 63 characters';
    END IF;
    IF p_brokers IS NULL OR btrim(p_brokers) = '' THEN
        RAISE EXCEPTION 'brokers must not be empty' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'a comma-separated list of host:port, e.g. ''broker1:9092,broker2:9092''';
    END IF;
    PERFORM cdc_sync._validate_topics(p_topics);
    IF p_format IS NULL OR NOT cdc_sync._is_known_format(p_format) THEN
        RAISE EXCEPTION 'unknown format "%"', p_format USING ERRCODE = 'invalid_parameter_value',
            HINT = 'supported formats: debezium, flink-debezium, dms, canal, maxwell, json';
    END IF;
    PERFORM cdc_sync._validate_pipeline_options(p_options, caller);
    -- ON CONFLICT: a session creating the same name concurrently has it once this one waited for it.
    INSERT INTO cdc_sync.pipelines (name, owner, brokers, topics, format, options)
    VALUES (p_name, caller::regrole, btrim(p_brokers), p_topics, p_format, p_options)
    ON CONFLICT (name) DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pipeline "%" already exists', p_name USING ERRCODE = 'duplicate_object';
    END IF;
    INSERT INTO cdc_sync.pipeline_counters (pipeline) VALUES (p_name);
END $$;

CREATE FUNCTION cdc_sync._alter_pipeline(caller oid, caller_path text, p_name text, p_options jsonb)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p cdc_sync.pipelines := cdc_sync._pipeline_for(caller, p_name);
    merged jsonb;
    new_topics text[];
BEGIN
    IF p_options IS NULL OR jsonb_typeof(p_options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- "topics" replaces the pipeline's topics (names and patterns); it is not an option.
    IF p_options ? 'topics' THEN
        IF jsonb_typeof(p_options -> 'topics') <> 'array' THEN
            RAISE EXCEPTION '"topics" must be a JSON array of topic names and patterns'
                USING ERRCODE = 'invalid_parameter_value', HINT = 'e.g. {"topics": ["orders", "^mysql\.shop\..*"]}';
        END IF;
        IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_options -> 'topics') e WHERE jsonb_typeof(e) <> 'string') THEN
            RAISE EXCEPTION '"topics" must be a JSON array of strings (topic names and patterns)'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        new_topics := ARRAY(SELECT jsonb_array_elements_text(p_options -> 'topics'));
        PERFORM cdc_sync._validate_topics(new_topics);
        p_options := p_options - 'topics';
    END IF;
    -- Top-level keys replace; "kafka" merges property by property; null removes a setting.
    merged := p.options || (p_options - 'kafka');
    IF p_options ? 'kafka' THEN
        IF jsonb_typeof(p_options -> 'kafka') = 'object' THEN
            merged := jsonb_set(merged, '{kafka}', coalesce(p.options -> 'kafka', '{}') || (p_options -> 'kafka'));
            merged := jsonb_set(merged, '{kafka}', jsonb_strip_nulls(merged -> 'kafka'));
        ELSE
            merged := merged || jsonb_build_object('kafka', p_options -> 'kafka');
        END IF;
    END IF;
    merged := jsonb_strip_nulls(merged);
    PERFORM cdc_sync._validate_pipeline_options(merged, p.owner);
    UPDATE cdc_sync.pipelines SET options = merged, topics = coalesce(new_topics, topics) WHERE name = p_name;
    PERFORM cdc_sync._notify();
END $$;

CREATE FUNCTION cdc_sync._drop_pipeline(caller oid, caller_path text, p_name text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p cdc_sync.pipelines := cdc_sync._pipeline_for(caller, p_name, end_batches => true);
BEGIN
    DELETE FROM cdc_sync.pipelines WHERE name = p_name;
    PERFORM cdc_sync._drop_stage_tables(p.id);
    PERFORM cdc_sync._notify();
END $$;

CREATE FUNCTION cdc_sync._start_pipeline(caller oid, caller_path text, p_name text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p cdc_sync.pipelines := cdc_sync._pipeline_for(caller, p_name);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM cdc_sync.sync_tables WHERE pipeline = p_name) THEN
        RAISE EXCEPTION 'pipeline "%" has no sync tables', p_name USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'add one with cdc_sync.add_sync_table() first';
    END IF;
    IF p.state = 'running' THEN
        RAISE NOTICE 'pipeline "%" is already running', p_name;
        RETURN;
    END IF;
    UPDATE cdc_sync.pipelines SET state = 'running', last_error = NULL, state_changed_at = now()
    WHERE name = p_name;
    PERFORM cdc_sync._warn_if_not_running_here(p_name);
    PERFORM cdc_sync._notify();
END $$;

CREATE FUNCTION cdc_sync._stop_pipeline(caller oid, caller_path text, p_name text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p cdc_sync.pipelines := cdc_sync._pipeline_for(caller, p_name, end_batches => true);
BEGIN
    IF p.state = 'stopped' THEN
        RETURN;
    END IF;
    UPDATE cdc_sync.pipelines SET state = 'stopped', state_changed_at = now() WHERE name = p_name;
    PERFORM cdc_sync._notify();
END $$;

-- Validates a sync table's options object; returns its "append".
CREATE FUNCTION cdc_sync._validate_sync_table_options(p_options jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    opt text;
    optv jsonb;
    append boolean;
BEGIN
    IF p_options IS NULL OR jsonb_typeof(p_options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR opt, optv IN SELECT * FROM jsonb_each(p_options) LOOP
        IF opt = 'append' THEN
            IF jsonb_typeof(optv) <> 'boolean' THEN
                RAISE EXCEPTION 'sync table option "append" must be true or false' USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF opt = 'op_field' THEN
            IF jsonb_typeof(optv) <> 'string' OR optv #>> '{}' = '' THEN
                RAISE EXCEPTION 'sync table option "op_field" must be a field name' USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF opt = 'auto_create' THEN
            IF jsonb_typeof(optv) <> 'boolean' THEN
                RAISE EXCEPTION 'sync table option "auto_create" must be true or false' USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF opt = 'on_table_error' THEN
            IF jsonb_typeof(optv) <> 'string' OR optv #>> '{}' NOT IN ('park', 'fail') THEN
                RAISE EXCEPTION 'sync table option "on_table_error" must be ''park'' or ''fail'''
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'park keeps the table''s changes aside and lets the other tables go on; fail stops the pipeline';
            END IF;
        ELSIF opt = 'schema_changes' THEN
            IF jsonb_typeof(optv) <> 'string' OR optv #>> '{}' NOT IN ('evolve', 'ignore', 'fail') THEN
                RAISE EXCEPTION 'sync table option "schema_changes" must be ''evolve'', ''ignore'' or ''fail'''
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'evolve adds a source''s new columns to the target; ignore leaves them out (counted '
                                 'in table_stats.values_unmatched); fail stops the pipeline';
            END IF;
        ELSIF opt = 'source_column' THEN
            IF jsonb_typeof(optv) <> 'string' OR optv #>> '{}' = '' OR octet_length(optv #>> '{}') > 63 THEN
                RAISE EXCEPTION 'sync table option "source_column" must be a column name' USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'the text column that takes each row''s source table "db.table", e.g. "source_table"';
            END IF;
        ELSIF opt = 'partition_by' THEN
            IF jsonb_typeof(optv) <> 'string' OR optv #>> '{}' !~* '^\s*(range\s*\(\s*[^,()"]+\s*\)|hash\s*\(\s*[^()"]+\))\s*$' THEN
                RAISE EXCEPTION 'sync table option "partition_by" must be ''RANGE (column)'' or ''HASH (column, ...)'''
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'e.g. "RANGE (create_time)" with "partition_interval": "month", or "HASH (id)" with "partitions": 8';
            END IF;
        ELSIF opt = 'partition_interval' THEN
            IF jsonb_typeof(optv) <> 'string' OR optv #>> '{}' !~ '^(day|week|month|quarter|year|[1-9][0-9]{0,17})$' THEN
                RAISE EXCEPTION 'sync table option "partition_interval" must be day, week, month, quarter, year or a positive integer'
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'a unit of a date or timestamp column, or a step of an integer column, as a string: "month", "1000000"';
            END IF;
        ELSIF opt = 'partitions' THEN
            IF jsonb_typeof(optv) <> 'number' OR optv::text !~ '^[0-9]+$' OR optv::text::bigint NOT BETWEEN 2 AND 1024 THEN
                RAISE EXCEPTION 'sync table option "partitions" must be an integer from 2 to 1024' USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF opt = 'columns' THEN
            IF jsonb_typeof(optv) <> 'object'
               OR EXISTS (SELECT 1 FROM jsonb_object_keys(optv) k WHERE k NOT IN ('include', 'exclude', 'rename'))
               OR (optv ? 'include' AND optv ? 'exclude')
               OR EXISTS (SELECT 1 FROM jsonb_each(optv) e WHERE e.key IN ('include', 'exclude')
                          AND (jsonb_typeof(e.value) <> 'array' OR EXISTS (
                               SELECT 1 FROM jsonb_array_elements(e.value) v
                               WHERE jsonb_typeof(v) <> 'string' OR v #>> '{}' IN ('') OR v #>> '{}' ~ '[\n\t]')))
               OR (optv ? 'rename' AND (jsonb_typeof(optv->'rename') <> 'object' OR EXISTS (
                       SELECT 1 FROM jsonb_each(optv->'rename') r
                       WHERE jsonb_typeof(r.value) <> 'string' OR r.value #>> '{}' = '' OR r.key = ''
                          OR r.key ~ '[\n\t]' OR r.value #>> '{}' ~ '[\n\t]'))) THEN
                RAISE EXCEPTION 'sync table option "columns" must be {"include": [fields]} or {"exclude": [fields]}, '
                                'and/or {"rename": {"field": "column"}}'
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'include and exclude name source fields (not both); rename maps a source field to its target column';
            END IF;
        ELSIF opt IN ('delete_mode', 'truncate_mode', 'version_column', 'metadata_columns', 'mode') THEN
            NULL;  -- cdc_sync._validate_apply_options
        ELSIF opt = 'keys_unique_across_sources' THEN
            IF jsonb_typeof(optv) <> 'boolean' THEN
                RAISE EXCEPTION 'sync table option "keys_unique_across_sources" must be true or false' USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSE
            RAISE EXCEPTION 'unknown sync table option "%"', opt USING ERRCODE = 'invalid_parameter_value',
                HINT = 'valid options: append, auto_create, columns, delete_mode, keys_unique_across_sources, '
                       'metadata_columns, mode, on_table_error, op_field, partition_by, partition_interval, partitions, '
                       'schema_changes, source_column, truncate_mode, version_column';
        END IF;
    END LOOP;
    PERFORM cdc_sync._validate_apply_options(p_options);
    append := coalesce((p_options->>'append')::boolean, false);
    IF p_options ? 'partition_interval' AND coalesce(p_options->>'partition_by', '') !~* '^\s*range' THEN
        RAISE EXCEPTION 'sync table option "partition_interval" goes with "partition_by": "RANGE (column)"'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_options ? 'partitions' AND coalesce(p_options->>'partition_by', '') !~* '^\s*hash' THEN
        RAISE EXCEPTION 'sync table option "partitions" goes with "partition_by": "HASH (column, ...)"'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF append AND p_options ? 'op_field' THEN
        RAISE EXCEPTION 'sync table options "append" and "op_field" exclude each other'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'an append table keeps every message; it deletes nothing';
    END IF;
    RETURN append;
END $$;

CREATE FUNCTION cdc_sync._add_sync_table(caller oid, caller_path text, p_pipeline text, p_source text,
                                         p_target text, p_primary_key text[], p_options jsonb)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p cdc_sync.pipelines := cdc_sync._pipeline_for(caller, p_pipeline);
    t regclass;
    key text[] := p_primary_key;
    col text;
    priv text;
    st_id integer;
    opt text;
    optv jsonb;
    append boolean;
    create_in name;
BEGIN
    IF p_source IS NULL OR p_source = '' THEN
        RAISE EXCEPTION 'source must not be empty' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'a source table name "db.table", or a regular expression matching such names';
    END IF;
    BEGIN
        PERFORM '' ~ ('^(?:' || p_source || ')$');
    EXCEPTION WHEN invalid_regular_expression THEN
        RAISE EXCEPTION 'invalid source pattern "%": %', p_source, SQLERRM
            USING ERRCODE = 'invalid_parameter_value';
    END;
    IF EXISTS (SELECT 1 FROM cdc_sync.sync_tables s WHERE s.pipeline = p_pipeline AND s.source = p_source) THEN
        RAISE EXCEPTION 'pipeline "%" already has a sync table for source "%"', p_pipeline, p_source
            USING ERRCODE = 'duplicate_object';
    END IF;
    IF p_target IS NULL THEN
        RAISE EXCEPTION 'target must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_options->>'mode' = 'changelog' AND NOT p_options ? 'append' THEN
        p_options := p_options || '{"append": true}';  -- a change log appends: no key, every change a row
    END IF;
    append := cdc_sync._validate_sync_table_options(p_options);
    -- Resolve the target the way the caller would (and where the caller would create it).
    PERFORM set_config('search_path', caller_path, true);
    IF NOT cdc_sync._is_template(p_target) THEN
        t := pg_catalog.to_regclass(p_target);
    END IF;
    create_in := current_schema();
    PERFORM set_config('search_path', 'pg_catalog, pg_temp', true);
    IF t IS NULL THEN
        IF NOT coalesce((p_options->>'auto_create')::boolean, true) THEN
            RAISE EXCEPTION 'target table "%" does not exist', p_target USING ERRCODE = 'undefined_table',
                HINT = 'create the target table first, or leave the sync table option auto_create on';
        END IF;
        PERFORM cdc_sync._add_missing_target(p, p_source, p_target, create_in, key, p_options, append);
        RETURN;
    END IF;
    IF p_options ? 'partition_by' THEN
        RAISE EXCEPTION 'table % exists: sync table option "partition_by" applies to a target the pipeline creates', t
            USING ERRCODE = 'invalid_parameter_value', HINT = 'partition the table yourself, or name a table that does not exist yet';
    END IF;
    IF (SELECT relkind FROM pg_class WHERE oid = t) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'target "%" is not a table', p_target USING ERRCODE = 'wrong_object_type';
    END IF;
    IF key IS NULL THEN
        key := cdc_sync._primary_key(t);
        IF key IS NULL AND append THEN
            key := '{}';  -- an append table needs no key
        ELSIF key IS NULL THEN
            RAISE EXCEPTION 'target table % has no primary key', t USING ERRCODE = 'invalid_table_definition',
                HINT = 'pass primary_key => ARRAY[...] or add a primary key to the table';
        END IF;
    END IF;
    IF cardinality(key) = 0 AND NOT append THEN
        RAISE EXCEPTION 'primary_key must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (SELECT count(DISTINCT c) FROM unnest(key) c) <> cardinality(key) THEN
        RAISE EXCEPTION 'primary_key has duplicate columns: %', key USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH col IN ARRAY key LOOP
        IF col IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute
                      WHERE attrelid = t AND attname = col AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'column "%" of primary_key does not exist in table %', col, t
                USING ERRCODE = 'undefined_column';
        END IF;
        IF (SELECT attgenerated FROM pg_attribute WHERE attrelid = t AND attname = col) <> '' THEN
            RAISE EXCEPTION 'column "%" of primary_key is a generated column', col
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- The worker's own lookup: varchar keys use text's operator, domains their base type's.
        IF cdc_sync._key_equality((SELECT atttypid FROM pg_attribute WHERE attrelid = t AND attname = col)) IS NULL THEN
            RAISE EXCEPTION 'column "%" of primary_key has type %, which has no default equality operator', col,
                (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = t AND attname = col)
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'a key type needs a default btree or hash operator class';
        END IF;
    END LOOP;
    IF p_options ? 'source_column' AND NOT (p_options->>'source_column') = ANY (key) AND NOT append THEN
        RAISE EXCEPTION 'primary_key % of table % does not hold source_column "%"', key, t, p_options->>'source_column'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'the source column is in the key so that equal keys of two source tables stay two rows';
    END IF;
    IF p_options ? 'source_column' AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = t
                  AND attname = p_options->>'source_column' AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION 'source_column "%" is not a column of table %', p_options->>'source_column', t
            USING ERRCODE = 'undefined_column';
    END IF;
    PERFORM cdc_sync._check_shared_target(p_source, p_target, key, p_options);
    FOREACH priv IN ARRAY CASE WHEN append THEN ARRAY['INSERT'] ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'] END LOOP
        IF NOT has_table_privilege(p.owner, t, priv) THEN
            RAISE EXCEPTION 'role "%", owner of pipeline "%", lacks % privilege on table %',
                p.owner, p_pipeline, priv, t USING ERRCODE = 'insufficient_privilege',
                HINT = 'the pipeline applies changes as its owner';
        END IF;
    END LOOP;
    IF coalesce(p_options->>'schema_changes', 'evolve') = 'evolve'
       AND NOT pg_has_role(p.owner, (SELECT relowner FROM pg_class WHERE oid = t), 'USAGE') THEN
        RAISE NOTICE 'role "%" does not own table %: a column new at the source cannot be added to it', p.owner, t
            USING DETAIL = 'With schema_changes ''evolve'' (the default) such a column then stops the pipeline.',
                  HINT = 'make the pipeline owner the table''s owner, or pass options => ''{"schema_changes": "ignore"}''';
    END IF;
    INSERT INTO cdc_sync.sync_tables (pipeline, source, target, target_name, primary_key, options)
    VALUES (p_pipeline, p_source, t, t::text, key, p_options) RETURNING id INTO st_id;
    INSERT INTO cdc_sync.sync_table_counters (sync_table) VALUES (st_id);
    PERFORM cdc_sync._notify();
END $$;

CREATE FUNCTION cdc_sync._alter_sync_table(caller oid, caller_path text, p_pipeline text, p_source text,
                                           p_options jsonb)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p cdc_sync.pipelines := cdc_sync._pipeline_for(caller, p_pipeline);
    s cdc_sync.sync_tables;
    merged jsonb;
    opt text;
BEGIN
    SELECT * INTO s FROM cdc_sync.sync_tables WHERE pipeline = p_pipeline AND source = p_source FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pipeline "%" has no sync table for source "%"', p_pipeline, p_source
            USING ERRCODE = 'undefined_object';
    END IF;
    IF p_options IS NULL OR jsonb_typeof(p_options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A key set to null goes back to its default.
    merged := jsonb_strip_nulls(s.options || p_options);
    FOREACH opt IN ARRAY ARRAY['append', 'mode', 'source_column', 'keys_unique_across_sources', 'partition_by',
                               'partition_interval', 'partitions'] LOOP
        IF (merged->opt) IS DISTINCT FROM (s.options->opt) THEN
            RAISE EXCEPTION 'sync table option "%" cannot be changed', opt USING ERRCODE = 'feature_not_supported',
                HINT = 'it decides the table''s key: remove the sync table and add it again';
        END IF;
    END LOOP;
    PERFORM cdc_sync._validate_sync_table_options(merged);
    UPDATE cdc_sync.sync_tables SET options = merged WHERE id = s.id;
    -- A template's sources follow it.
    UPDATE cdc_sync.sync_tables SET options = jsonb_strip_nulls(options || p_options) WHERE template_id = s.id;
    PERFORM cdc_sync._notify();
END $$;

CREATE FUNCTION cdc_sync._remove_sync_table(caller oid, caller_path text, p_pipeline text, p_source text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p cdc_sync.pipelines := cdc_sync._pipeline_for(caller, p_pipeline);
    st_id integer;
    template text;
BEGIN
    SELECT t.source INTO template FROM cdc_sync.sync_tables s JOIN cdc_sync.sync_tables t ON t.id = s.template_id
    WHERE s.pipeline = p_pipeline AND s.source = p_source;
    IF template IS NOT NULL THEN
        RAISE EXCEPTION 'sync table "%" belongs to the template sync table "%"', p_source, template
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'remove the template (it takes its sources'' sync tables along), or narrow its pattern';
    END IF;
    -- A template's sources' sync tables go with it (ON DELETE CASCADE), and their staging tables.
    PERFORM cdc_sync._drop_stage_tables(p.id, c.id)
    FROM cdc_sync.sync_tables c JOIN cdc_sync.sync_tables s ON s.id = c.template_id
    WHERE s.pipeline = p_pipeline AND s.source = p_source;
    DELETE FROM cdc_sync.sync_tables WHERE pipeline = p_pipeline AND source = p_source RETURNING id INTO st_id;
    IF st_id IS NULL THEN
        RAISE EXCEPTION 'pipeline "%" has no sync table for source "%"', p_pipeline, p_source
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM cdc_sync._drop_stage_tables(p.id, st_id);
    PERFORM cdc_sync._notify();
END $$;

CREATE FUNCTION cdc_sync._retry_table(caller oid, caller_path text, p_pipeline text, p_source text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p cdc_sync.pipelines := cdc_sync._pipeline_for(caller, p_pipeline);
    s cdc_sync.sync_tables;
BEGIN
    SELECT * INTO s FROM cdc_sync.sync_tables WHERE pipeline = p_pipeline AND source = p_source;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pipeline "%" has no sync table for source "%"', p_pipeline, p_source
            USING ERRCODE = 'undefined_object';
    END IF;
    IF s.parked_at IS NULL THEN
        RAISE NOTICE 'sync table "%" of pipeline "%" is not parked', p_source, p_pipeline;
        RETURN;
    END IF;
    UPDATE cdc_sync.sync_tables SET retry_requested = true WHERE id = s.id;
    PERFORM cdc_sync._notify();
END $$;

CREATE FUNCTION cdc_sync._reset_offsets(caller oid, caller_path text, p_pipeline text, p_position text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p cdc_sync.pipelines := cdc_sync._pipeline_for(caller, p_pipeline);
BEGIN
    IF p.state = 'running' THEN
        RAISE EXCEPTION 'pipeline "%" is running', p_pipeline USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'stop it with cdc_sync.stop_pipeline() first';
    END IF;
    PERFORM cdc_sync._position_ms(p_position);
    DELETE FROM cdc_sync.offsets WHERE pipeline = p_pipeline;
    UPDATE cdc_sync.pipelines SET start_override = p_position WHERE name = p_pipeline;
END $$;

REVOKE ALL ON FUNCTION cdc_sync._create_pipeline, cdc_sync._alter_pipeline, cdc_sync._drop_pipeline,
    cdc_sync._start_pipeline, cdc_sync._stop_pipeline, cdc_sync._add_sync_table,
    cdc_sync._remove_sync_table, cdc_sync._reset_offsets, cdc_sync._pipeline_for,
    cdc_sync._retry_table, cdc_sync._alter_sync_table, cdc_sync._validate_sync_table_options,
    cdc_sync._drop_stage_tables, cdc_sync._validate_topics, cdc_sync._validate_pipeline_options, cdc_sync._validate_kafka_options,
    cdc_sync._check_kafka_property, cdc_sync._warn_if_not_running_here FROM PUBLIC;

-- Public entry points -----------------------------------------------------------------------------

CREATE FUNCTION cdc_sync.create_pipeline(name text, brokers text, topics text[],
                                         format text DEFAULT 'debezium', options jsonb DEFAULT '{}')
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
CREATE FUNCTION cdc_sync.alter_pipeline(name text, options jsonb)
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
CREATE FUNCTION cdc_sync.drop_pipeline(name text)
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
CREATE FUNCTION cdc_sync.start_pipeline(name text)
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
CREATE FUNCTION cdc_sync.stop_pipeline(name text)
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
CREATE FUNCTION cdc_sync.add_sync_table(pipeline text, source text, target text,
                                        primary_key text[] DEFAULT NULL, options jsonb DEFAULT '{}')
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
-- Changes a sync table's options (merged into its current ones; a null value resets one). Running
-- workers use them from their next batch on.
CREATE FUNCTION cdc_sync.alter_sync_table(pipeline text, source text, options jsonb)
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
CREATE FUNCTION cdc_sync.remove_sync_table(pipeline text, source text)
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
-- Replays a parked table's kept changes in order, then applies it live again (by a worker, soon
-- after the call commits; wait_for_catchup() waits for it).
CREATE FUNCTION cdc_sync.retry_table(pipeline text, source text)
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
CREATE FUNCTION cdc_sync.reset_offsets(pipeline text, "position" text)
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;

CREATE FUNCTION cdc_sync.wait_for_catchup(pipeline text, timeout interval DEFAULT '60 s')
RETURNS boolean AS 'MODULE_PATHNAME', 'cdc_sync_wait_for_catchup' LANGUAGE C;
