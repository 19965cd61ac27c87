-- Targets of sync tables: names to create (auto_create), target templates ({db}, {schema},
-- {table}, {topic}) and the check that sources merged into one target cannot collide.

-- The primary key columns of table `t` in key order; NULL when it has none.
CREATE FUNCTION cdc_sync._primary_key(t regclass) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT array_agg(a.attname::text ORDER BY k.ord)
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = t AND i.indisprimary
$$;

-- The schema and table parts of a target template, unquoted (an unquoted part folds to lower
-- case, as PostgreSQL does), placeholders left in place; a one-part template goes to `create_in`.
CREATE FUNCTION cdc_sync._template_parts(p_target text, create_in name) RETURNS text[]
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    parts text[] := '{}';
    cur text := '';
    quoted boolean := false;
    ch text;
    i integer := 1;
    unquoted text;
    bad text;
BEGIN
    WHILE i <= length(p_target) LOOP
        ch := substr(p_target, i, 1);
        IF quoted AND ch = '"' AND substr(p_target, i + 1, 1) = '"' THEN
            cur := cur || '"';
            i := i + 1;
        ELSIF ch = '"' THEN
            quoted := NOT quoted;
        ELSIF quoted THEN
            cur := cur || ch;
        ELSIF ch = '.' THEN
            parts := parts || cur;
            cur := '';
        ELSE
            cur := cur || lower(ch);
        END IF;
        i := i + 1;
    END LOOP;
    parts := parts || cur;
    unquoted := lower(regexp_replace(p_target, '"([^"]|"")*"', '', 'g'));
    bad := (regexp_match(unquoted, '\{[^}]*\}?'))[1];
    IF bad IS NOT NULL AND bad NOT IN ('{db}', '{schema}', '{table}', '{topic}') THEN
        RAISE EXCEPTION 'unknown placeholder "%" in target "%"', bad, p_target USING ERRCODE = 'invalid_name',
            HINT = 'a target template may use {db}, {schema}, {table} and {topic}';
    END IF;
    IF quoted OR cardinality(parts) > 2 OR '' = ANY (parts)
       OR regexp_replace(unquoted, '\{(db|schema|table|topic)\}', '', 'g') !~ '^[[:alnum:]_$.]*$' THEN
        RAISE EXCEPTION 'invalid target name "%"', p_target USING ERRCODE = 'invalid_name',
            HINT = 'a table name, optionally schema-qualified: "orders", "warehouse.orders" or a template such as "mirror.{table}"';
    END IF;
    IF cardinality(parts) = 1 THEN
        IF create_in IS NULL THEN
            RAISE EXCEPTION 'target "%" names no schema and search_path has none', p_target
                USING ERRCODE = 'invalid_schema_name';
        END IF;
        parts := ARRAY[create_in::text] || parts;
    END IF;
    RETURN parts;
END $$;

-- Whether a target (template) has a placeholder.
CREATE FUNCTION cdc_sync._is_template(p_target text) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT p_target ~* '\{(db|schema|table|topic)\}'
$$;

-- The quoted, qualified target name a template's parts give for a source "db.table" read from
-- `topic`. Values replace placeholders in one pass (a value is never read as a placeholder).
CREATE FUNCTION cdc_sync._expand_template(parts text[], p_source text, p_topic text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    dot integer := strpos(p_source, '.');
    db text := CASE WHEN dot > 0 THEN left(p_source, dot - 1) ELSE '' END;
    tbl text := CASE WHEN dot > 0 THEN substr(p_source, dot + 1) ELSE p_source END;
    names text[] := '{}';
    part text;
    rest text;
    done text;
    m text[];
BEGIN
    FOREACH part IN ARRAY parts LOOP
        rest := part;
        done := '';
        LOOP
            m := regexp_match(rest, '^(.*?)\{(db|schema|table|topic)\}(.*)$');
            EXIT WHEN m IS NULL;
            done := done || m[1] || CASE m[2] WHEN 'table' THEN tbl WHEN 'topic' THEN coalesce(p_topic, '') ELSE db END;
            rest := m[3];
        END LOOP;
        done := done || rest;
        IF done = '' OR octet_length(done) > 63 THEN
            RAISE EXCEPTION 'target template "%" gives % name "%" for source "%"', array_to_string(parts, '.'),
                CASE WHEN done = '' THEN 'an empty' ELSE 'a too long (over 63 bytes)' END, done, p_source
                USING ERRCODE = 'invalid_name',
                      HINT = 'change the template (alter it by removing and adding the sync table)';
        END IF;
        names := names || done;
    END LOOP;
    RETURN format('%I.%I', names[1], names[2]);
END $$;

-- Whether a source pattern can match several tables (a plain "db.table" cannot: its dots, escaped
-- or not, are taken as the separator).
CREATE FUNCTION cdc_sync._matches_many(p_source text) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT regexp_replace(p_source, '\\\.', '', 'g') ~ '[][\\^$|?*+(){}]'
$$;

-- Whether every name a source pattern matches has the same database part (before the first dot).
CREATE FUNCTION cdc_sync._fixed_db(p_source text) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((regexp_match(p_source, '^([^\\.]*)(\\\.|\.)'))[1] !~ '[][\\^$|?*+(){}]', false)
$$;

-- Refuses a sync table whose sources would collide in one target: a pattern whose tables share a
-- target (a fixed one, or a template without {table} and the database) needs the source in the
-- key (source_column) or the owner's word that keys are unique across them. Checks an explicit
-- key holds source_column.
CREATE FUNCTION cdc_sync._check_shared_target(p_source text, p_target text, key text[], p_options jsonb)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    col text := p_options->>'source_column';
    one_per_source boolean := p_target ~* '\{table\}' AND (p_target ~* '\{(db|schema)\}' OR cdc_sync._fixed_db(p_source));
BEGIN
    IF col IS NOT NULL AND key IS NOT NULL AND cardinality(key) > 0 AND NOT col = ANY (key) THEN
        RAISE EXCEPTION 'primary_key % does not hold source_column "%"', key, col USING ERRCODE = 'invalid_parameter_value',
            HINT = 'the source column is in the key so that equal keys of two source tables stay two rows';
    END IF;
    IF NOT cdc_sync._matches_many(p_source) OR one_per_source OR col IS NOT NULL
       OR coalesce((p_options->>'keys_unique_across_sources')::boolean, false)
       OR coalesce((p_options->>'append')::boolean, false) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'source pattern "%" writes all the tables it matches into %', p_source,
        CASE WHEN cdc_sync._is_template(p_target) THEN 'shared targets (template "' || p_target || '")'
             ELSE 'one target "' || p_target || '"' END
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'Rows of two source tables with the same key would overwrite each other.',
              HINT = 'add options => ''{"source_column": "source_table"}'' (a text column that takes each row''s source '
                     'table and leads the primary key), or ''{"keys_unique_across_sources": true}'' when keys are '
                     'unique across the tables, or a target template with {table} for one target per source';
END $$;

-- add_sync_table for a target that does not exist yet (auto_create): checks the name, the schema
-- and the owner's right to create in it; the worker creates the table at the first change.
CREATE FUNCTION cdc_sync._add_missing_target(p cdc_sync.pipelines, p_source text, p_target text, create_in name,
                                             key text[], p_options jsonb, append boolean)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    parts text[] := cdc_sync._template_parts(p_target, create_in);
    template boolean := cdc_sync._is_template(p_target);
    st_id integer;
BEGIN
    IF template AND NOT cdc_sync._matches_many(p_source) THEN
        RAISE EXCEPTION 'target template "%" needs a source pattern', p_target USING ERRCODE = 'invalid_parameter_value',
            HINT = 'a template names one target per source table a pattern such as "shop\..*" matches';
    END IF;
    IF NOT cdc_sync._is_template(parts[1]) THEN
        IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = parts[1]) THEN
            RAISE EXCEPTION 'schema "%" of target "%" does not exist', parts[1], p_target
                USING ERRCODE = 'invalid_schema_name', HINT = 'create the schema first';
        END IF;
        IF NOT has_schema_privilege(p.owner, parts[1], 'CREATE') THEN
            RAISE EXCEPTION 'role "%", owner of pipeline "%", may not create tables in schema "%"', p.owner, p.name, parts[1]
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'GRANT CREATE ON SCHEMA to the owner, or create the target table first';
        END IF;
    END IF;
    IF key IS NOT NULL AND (cardinality(key) = 0 OR array_position(key, NULL) IS NOT NULL) THEN
        RAISE EXCEPTION 'primary_key must name columns' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF key IS NOT NULL AND (SELECT count(DISTINCT c) FROM unnest(key) c) <> cardinality(key) THEN
        RAISE EXCEPTION 'primary_key has duplicate columns: %', key USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM cdc_sync._check_shared_target(p_source, p_target, key, p_options);
    INSERT INTO cdc_sync.sync_tables (pipeline, source, target, target_name, primary_key, options, target_template)
    VALUES (p.name, p_source, NULL, CASE WHEN template THEN p_target ELSE format('%I.%I', parts[1], parts[2]) END,
            coalesce(key, '{}'), p_options, CASE WHEN template THEN parts END)
    RETURNING id INTO st_id;
    INSERT INTO cdc_sync.sync_table_counters (sync_table) VALUES (st_id);
    IF template THEN
        RAISE NOTICE 'every table "%" matches gets its own sync table and target, named by "%", at its first change',
            p_source, p_target
            USING DETAIL = 'Targets that do not exist yet are created then.';
    ELSE
        RAISE NOTICE 'table %.% does not exist yet: the pipeline creates it at the first change of "%"',
            quote_ident(parts[1]), quote_ident(parts[2]), p_source
            USING DETAIL = CASE WHEN append THEN 'Without a key (append).'
                                WHEN key IS NULL THEN 'Its primary key: the fields of the first message''s key.'
                                ELSE format('Its primary key: %s.', array_to_string(key, ', ')) END;
    END IF;
    PERFORM cdc_sync._notify();
END $$;

-- Called by a worker at the first change of a source a template sync table matches: adds the
-- source's own sync table (the template's key and options, the expanded target), unless another
-- worker of the pipeline did. An existing target is used as it is; a missing one is created at
-- the first change (auto_create).
CREATE FUNCTION cdc_sync._materialize_sync_table(p_template integer, p_source text, p_topic text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    tpl cdc_sync.sync_tables;
    expanded text;
    t regclass;
    key text[];
    st_id integer;
    other text;
BEGIN
    SELECT * INTO tpl FROM cdc_sync.sync_tables WHERE id = p_template;
    IF NOT FOUND OR tpl.target_template IS NULL THEN
        RETURN;  -- removed meanwhile: the worker reloads
    END IF;
    expanded := cdc_sync._expand_template(tpl.target_template, p_source, p_topic);
    IF tpl.options->>'source_column' IS NULL AND NOT coalesce((tpl.options->>'keys_unique_across_sources')::boolean, false)
       AND NOT coalesce((tpl.options->>'append')::boolean, false) THEN
        SELECT s.source INTO other FROM cdc_sync.sync_tables s
        WHERE s.pipeline = tpl.pipeline AND s.source <> p_source
          AND (s.target_name = expanded OR s.target = pg_catalog.to_regclass(expanded)) LIMIT 1;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'sources "%" and "%" would share target % (template "%")', other, p_source, expanded,
                tpl.target_name USING ERRCODE = 'invalid_parameter_value',
                HINT = 'give the template sync table a source_column (cdc_sync.alter_sync_table), or a template with {db} and {table}';
        END IF;
    END IF;
    t := pg_catalog.to_regclass(expanded);
    key := tpl.primary_key;
    IF t IS NOT NULL AND cardinality(key) = 0 AND NOT coalesce((tpl.options->>'append')::boolean, false) THEN
        key := cdc_sync._primary_key(t);
        IF key IS NULL THEN
            RAISE EXCEPTION 'target % of source "%" (template "%") has no primary key', t, p_source, tpl.target_name
                USING ERRCODE = 'invalid_table_definition', HINT = 'add a primary key to the table';
        END IF;
    ELSIF t IS NULL AND NOT coalesce((tpl.options->>'auto_create')::boolean, true) THEN
        RAISE EXCEPTION 'target % of source "%" (template "%") does not exist', expanded, p_source, tpl.target_name
            USING ERRCODE = 'undefined_table', HINT = 'create the table, or turn the sync table option auto_create on';
    END IF;
    INSERT INTO cdc_sync.sync_tables (pipeline, source, target, target_name, primary_key, options, template_id)
    VALUES (tpl.pipeline, p_source, t, coalesce(t::text, expanded), key, tpl.options, tpl.id)
    ON CONFLICT (pipeline, source) DO NOTHING
    RETURNING id INTO st_id;
    IF st_id IS NOT NULL THEN
        INSERT INTO cdc_sync.sync_table_counters (sync_table) VALUES (st_id);
        PERFORM cdc_sync._notify();
    END IF;
END $$;

-- partition_by RANGE: the partitions that the rows staged in `stage` need and `target` lacks,
-- one per `step` of column `col` (day, week, month, quarter or year of a date or timestamp; a
-- number of an integer), created before the batch writes the rows. Runs as the caller, the
-- pipeline owner (who owns the target); returns the DDL it ran.
CREATE FUNCTION cdc_sync._add_range_partitions(target regclass, stage regclass, col text, step text)
RETURNS SETOF text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    nsp name;
    rel name;
    numeric_step boolean := step ~ '^[0-9]+$';
    b record;
    lo text;
    hi text;
    suffix text;
    part text;
    ddl text;
BEGIN
    SELECT n.nspname, c.relname INTO nsp, rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = target;
    FOR b IN EXECUTE format('SELECT DISTINCT %s AS lo FROM %s WHERE %I IS NOT NULL',
                            CASE WHEN numeric_step THEN format('floor(%I::numeric / %s) * %s', col, step, step)
                                 ELSE format('date_trunc(%L, %I)', step, col) END, stage, col) LOOP
        lo := b.lo::text;
        IF numeric_step THEN
            hi := (b.lo + step::numeric)::text;
            suffix := replace(lo, '-', 'm');
        ELSE
            hi := (b.lo + CASE step WHEN 'quarter' THEN interval '3 months' ELSE ('1 ' || step)::interval END)::text;
            suffix := to_char(b.lo, 'YYYYMMDD');
        END IF;
        part := left(rel, 60 - length(suffix)) || '_p' || suffix;
        IF pg_catalog.to_regclass(format('%I.%I', nsp, part)) IS NULL THEN
            ddl := format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', nsp, part, target, lo, hi);
            EXECUTE ddl;
            RETURN NEXT ddl;
        END IF;
    END LOOP;
END $$;
GRANT EXECUTE ON FUNCTION cdc_sync._add_range_partitions TO PUBLIC;  -- DDL the caller may run anyway

REVOKE ALL ON FUNCTION cdc_sync._primary_key, cdc_sync._template_parts, cdc_sync._expand_template, cdc_sync._check_shared_target,
    cdc_sync._add_missing_target, cdc_sync._materialize_sync_table FROM PUBLIC;
