-- The PostgreSQL side of test/stack/types/run.sh: the target tables, MariaDB's values ("the
-- truth", loaded from a dump), and the column-by-column comparison. Everything lives in schema
-- types_check; each connector configuration gets a schema of its own holding its targets.
\set ON_ERROR_STOP 1
CREATE SCHEMA types_check;
SET search_path = types_check, pg_catalog;

-- The targets of one configuration: every MySQL type as its natural PostgreSQL type (as in
-- test/pgtap/10_mysql_types.sql). DECIMAL becomes numeric(p,s), or double precision under
-- decimal.handling.mode=double, where the connector itself sends a double. MySQL TIME spans
-- -838:59:59..838:59:59, which only interval holds; TIME(6) (kept within a day here) goes to
-- time(6). BIT(1) is a truth value in Debezium (a boolean), BIT(n) bit(n). Spatial types arrive
-- as Debezium's {"wkb", "srid"} struct (Point adds "x", "y"): jsonb (PostGIS is not installed).
CREATE FUNCTION create_target(target_schema text, decimals_as_double boolean) RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE
    dec text;
BEGIN
    EXECUTE format('CREATE SCHEMA %I', target_schema);
    EXECUTE format($ddl$CREATE TYPE %I.color AS ENUM ('red', 'white', 'blå')$ddl$, target_schema);
    EXECUTE format($ddl$
        CREATE TABLE %1$I.all_types (
            id integer PRIMARY KEY,
            tiny_c smallint, tiny_un_c smallint, tiny_z_c smallint,
            small_c smallint, small_un_c integer,
            medium_c integer, medium_un_c integer,
            int_c integer, int_un_c bigint, int_z_c bigint,
            big_c bigint, big_un_c numeric(20,0),
            bool_c boolean, tiny1_c smallint,
            float_c real, float_un_c real, float_md_c real, float53_c double precision,
            double_c double precision, real_c double precision, double_un_c double precision,
            dec_c numeric(10,2), dec_un_c numeric(10,2), dec_default_c numeric(10,0), numeric_c numeric(6,0),
            dec_frac_c numeric(5,5), dec_65_0_c numeric(65,0), dec_65_30_c numeric(65,30),
            bit1_c boolean, bit10_c bit(10), bit64_c bit(64),
            date_c date, date_nn_c date NOT NULL,
            time_c interval, time3_c interval, time6_c time(6),
            datetime_c timestamp(0), datetime3_c timestamp(3), datetime6_c timestamp(6),
            ts_c timestamptz(0), ts6_c timestamptz(6),
            year_c smallint,
            char_c char(10), varchar_c varchar(255), varchar0_c text,
            latin1_c varchar(20), ascii_c char(5),
            tinytext_c text, text_c text, mediumtext_c text, longtext_c text,
            binary_c bytea, varbinary_c bytea,
            tinyblob_c bytea, blob_c bytea, mediumblob_c bytea, longblob_c bytea,
            enum_c text, set_c text, json_c jsonb,
            point_c jsonb, geometry_c jsonb, linestring_c jsonb, polygon_c jsonb,
            multipoint_c jsonb, multilinestring_c jsonb, multipolygon_c jsonb,
            geomcoll_c jsonb,
            dt6_tz_c timestamptz(6), ts6_plain_c timestamp(6), date_ts_c timestamp(0), uuid_c uuid,
            bit10_varbit_c bit varying, year_int_c integer, json_json_c json, enum_pg_c %1$I.color,
            dec_int_c bigint)$ddl$, target_schema);
    EXECUTE format('CREATE TABLE %I.aux (id integer PRIMARY KEY, v varchar(20), d numeric(5,2), u numeric(20,0),
                                         t time(6))', target_schema);
    EXECUTE format('CREATE TABLE %I.rejects (id integer PRIMARY KEY, txt varchar(20), j jsonb)', target_schema);
    IF decimals_as_double THEN
        FOREACH dec IN ARRAY ARRAY['all_types.dec_c', 'all_types.dec_un_c', 'all_types.dec_default_c',
                                    'all_types.numeric_c', 'all_types.dec_frac_c', 'all_types.dec_65_0_c',
                                    'all_types.dec_65_30_c', 'aux.d'] LOOP
            EXECUTE format('ALTER TABLE %I.%I ALTER COLUMN %I TYPE double precision', target_schema,
                           split_part(dec, '.', 1), split_part(dec, '.', 2));
        END LOOP;
    END IF;
END $f$;

-- MariaDB's side, reloaded before each comparison: one JSON object per row, every value as the
-- text MariaDB prints for it (see run.sh, truth_query), and each source column's MySQL type.
CREATE TABLE truth (tbl text NOT NULL, id integer NOT NULL, v jsonb NOT NULL, PRIMARY KEY (tbl, id));
CREATE TABLE truth_raw (line text);
CREATE TABLE source_columns (tbl text, col text, data_type text, PRIMARY KEY (tbl, col));

-- '[-]H:MM:SS[.ffffff]', MySQL's TIME text, from seconds (both sides of a TIME go through it).
CREATE FUNCTION hms(seconds numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN seconds < 0 THEN '-' ELSE '' END
           || div(trunc(abs(seconds)), 3600)::text || ':'
           || lpad(mod(div(trunc(abs(seconds)), 60), 60)::text, 2, '0') || ':'
           || lpad(mod(trunc(abs(seconds)), 60)::text, 2, '0')
           || CASE WHEN abs(seconds) = trunc(abs(seconds)) THEN ''
                   ELSE rtrim(substr(to_char(abs(seconds) - trunc(abs(seconds)), 'FM0.000000'), 2), '0') END
$$;
CREATE FUNCTION seconds_of(hms text) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN hms LIKE '-%' THEN -1 ELSE 1 END * extract(epoch FROM ltrim(hms, '-')::interval)
$$;

-- MySQL's zero dates ('0000-00-00', or a zero month or day) have no PostgreSQL value: Debezium
-- sends NULL for them (nullable columns), which is what cdc_sync documents (README, Formats and
-- values). NULL here; the NOT NULL column's different fate is a known difference below.
CREATE FUNCTION zero_date_to_null(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN t ~ '^\d{4}-(00-\d\d|\d\d-00)' OR t LIKE '0000-00-00%' THEN NULL ELSE t END
$$;

-- The kind of comparison a column gets, from its PostgreSQL type and its MySQL type.
CREATE FUNCTION kind_of(pg_type text, my_type text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN my_type IN ('geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring',
                         'multipolygon', 'geometrycollection') THEN 'spatial'
        WHEN pg_type = 'boolean' THEN 'bool'
        WHEN pg_type IN ('smallint', 'integer', 'bigint') OR pg_type LIKE 'numeric%' THEN 'number'
        WHEN pg_type IN ('real', 'double precision') THEN 'float'
        WHEN pg_type = 'date' THEN 'date'
        WHEN pg_type LIKE 'timestamp%with time zone' THEN 'timestamptz'
        WHEN pg_type LIKE 'timestamp%' THEN 'timestamp'
        WHEN pg_type = 'interval' THEN 'interval'
        WHEN pg_type LIKE 'time%' THEN 'time'
        WHEN pg_type = 'bytea' THEN 'bytea'
        WHEN pg_type = 'uuid' THEN 'uuid'                    -- BINARY(16)
        WHEN pg_type IN ('json', 'jsonb') THEN 'json'
        ELSE 'text' END  -- text, varchar, char (both sides drop CHAR's trailing blanks), bit
$$;

-- JSON text as jsonb prints it, or the text itself marked when jsonb cannot hold it (\u0000).
CREATE FUNCTION jsonb_text(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN t::jsonb::text;
EXCEPTION WHEN OTHERS THEN
    RETURN '(not jsonb) ' || t;
END $$;

-- MariaDB's text of a value, in the canonical form of its kind.
CREATE FUNCTION canon_mariadb(kind text, t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind
        WHEN 'bool' THEN t                                   -- '0'/'1' (TINYINT(1), BIT(1))
        WHEN 'number' THEN t::numeric::text                  -- drops ZEROFILL's zeros, keeps the scale
        WHEN 'float' THEN t::float8::text                    -- the double (FLOAT: its float widened)
        WHEN 'date' THEN types_check.zero_date_to_null(t)::date::text
        WHEN 'timestamp' THEN types_check.zero_date_to_null(t)::timestamp::text
        WHEN 'timestamptz' THEN types_check.zero_date_to_null(t)::timestamp::text  -- dumped in UTC
        WHEN 'interval' THEN types_check.hms(types_check.seconds_of(t))
        WHEN 'time' THEN t::time::text
        WHEN 'json' THEN types_check.jsonb_text(t)
        ELSE t END                                           -- text, bit string, hex, wkb-hex/srid
$$;

-- PostgreSQL's value of a column as an SQL expression over the column `c`, giving the same form.
CREATE FUNCTION canon_postgres_sql(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind
        WHEN 'bool' THEN $e$CASE c WHEN true THEN '1' WHEN false THEN '0' END$e$
        WHEN 'number' THEN 'c::numeric::text'
        WHEN 'float' THEN 'c::float8::text'
        WHEN 'timestamptz' THEN $e$(c AT TIME ZONE 'UTC')::text$e$
        WHEN 'interval' THEN 'types_check.hms(extract(epoch FROM c))'
        WHEN 'bytea' THEN $e$encode(c, 'hex')$e$
        WHEN 'uuid' THEN $e$replace(c::text, '-', '')$e$
        WHEN 'json' THEN 'c::jsonb::text'
        WHEN 'spatial' THEN $e$encode(decode(c->>'wkb', 'base64'), 'hex') || '/' || coalesce(c->>'srid', '0')$e$
        ELSE 'c::text' END
$$;

-- Differences the chain is known to make, each asserted exactly: where a rule matches a cell
-- (configuration, table, column and row id matched as regular expressions), PostgreSQL must hold
-- `expected` (an SQL expression over m, MariaDB's canonical text, and id) instead of MariaDB's
-- value, and every rule must match at least one cell that differs. Filled by known.sql.
CREATE TABLE known (
    n serial PRIMARY KEY,
    config_re text NOT NULL, tbl_re text NOT NULL DEFAULT '^all_types$', col_re text NOT NULL,
    id_re text NOT NULL DEFAULT '.', expected text NOT NULL, why text NOT NULL);
-- (A missing column's cell has no row id: '' for id_re.)

-- Every cell of `target_schema`.`tbl` against MariaDB's: rows either side lacks, and values whose
-- canonical forms differ. Columns PostgreSQL lacks are listed too (col 'column missing').
-- (mariadb_text: MariaDB's own text where it differs from the canonical form, e.g. a zero date.)
CREATE TABLE cells (config text, tbl text, id integer, col text, kind text, mariadb text, postgres text,
                    differs boolean, rule integer, expected text, mariadb_text text);

CREATE FUNCTION compare(p_schema text, p_tbl text) RETURNS integer LANGUAGE plpgsql
SET search_path = types_check, pg_catalog AS $f$
DECLARE
    c record;
    n integer := 0;
    target regclass := format('%I.%I', p_schema, p_tbl)::regclass;
BEGIN
    DELETE FROM cells x WHERE x.config = p_schema AND x.tbl = p_tbl;
    FOR c IN
        SELECT a.attname::text AS col, kind_of(format_type(a.atttypid, a.atttypmod), s.data_type) AS kind
        FROM pg_attribute a
        LEFT JOIN source_columns s ON s.tbl = p_tbl AND s.col = a.attname
        WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'id'
        ORDER BY a.attnum
    LOOP
        EXECUTE format($q$
            INSERT INTO types_check.cells (config, tbl, id, col, kind, mariadb, postgres, mariadb_text)
            SELECT %L, %L, coalesce(t.id, p.id), %L, %L,
                   CASE WHEN t.id IS NULL THEN '(no row)' ELSE types_check.canon_mariadb(%L, t.v->>%L) END,
                   CASE WHEN p.id IS NULL THEN '(no row)' ELSE p.canon END, t.v->>%L
            FROM (SELECT id, v FROM types_check.truth WHERE tbl = %L) t
            FULL JOIN (SELECT id, (SELECT %s FROM (SELECT x.%I AS c) s) AS canon FROM %s x) p USING (id)$q$,
            p_schema, p_tbl, c.col, c.kind, c.kind, c.col, c.col, p_tbl, canon_postgres_sql(c.kind), c.col, target);
        n := n + 1;
    END LOOP;
    -- Source columns the target does not have (a column added at the source).
    INSERT INTO cells (config, tbl, id, col, kind, mariadb, postgres)
    SELECT p_schema, p_tbl, NULL, s.col, 'column missing', s.data_type, NULL
    FROM source_columns s
    WHERE s.tbl = p_tbl AND s.col <> 'id' AND NOT EXISTS (
        SELECT FROM pg_attribute a WHERE a.attrelid = target AND a.attname = s.col AND NOT a.attisdropped);
    UPDATE cells x SET differs = x.mariadb IS DISTINCT FROM x.postgres WHERE x.config = p_schema AND x.tbl = p_tbl;
    -- The known difference of each differing cell (the first that matches), and its expected value.
    UPDATE cells x SET rule = (SELECT min(k.n) FROM known k
                               WHERE x.config ~ k.config_re AND x.tbl ~ k.tbl_re AND x.col ~ k.col_re
                                 AND coalesce(x.id::text, '') ~ k.id_re)
    WHERE x.config = p_schema AND x.tbl = p_tbl AND x.differs;
    FOR c IN SELECT x.ctid AS row_id, x.mariadb, x.id, k.expected FROM cells x JOIN known k ON k.n = x.rule
             WHERE x.config = p_schema AND x.tbl = p_tbl LOOP
        EXECUTE format('UPDATE types_check.cells SET expected = (SELECT %s FROM (SELECT $1::text AS m, $2::integer AS id) v) WHERE ctid = $3',
                       c.expected) USING c.mariadb, c.id, c.row_id;
    END LOOP;
    RETURN n;
END $f$;

-- What failed: differing cells that no known difference explains, or where PostgreSQL does not
-- hold what the known difference says.
CREATE VIEW failures AS
SELECT config, tbl, id, col, kind, mariadb, postgres, rule, expected, mariadb_text
FROM cells
WHERE differs AND (rule IS NULL OR postgres IS DISTINCT FROM expected);

-- Known differences that matched nothing in any comparison: stale, or the chain changed.
CREATE TABLE known_used (n integer PRIMARY KEY);
CREATE VIEW unused_known AS
SELECT k.* FROM known k WHERE NOT EXISTS (SELECT FROM known_used u WHERE u.n = k.n);
