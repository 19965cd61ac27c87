-- verify(): does a target equal its MySQL source? Per-bucket checksums of normalised rows computed
-- on both sides (only the checksums cross the network), then the mismatching buckets narrowed to
-- keys, after the pipeline caught up (so a table being written is compared at one point).

-- `name` quoted for MySQL.
CREATE FUNCTION cdc_sync._mysql_ident(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT '`' || replace(name, '`', '``') || '`'
$$;

-- The normalised text of a MySQL column of `data_type` (an expression over `col`, quoted), equal
-- to _pg_norm's for equal values.
CREATE FUNCTION cdc_sync._mysql_norm(col text, data_type text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN data_type IN ('decimal', 'numeric') THEN
            format($f$IF(LOCATE('.', CAST(%1$s AS CHAR)) > 0, TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM CAST(%1$s AS CHAR))), CAST(%1$s AS CHAR))$f$, col)
        -- A DOUBLE as its decimal digits (MySQL prints it sometimes with an exponent, sometimes not).
        WHEN data_type IN ('double', 'real') THEN
            format($f$TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM CAST(CAST(%s AS DECIMAL(65,30)) AS CHAR)))$f$, col)
        WHEN data_type = 'date' THEN format($f$NULLIF(CAST(%s AS CHAR), '0000-00-00')$f$, col)
        WHEN data_type IN ('datetime', 'timestamp') THEN
            format($f$NULLIF(DATE_FORMAT(%s, '%%Y-%%m-%%d %%H:%%i:%%s.%%f'), '0000-00-00 00:00:00.000000')$f$, col)
        WHEN data_type = 'time' THEN format('CAST(CAST(TIME_TO_SEC(%s) AS DECIMAL(20,6)) AS CHAR)', col)
        WHEN data_type = 'bit' THEN format('CAST(CAST(%s AS UNSIGNED) AS CHAR)', col)
        WHEN data_type IN ('binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'geometry', 'point',
                           'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon',
                           'geometrycollection', 'geomcollection') THEN format('HEX(%s)', col)
        ELSE format('CAST(%s AS CHAR)', col) END
$$;

-- The same for PostgreSQL's column `col` (quoted) of type `pg_type` that holds a MySQL `data_type`.
CREATE FUNCTION cdc_sync._pg_norm(col text, pg_type text, data_type text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN pg_type = 'bytea' THEN format($f$upper(encode(%s, 'hex'))$f$, col)
        WHEN data_type = 'bit' AND pg_type = 'boolean' THEN format('(%s)::int::text', col)
        WHEN data_type = 'bit' THEN format('(%s)::bigint::text', col)
        WHEN data_type = 'time' THEN format('(extract(epoch FROM %s))::numeric(20,6)::text', col)
        WHEN data_type IN ('datetime', 'timestamp') AND pg_type LIKE '%with time zone' THEN
            format($f$to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')$f$, col)
        WHEN data_type IN ('datetime', 'timestamp') THEN format($f$to_char(%s, 'YYYY-MM-DD HH24:MI:SS.US')$f$, col)
        WHEN data_type IN ('decimal', 'numeric') THEN format('trim_scale((%s)::numeric)::text', col)
        WHEN data_type IN ('double', 'real') THEN format('trim_scale((%s)::numeric)::text', col)
        -- A FLOAT as printed: MySQL writes 1.5e-7 and 1e20 where PostgreSQL writes 1.5e-07 and 1e+20.
        WHEN data_type = 'float' THEN
            format($f$regexp_replace(replace((%s)::text, 'e+', 'e'), 'e(-?)0+', 'e\1')$f$, col)
        WHEN pg_type = 'boolean' THEN format('(%s)::int::text', col)
        ELSE format('(%s)::text', col) END
$$;

CREATE FUNCTION cdc_sync._verify(p_pipeline text, p_source text, p_connection text, options jsonb)
RETURNS TABLE (o_source text, o_target text, o_source_rows bigint, o_target_rows bigint, o_missing bigint,
               o_extra bigint, o_changed bigint, o_equal boolean, o_details jsonb)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    step bigint := coalesce((options->>'chunk_rows')::bigint, 8192);
    tbl text;
    st record;
    db text;
    rel text;
    cols record;
    m_row text[] := '{}';   -- MySQL: the normalised columns
    p_row text[] := '{}';   -- PostgreSQL: the same
    m_key text[] := '{}';
    p_key text[] := '{}';
    int_key boolean;
    nbuckets bigint;
    m_bucket text;
    p_bucket text;
    m_hash text;
    p_hash text;
    m_from text;
    p_from text;
    bad_buckets text[];
    src_rows bigint;
    tgt_rows bigint;
    r record;
    n_missing bigint;
    n_extra bigint;
    n_changed bigint;
    keys jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM cdc_sync.pipelines pp WHERE pp.name = p_pipeline) THEN
        RAISE EXCEPTION 'pipeline "%" does not exist', p_pipeline USING ERRCODE = 'undefined_object';
    END IF;
    FOR tbl IN SELECT cdc_sync._mysql_source_tables(p_connection, p_source) LOOP
        SELECT s.*, coalesce(s.target, pg_catalog.to_regclass(s.target_name)) AS rel_oid INTO st
        FROM cdc_sync.sync_tables s WHERE s.pipeline = p_pipeline AND s.target_template IS NULL
          AND (s.source = tbl OR tbl ~ ('^(?:' || s.source || ')$'))
        ORDER BY s.source = tbl DESC, s.template_id IS NULL, s.id LIMIT 1;
        IF st.rel_oid IS NULL THEN
            RAISE EXCEPTION 'pipeline "%" has no target for MySQL table "%"', p_pipeline, tbl
                USING ERRCODE = 'undefined_object';
        END IF;
        db := split_part(tbl, '.', 1);
        rel := substr(tbl, length(db) + 2);
        -- The columns both sides have, and the key.
        m_row := '{}'; p_row := '{}'; m_key := '{}'; p_key := '{}';
        FOR cols IN
            -- (Under the sync table's columns option: fields left out are not compared, renamed
            -- ones are compared with their target columns.)
            SELECT x->>0 AS name, a.attname::text AS pg_name, x->>1 AS data_type,
                   format_type(a.atttypid, a.atttypmod) AS pg_type, a.attname = ANY (st.primary_key) AS is_key
            FROM jsonb_array_elements(cdc_sync._mysql_query(p_connection, format(
                'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %L '
                'AND table_name = %L ORDER BY ordinal_position', db, rel))) WITH ORDINALITY e(x, ord)
            JOIN pg_attribute a ON a.attrelid = st.rel_oid AND NOT a.attisdropped
             AND a.attname = coalesce(st.options->'columns'->'rename'->>(x->>0), x->>0)
            WHERE NOT coalesce(st.options->'columns'->'exclude' ? (x->>0), false)
              AND (NOT coalesce(st.options->'columns' ? 'include', false) OR st.options->'columns'->'include' ? (x->>0))
            ORDER BY ord
        LOOP
            m_row := m_row || format('COALESCE(%s, CHAR(1))', cdc_sync._mysql_norm(cdc_sync._mysql_ident(cols.name), cols.data_type));
            p_row := p_row || format('coalesce(%s, chr(1))', cdc_sync._pg_norm(quote_ident(cols.pg_name), cols.pg_type, cols.data_type));
            IF cols.is_key THEN
                m_key := m_key || cdc_sync._mysql_norm(cdc_sync._mysql_ident(cols.name), cols.data_type);
                p_key := p_key || cdc_sync._pg_norm(quote_ident(cols.pg_name), cols.pg_type, cols.data_type);
                int_key := cols.data_type IN ('tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint');
            END IF;
        END LOOP;
        IF cardinality(m_key) = 0 THEN
            RAISE EXCEPTION 'verify needs a key: target % of "%" has none in common with the source', st.rel_oid::regclass, tbl
                USING ERRCODE = 'invalid_table_definition';
        END IF;
        m_hash := format($f$MD5(CONCAT_WS('|', %s))$f$, array_to_string(m_row, ', '));
        p_hash := format($f$md5(concat_ws('|', %s))$f$, array_to_string(p_row, ', '));
        m_from := format('%s.%s', cdc_sync._mysql_ident(db), cdc_sync._mysql_ident(rel));
        -- Soft-deleted rows are rows the source no longer has.
        p_from := CASE WHEN coalesce(st.options->>'delete_mode', '') = 'soft' OR coalesce(st.options->>'truncate_mode', '') = 'soft'
                       THEN format('(SELECT * FROM %s WHERE _cdc_deleted IS NOT TRUE) t', st.rel_oid::regclass)
                       ELSE st.rel_oid::regclass::text END;
        -- Buckets: key ranges of `step` for an integer key, else hash buckets of about `step` rows.
        IF cardinality(m_key) = 1 AND int_key THEN
            m_bucket := format('FLOOR(%s / %s)', m_key[1], step);
            p_bucket := format('floor((%s)::numeric / %s)::bigint', p_key[1], step);
        ELSE
            nbuckets := greatest(1, ceil((cdc_sync._mysql_query(p_connection, 'SELECT COUNT(*) FROM ' || m_from)->0->>0)::numeric / step));
            m_bucket := format($f$CONV(LEFT(MD5(CONCAT_WS('|', %s)), 8), 16, 10) MOD %s$f$, array_to_string(m_key, ', '), nbuckets);
            p_bucket := format($f$('x' || left(md5(concat_ws('|', %s)), 8))::bit(32)::bigint %% %s$f$, array_to_string(p_key, ', '), nbuckets);
        END IF;
        -- Pass 1: count and checksum per bucket, on both sides.
        CREATE TEMP TABLE IF NOT EXISTS cdc_sync_verify_src (b text, n bigint, s text);
        CREATE TEMP TABLE IF NOT EXISTS cdc_sync_verify_tgt (b text, n bigint, s text);
        TRUNCATE cdc_sync_verify_src, cdc_sync_verify_tgt;
        INSERT INTO cdc_sync_verify_src
        SELECT x->>0, (x->>1)::bigint, x->>2 FROM jsonb_array_elements(cdc_sync._mysql_query(p_connection, format(
            'SELECT CAST(b AS CHAR), COUNT(*), CAST(SUM(CAST(CONV(LEFT(h, 15), 16, 10) AS UNSIGNED)) AS CHAR) '
            'FROM (SELECT %s AS b, %s AS h FROM %s) x GROUP BY b', m_bucket, m_hash, m_from))) x;
        EXECUTE format($q$INSERT INTO cdc_sync_verify_tgt
            SELECT b::text, count(*), sum(('x' || lpad(left(h, 15), 16, '0'))::bit(64)::bigint)::text
            FROM (SELECT %s AS b, %s AS h FROM %s) x GROUP BY b$q$, p_bucket, p_hash, p_from);
        SELECT coalesce(sum(n), 0) INTO src_rows FROM cdc_sync_verify_src;
        SELECT coalesce(sum(n), 0) INTO tgt_rows FROM cdc_sync_verify_tgt;
        SELECT array_agg(coalesce(s.b, t.b)) INTO bad_buckets
        FROM cdc_sync_verify_src s FULL JOIN cdc_sync_verify_tgt t ON t.b = s.b
        WHERE s.n IS DISTINCT FROM t.n OR s.s IS DISTINCT FROM t.s;
        n_missing := 0; n_extra := 0; n_changed := 0; keys := '{}';
        IF cardinality(bad_buckets) > 0 THEN
            -- A table being written: compare what differs once the pipeline has caught up.
            IF coalesce((options->>'recheck')::boolean, true)
               AND (SELECT state FROM cdc_sync.pipelines pp WHERE pp.name = p_pipeline) = 'running' THEN
                PERFORM cdc_sync.wait_for_catchup(p_pipeline, '30 s');
            END IF;
            -- Pass 2: the keys of the differing buckets, with each row's hash, on both sides.
            CREATE TEMP TABLE IF NOT EXISTS cdc_sync_verify_src_keys (k text, h text);
            CREATE TEMP TABLE IF NOT EXISTS cdc_sync_verify_tgt_keys (k text, h text);
            TRUNCATE cdc_sync_verify_src_keys, cdc_sync_verify_tgt_keys;
            INSERT INTO cdc_sync_verify_src_keys
            SELECT x->>0, x->>1 FROM jsonb_array_elements(cdc_sync._mysql_query(p_connection, format(
                $f$SELECT CONCAT_WS('|', %s), %s FROM %s WHERE CAST(%s AS CHAR) IN (%s)$f$,
                array_to_string(m_key, ', '), m_hash, m_from, m_bucket,
                (SELECT string_agg(quote_literal(b), ', ') FROM unnest(bad_buckets) b)))) x;
            EXECUTE format($q$INSERT INTO cdc_sync_verify_tgt_keys
                SELECT concat_ws('|', %s), %s FROM %s WHERE (%s)::text = ANY ($1)$q$,
                array_to_string(p_key, ', '), p_hash, p_from, p_bucket) USING bad_buckets;
            SELECT count(*) FILTER (WHERE t.k IS NULL), count(*) FILTER (WHERE s.k IS NULL),
                   count(*) FILTER (WHERE s.k IS NOT NULL AND t.k IS NOT NULL AND s.h <> t.h)
            INTO n_missing, n_extra, n_changed
            FROM cdc_sync_verify_src_keys s FULL JOIN cdc_sync_verify_tgt_keys t ON t.k = s.k;
            SELECT jsonb_build_object(
                'buckets', (SELECT jsonb_agg(CASE WHEN cardinality(m_key) = 1 AND int_key
                                                  THEN jsonb_build_object('from', b::numeric * step, 'to', (b::numeric + 1) * step - 1)
                                                  ELSE jsonb_build_object('hash_bucket', b) END)
                            FROM (SELECT b FROM unnest(bad_buckets) b LIMIT 100) x),
                'missing', (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]') FROM (SELECT s.k FROM cdc_sync_verify_src_keys s
                            LEFT JOIN cdc_sync_verify_tgt_keys t ON t.k = s.k WHERE t.k IS NULL ORDER BY s.k LIMIT 100) x),
                'extra', (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]') FROM (SELECT t.k FROM cdc_sync_verify_tgt_keys t
                          LEFT JOIN cdc_sync_verify_src_keys s ON s.k = t.k WHERE s.k IS NULL ORDER BY t.k LIMIT 100) x),
                'changed', (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]') FROM (SELECT s.k FROM cdc_sync_verify_src_keys s
                            JOIN cdc_sync_verify_tgt_keys t ON t.k = s.k WHERE s.h <> t.h ORDER BY s.k LIMIT 100) x))
            INTO keys;
        END IF;
        o_source := tbl;
        o_target := st.rel_oid::regclass::text;
        o_source_rows := src_rows;
        o_target_rows := tgt_rows;
        o_missing := n_missing;
        o_extra := n_extra;
        o_changed := n_changed;
        o_equal := n_missing = 0 AND n_extra = 0 AND n_changed = 0;
        o_details := keys;
        RETURN NEXT;
    END LOOP;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'MySQL connection "%" has no table "%"', p_connection, p_source USING ERRCODE = 'undefined_table';
    END IF;
END $$;

-- Whether the pipeline's targets equal their MySQL sources (`source`: a table or a pattern), per
-- table; `details` lists the differing key ranges and up to 100 keys of each kind.
CREATE FUNCTION cdc_sync.verify(pipeline text, source text, connection text, options jsonb DEFAULT '{}')
RETURNS TABLE (source text, target text, source_rows bigint, target_rows bigint, missing bigint, extra bigint,
               changed bigint, equal boolean, details jsonb)
LANGUAGE sql AS $$ SELECT * FROM cdc_sync._verify($1, $2, $3, coalesce($4, '{}')) $$;

GRANT EXECUTE ON FUNCTION cdc_sync._mysql_query, cdc_sync._mysql_source_tables, cdc_sync._mysql_ident, cdc_sync._mysql_norm, cdc_sync._pg_norm
    TO PUBLIC;  -- _mysql_query reaches only the caller's own connections (row-level security)
