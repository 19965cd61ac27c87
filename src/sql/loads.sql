-- Full loads straight from MySQL/MariaDB: connections, full_load() and wait_for_load().

-- Validates a MySQL connection's options object.
CREATE FUNCTION cdc_sync._validate_mysql_options(p_options jsonb, p_owner oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    opt text;
    optv jsonb;
BEGIN
    IF p_options IS NULL OR jsonb_typeof(p_options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR opt, optv IN SELECT * FROM jsonb_each(p_options) LOOP
        IF opt = 'port' THEN
            IF jsonb_typeof(optv) <> 'number' OR optv::text !~ '^[0-9]+$' OR optv::text::bigint NOT BETWEEN 1 AND 65535 THEN
                RAISE EXCEPTION 'MySQL connection option "port" must be a port number' USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF opt IN ('host', 'user', 'password', 'database', 'socket', 'ssl_ca', 'option_file') THEN
            IF jsonb_typeof(optv) <> 'string' THEN
                RAISE EXCEPTION 'MySQL connection option "%" must be a string', opt USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF opt = 'ssl_mode' THEN
            IF optv #>> '{}' NOT IN ('disabled', 'required', 'verify_ca', 'verify_identity') THEN
                RAISE EXCEPTION 'MySQL connection option "ssl_mode" must be disabled, required, verify_ca or verify_identity'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSE
            RAISE EXCEPTION 'unknown MySQL connection option "%"', opt USING ERRCODE = 'invalid_parameter_value',
                HINT = 'valid options: host, port, user, password, database, socket, ssl_mode, ssl_ca, option_file';
        END IF;
    END LOOP;
    -- Files the server reads with its own rights: a superuser's to name.
    IF (p_options ? 'option_file' OR p_options ? 'ssl_ca' OR p_options ? 'socket')
       AND NOT (SELECT rolsuper FROM pg_roles WHERE oid = p_owner) THEN
        RAISE EXCEPTION 'MySQL connection options "option_file", "ssl_ca" and "socket" name server files: only a superuser may set them'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END $$;

CREATE FUNCTION cdc_sync._create_mysql_connection(caller oid, caller_path text, p_name text, p_options jsonb)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_name IS NULL OR p_name !~ '^[A-Za-z_][A-Za-z0-9_-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid connection name "%"', p_name USING ERRCODE = 'invalid_parameter_value',
            HINT = 'a letter or underscore, then letters, digits, underscores or hyphens (at most 63)';
    END IF;
    PERFORM cdc_sync._validate_mysql_options(p_options, caller);
    INSERT INTO cdc_sync.mysql_connections (name, owner, options) VALUES (p_name, caller::regrole, p_options);
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'MySQL connection "%" already exists', p_name USING ERRCODE = 'duplicate_object';
END $$;

-- The caller's connection `p_name` (locked), or an error.
CREATE FUNCTION cdc_sync._connection_for(caller oid, p_name text) RETURNS cdc_sync.mysql_connections
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c cdc_sync.mysql_connections;
BEGIN
    SELECT * INTO c FROM cdc_sync.mysql_connections WHERE name = p_name FOR UPDATE;
    IF NOT FOUND OR NOT pg_has_role(caller, c.owner, 'MEMBER') THEN
        RAISE EXCEPTION 'MySQL connection "%" does not exist', p_name USING ERRCODE = 'undefined_object';
    END IF;
    RETURN c;
END $$;

CREATE FUNCTION cdc_sync._alter_mysql_connection(caller oid, caller_path text, p_name text, p_options jsonb)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c cdc_sync.mysql_connections := cdc_sync._connection_for(caller, p_name);
    merged jsonb := jsonb_strip_nulls(c.options || coalesce(p_options, '{}'));
BEGIN
    PERFORM cdc_sync._validate_mysql_options(merged, c.owner);
    UPDATE cdc_sync.mysql_connections SET options = merged WHERE name = p_name;
END $$;

CREATE FUNCTION cdc_sync._drop_mysql_connection(caller oid, caller_path text, p_name text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c cdc_sync.mysql_connections := cdc_sync._connection_for(caller, p_name);
BEGIN
    IF EXISTS (SELECT 1 FROM cdc_sync.full_loads WHERE connection = p_name AND state = 'running') THEN
        RAISE EXCEPTION 'MySQL connection "%" is in use by a running load', p_name
            USING ERRCODE = 'object_in_use', HINT = 'wait for it (cdc_sync.wait_for_load)';
    END IF;
    DELETE FROM cdc_sync.full_loads WHERE connection = p_name;
    DELETE FROM cdc_sync.mysql_connections WHERE name = p_name;
END $$;

-- Runs SQL at the server of the caller's own MySQL connection: its rows as a JSON array of arrays.
CREATE FUNCTION cdc_sync._mysql_query(connection text, sql text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'cdc_sync_mysql_query' LANGUAGE C STRICT;

-- The tables "db.table" of a connection's server that `pattern` names: itself, or those it
-- matches (a regular expression over the whole name), in name order; errors name the server's
-- complaint.
CREATE FUNCTION cdc_sync._mysql_source_tables(connection text, pattern text) RETURNS SETOF text
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT n FROM (SELECT x->>0 || '.' || (x->>1) AS n FROM jsonb_array_elements(cdc_sync._mysql_query(connection,
        'SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = ''BASE TABLE'' '
        'AND table_schema NOT IN (''mysql'', ''information_schema'', ''performance_schema'', ''sys'') '
        'ORDER BY 1, 2')) x) t
    WHERE n = pattern OR n ~ ('^(?:' || pattern || ')$')
$$;

CREATE FUNCTION cdc_sync._full_load(caller oid, caller_path text, p_pipeline text, p_source text, p_connection text,
                                    p_options jsonb)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p cdc_sync.pipelines := cdc_sync._pipeline_for(caller, p_pipeline);
    c cdc_sync.mysql_connections := cdc_sync._connection_for(caller, p_connection);
    opt text;
    optv jsonb;
    tbl text;
    st cdc_sync.sync_tables;
    n integer := 0;
BEGIN
    IF p_options IS NULL OR jsonb_typeof(p_options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR opt, optv IN SELECT * FROM jsonb_each(p_options) LOOP
        IF opt = 'chunk_rows' AND (jsonb_typeof(optv) <> 'number' OR optv::text !~ '^[0-9]+$'
                                   OR optv::text::bigint NOT BETWEEN 1 AND 10000000) THEN
            RAISE EXCEPTION 'full_load option "chunk_rows" must be an integer from 1 to 10000000' USING ERRCODE = 'invalid_parameter_value';
        ELSIF opt = 'parallelism' AND (jsonb_typeof(optv) <> 'number' OR optv::text !~ '^[0-9]+$'
                                       OR optv::text::int NOT BETWEEN 1 AND 16) THEN
            RAISE EXCEPTION 'full_load option "parallelism" must be an integer from 1 to 16' USING ERRCODE = 'invalid_parameter_value';
        ELSIF opt = 'where' AND jsonb_typeof(optv) <> 'string' THEN
            RAISE EXCEPTION 'full_load option "where" must be an SQL condition (a string)' USING ERRCODE = 'invalid_parameter_value';
        ELSIF opt = 'max_unchunked_rows' AND (jsonb_typeof(optv) <> 'number' OR optv::text !~ '^[0-9]+$') THEN
            RAISE EXCEPTION 'full_load option "max_unchunked_rows" must be a number of rows' USING ERRCODE = 'invalid_parameter_value';
        ELSIF opt = 'truncate' AND jsonb_typeof(optv) <> 'boolean' THEN
            RAISE EXCEPTION 'full_load option "truncate" must be true or false' USING ERRCODE = 'invalid_parameter_value';
        ELSIF opt NOT IN ('chunk_rows', 'parallelism', 'where', 'truncate', 'max_unchunked_rows') THEN
            RAISE EXCEPTION 'unknown full_load option "%"', opt USING ERRCODE = 'invalid_parameter_value',
                HINT = 'valid options: chunk_rows, max_unchunked_rows, parallelism, truncate, where';
        END IF;
    END LOOP;
    FOR tbl IN SELECT cdc_sync._mysql_source_tables(p_connection, p_source) LOOP
        -- Its sync table: the exact one, else the first pattern that matches (a template's gets
        -- its own sync table now).
        SELECT * INTO st FROM cdc_sync.sync_tables s WHERE s.pipeline = p_pipeline AND s.source = tbl;
        IF NOT FOUND THEN
            SELECT * INTO st FROM cdc_sync.sync_tables s
            WHERE s.pipeline = p_pipeline AND s.template_id IS NULL AND tbl ~ ('^(?:' || s.source || ')$') ORDER BY s.id LIMIT 1;
            IF FOUND AND st.target_template IS NOT NULL THEN
                PERFORM cdc_sync._materialize_sync_table(st.id, tbl, NULL);
                SELECT * INTO st FROM cdc_sync.sync_tables s WHERE s.pipeline = p_pipeline AND s.source = tbl;
            END IF;
        END IF;
        IF st.id IS NULL THEN
            RAISE EXCEPTION 'pipeline "%" has no sync table for MySQL table "%"', p_pipeline, tbl
                USING ERRCODE = 'undefined_object', HINT = 'add one with cdc_sync.add_sync_table() first';
        END IF;
        IF EXISTS (SELECT 1 FROM cdc_sync.full_loads WHERE sync_table = st.id AND state = 'running') THEN
            RAISE EXCEPTION 'a full load of "%" into pipeline "%" is running', tbl, p_pipeline
                USING ERRCODE = 'object_in_use', HINT = 'wait for it (cdc_sync.wait_for_load)';
        END IF;
        INSERT INTO cdc_sync.full_loads (pipeline, sync_table, source, connection, options)
        VALUES (p_pipeline, st.id, tbl, p_connection, p_options);
        n := n + 1;
    END LOOP;
    IF n = 0 THEN
        RAISE EXCEPTION 'MySQL connection "%" has no table "%"', p_connection, p_source USING ERRCODE = 'undefined_table';
    END IF;
    PERFORM cdc_sync._notify();  -- the launcher starts the load workers
END $$;

-- Worker side, in the transaction of a load's first step: the sync table's changes from now on
-- are kept aside (parked) until the load is done, then replayed: every change after the moment
-- the load reads from is applied after it, in order (README: Full loads). Under the pipeline's
-- lock, so no batch is in flight.
CREATE FUNCTION cdc_sync._begin_load(p_load integer) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    l cdc_sync.full_loads;
BEGIN
    SELECT * INTO l FROM cdc_sync.full_loads WHERE id = p_load;
    PERFORM pg_advisory_xact_lock(1128547155, (SELECT id FROM cdc_sync.pipelines WHERE name = l.pipeline));
    UPDATE cdc_sync.sync_tables
    SET parked_at = coalesce(parked_at, now()),
        parked_reason = coalesce(parked_reason, format('full load %s of %s running: its changes are applied after it', l.id, l.source)),
        retry_requested = false
    WHERE id = l.sync_table;
    PERFORM cdc_sync._notify();
END $$;

-- Worker side: every chunk of the load is done; the parked changes are replayed (retry_table).
CREATE FUNCTION cdc_sync._end_load(p_load integer) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    l cdc_sync.full_loads;
BEGIN
    UPDATE cdc_sync.full_loads SET state = 'done', finished_at = now() WHERE id = p_load AND state = 'running' RETURNING * INTO l;
    IF FOUND THEN
        UPDATE cdc_sync.sync_tables
        SET retry_requested = true,
            parked_reason = format('full load %s of %s done: the changes kept meanwhile are applied next', l.id, l.source)
        WHERE id = l.sync_table AND parked_at IS NOT NULL;
        PERFORM cdc_sync._notify();
    END IF;
END $$;

CREATE FUNCTION cdc_sync.wait_for_load(pipeline text, timeout interval DEFAULT '60 s') RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + timeout;
    failed cdc_sync.full_loads;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM cdc_sync.pipelines p WHERE p.name = wait_for_load.pipeline) THEN
        RAISE EXCEPTION 'pipeline "%" does not exist', wait_for_load.pipeline USING ERRCODE = 'undefined_object';
    END IF;
    LOOP
        -- A failed load counts until a later load of the same table replaces it.
        SELECT * INTO failed FROM cdc_sync.full_loads l WHERE l.pipeline = wait_for_load.pipeline AND l.state = 'failed'
          AND NOT EXISTS (SELECT 1 FROM cdc_sync.full_loads n WHERE n.sync_table = l.sync_table AND n.id > l.id)
        ORDER BY l.id DESC LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'full load of "%" into pipeline "%" failed: %', failed.source, failed.pipeline, failed.error
                USING ERRCODE = 'external_routine_exception';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM cdc_sync.full_loads l WHERE l.pipeline = wait_for_load.pipeline AND l.state = 'running') THEN
            RETURN true;
        END IF;
        IF clock_timestamp() >= deadline THEN
            RETURN false;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;

REVOKE ALL ON FUNCTION cdc_sync._validate_mysql_options, cdc_sync._create_mysql_connection, cdc_sync._connection_for,
    cdc_sync._alter_mysql_connection, cdc_sync._drop_mysql_connection, cdc_sync._full_load,
    cdc_sync._begin_load, cdc_sync._end_load FROM PUBLIC;

CREATE FUNCTION cdc_sync.create_mysql_connection(name text, options jsonb)
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
CREATE FUNCTION cdc_sync.alter_mysql_connection(name text, options jsonb)
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
CREATE FUNCTION cdc_sync.drop_mysql_connection(name text)
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
-- Starts loading `source` ("db.table" or a pattern) from MySQL into the pipeline's sync tables, in
-- background workers; returns at once (progress: cdc_sync.loads; wait_for_load()).
CREATE FUNCTION cdc_sync.full_load(pipeline text, source text, connection text, options jsonb DEFAULT '{}')
RETURNS void AS 'MODULE_PATHNAME', 'cdc_sync_api_dispatch' LANGUAGE C;
