-- Model test of the apply semantics: a random stream of Debezium changes (inserts, updates,
-- deletes, re-inserts, key changes, truncates, duplicates, a producer's replay of earlier
-- changes, then the consumer's replay from the earliest offset) goes through every combination
-- of delete_mode, truncate_mode and version_column, and mode changelog, under MERGE and
-- delete+insert at two batch sizes; every table must equal what a row-at-a-time model of the
-- options computes from the same stream.
--
-- CI runs it with a fixed seed. A longer run with a random seed:
--   PGOPTIONS="-c cdc_test.seed=$RANDOM -c cdc_test.model_events=2000" pg_prove ... 29_apply_model.sql
\set ON_ERROR_STOP 1
SELECT plan(6);

SELECT setseed(coalesce(nullif(current_setting('cdc_test.seed', true), ''), '11')::int / 100000.0);

-- The combinations: one source table (and target) each.
CREATE TEMP TABLE combo AS
SELECT row_number() OVER () - 1 AS c, dm, tm, vm, false AS changelog
FROM unnest(ARRAY['delete', 'soft', 'archive', 'only_archive', 'ignore']) dm,
     unnest(ARRAY['truncate', 'soft', 'ignore']) tm,
     unnest(ARRAY['none', 'ver', 'offset']) vm;
INSERT INTO combo SELECT count(*), 'delete', 'truncate', 'none', true FROM combo;

-- The source's changes, in order (i). b_*: the before image; old_id: a key change's old key.
CREATE TEMP TABLE ev (i serial, op text, id int, old_id int, name text, ver int, b_name text, b_ver int, ts bigint);

-- A realistic source (a change applies to a row that exists), plus at-least-once duplicates and a
-- producer that sends a stretch of earlier changes again.
CREATE FUNCTION pg_temp.generate(n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k int; nk int; r record;
BEGIN
    CREATE TEMP TABLE src (id int PRIMARY KEY, name text, ver int);
    FOR seq IN 1..n LOOP
        IF random() < 0.02 THEN
            INSERT INTO ev (op, ts) VALUES ('t', seq * 1000);
            DELETE FROM src;
            CONTINUE;
        END IF;
        k := 1 + floor(random() * 20)::int;
        SELECT * INTO r FROM src WHERE id = k;
        IF NOT FOUND THEN
            INSERT INTO ev (op, id, name, ver, ts) VALUES ('c', k, 'n' || seq, seq, seq * 1000);
            INSERT INTO src VALUES (k, 'n' || seq, seq);
        ELSIF random() < 0.3 THEN
            INSERT INTO ev (op, id, b_name, b_ver, ts) VALUES ('d', k, r.name, r.ver, seq * 1000);
            DELETE FROM src WHERE id = k;
        ELSE
            nk := NULL;
            IF random() < 0.2 THEN  -- the primary key changes
                SELECT g INTO nk FROM generate_series(1, 20) g WHERE g NOT IN (SELECT id FROM src) ORDER BY random() LIMIT 1;
            END IF;
            INSERT INTO ev (op, id, old_id, name, ver, b_name, b_ver, ts)
            VALUES ('u', coalesce(nk, k), CASE WHEN nk IS NOT NULL THEN k END, 'n' || seq, seq, r.name, r.ver, seq * 1000);
            UPDATE src SET id = coalesce(nk, k), name = 'n' || seq, ver = seq WHERE id = k;
        END IF;
        IF random() < 0.05 THEN  -- delivered twice
            INSERT INTO ev (op, id, old_id, name, ver, b_name, b_ver, ts)
            SELECT op, id, old_id, name, ver, b_name, b_ver, ts FROM ev ORDER BY i DESC LIMIT 1;
        END IF;
        IF seq = n THEN  -- at the end, a producer replays earlier changes
            INSERT INTO ev (op, id, old_id, name, ver, b_name, b_ver, ts)
            SELECT op, id, old_id, name, ver, b_name, b_ver, ts FROM ev WHERE i BETWEEN n * 7 / 10 AND n * 7 / 10 + 25 ORDER BY i;
        END IF;
    END LOOP;
    DROP TABLE src;
END $$;
SELECT pg_temp.generate(coalesce(nullif(current_setting('cdc_test.model_events', true), ''), '300')::int);

-- The Debezium message of event `e` for source table `tbl`.
CREATE FUNCTION pg_temp.message(e ev, tbl text) RETURNS text LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'op', e.op,
        'before', CASE WHEN e.op IN ('u', 'd') THEN jsonb_build_object('id', coalesce(e.old_id, e.id), 'name', e.b_name, 'ver', e.b_ver) END,
        'after', CASE WHEN e.op IN ('c', 'u') THEN jsonb_build_object('id', e.id, 'name', e.name, 'ver', e.ver) END,
        'source', jsonb_build_object('db', 'mdl', 'table', tbl, 'ts_ms', e.ts))::text
$$;

-- Every event for every combination, event-major: the message of event i for combination c is at
-- offset (i - 1) * combinations + c of the topic's one partition.
SELECT cdc_test.create_topic('t29', 1);
SELECT cdc_test.produce('t29', $$
    SELECT 0, CASE WHEN e.op <> 't' THEN format('{"id": %s}', e.id) END, pg_temp.message(e, 't' || c.c)
    FROM ev e CROSS JOIN combo c ORDER BY e.i, c.c$$);

-- Three pipelines read the topic: MERGE and delete+insert, large and small batches.
CREATE TEMP TABLE pipe (name text, strategy text, batch int);
INSERT INTO pipe VALUES ('m29_merge', 'merge', 10000), ('m29_di', 'delete_insert', 700), ('m29_small', 'merge', 90);
SELECT cdc_sync.create_pipeline(p.name, cdc_test.brokers(), ARRAY['t29'], 'debezium',
                                jsonb_build_object('apply_strategy', p.strategy, 'batch_max_rows', p.batch))
FROM pipe p;
DO $$
DECLARE p record; c record;
BEGIN
    FOR p IN SELECT * FROM pipe LOOP
        FOR c IN SELECT * FROM combo ORDER BY c LOOP
            EXECUTE format('CREATE TABLE %I (id int %s, name text, ver int)', p.name || '_' || c.c,
                           CASE WHEN c.changelog THEN '' ELSE 'PRIMARY KEY' END);
            PERFORM cdc_sync.add_sync_table(p.name, 'mdl.t' || c.c, p.name || '_' || c.c, NULL,
                CASE WHEN c.changelog THEN '{"mode": "changelog"}'::jsonb
                     ELSE jsonb_strip_nulls(jsonb_build_object(
                          'delete_mode', c.dm, 'truncate_mode', c.tm, 'metadata_columns', '["_cdc_op"]'::jsonb,
                          'version_column', CASE c.vm WHEN 'ver' THEN 'ver' WHEN 'offset' THEN '_cdc_offset' END)) END);
        END LOOP;
    END LOOP;
END $$;

-- The model: applies the stream `passes` times, a change at a time, for combination `cmb`.
CREATE TEMP TABLE m_rows (id int PRIMARY KEY, name text, ver int, v bigint, deleted boolean, deleted_at bigint, op text);
CREATE TEMP TABLE m_tomb (id int PRIMARY KEY, v bigint);
CREATE TEMP TABLE m_arch (id int, name text, ver int);
CREATE TEMP TABLE m_log (op text, id int, name text, ver int);

CREATE FUNCTION pg_temp.m_upsert(cmb combo, k int, nm text, vr int, v bigint, opname text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    IF cmb.dm = 'only_archive' THEN RETURN; END IF;
    SELECT * INTO r FROM m_rows WHERE id = k;
    -- Not older than the row, nor than the key's last delete.
    IF cmb.vm <> 'none' AND EXISTS (SELECT 1 FROM m_tomb t WHERE t.id = k AND t.v > m_upsert.v) THEN RETURN; END IF;
    IF FOUND THEN
        IF cmb.vm <> 'none' AND NOT (r.v IS NULL OR v >= r.v) THEN RETURN; END IF;
        UPDATE m_rows SET name = nm, ver = vr, v = m_upsert.v, deleted = false, deleted_at = NULL, op = opname WHERE id = k;
    ELSE
        INSERT INTO m_rows VALUES (k, nm, vr, v, false, NULL, opname);
    END IF;
END $$;

CREATE FUNCTION pg_temp.m_delete(cmb combo, k int, nm text, vr int, v bigint, ts bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    IF cmb.dm IN ('archive', 'only_archive') THEN INSERT INTO m_arch VALUES (k, nm, vr); END IF;
    IF cmb.dm IN ('only_archive', 'ignore') THEN RETURN; END IF;
    SELECT * INTO r FROM m_rows WHERE id = k;
    IF FOUND AND cmb.vm <> 'none' AND NOT (r.v IS NULL OR v >= r.v) THEN RETURN; END IF;
    IF cmb.dm = 'soft' THEN
        DELETE FROM m_rows WHERE id = k;
        INSERT INTO m_rows VALUES (k, nm, vr, v, true, ts, 'delete');
        RETURN;
    END IF;
    DELETE FROM m_rows WHERE id = k;
    IF cmb.vm <> 'none' THEN
        INSERT INTO m_tomb VALUES (k, v) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v WHERE m_tomb.v <= EXCLUDED.v;
    END IF;
END $$;

CREATE FUNCTION pg_temp.model(cmb combo, passes int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    e record;
    n int := (SELECT count(*) FROM combo);
    off bigint;
BEGIN
    TRUNCATE m_rows, m_tomb, m_arch, m_log;
    FOR pass IN 1..passes LOOP
        FOR e IN SELECT * FROM ev ORDER BY i LOOP
            off := (e.i - 1) * n + cmb.c;
            IF cmb.changelog THEN
                INSERT INTO m_log VALUES (CASE e.op WHEN 'c' THEN 'insert' WHEN 'u' THEN 'update' WHEN 'd' THEN 'delete' ELSE 'truncate' END,
                                          CASE WHEN e.op <> 't' THEN e.id END,
                                          CASE WHEN e.op = 'd' THEN e.b_name ELSE e.name END,
                                          CASE WHEN e.op = 'd' THEN e.b_ver ELSE e.ver END);
            ELSIF e.op = 't' THEN
                IF cmb.tm = 'truncate' THEN
                    TRUNCATE m_rows, m_tomb;
                ELSIF cmb.tm = 'soft' THEN
                    UPDATE m_rows SET deleted = true, deleted_at = e.ts, op = 'truncate',
                                      v = CASE WHEN cmb.vm = 'offset' THEN off ELSE v END
                    WHERE NOT deleted AND (cmb.vm <> 'offset' OR v IS NULL OR off >= v);
                END IF;
            ELSIF e.op = 'd' THEN
                PERFORM pg_temp.m_delete(cmb, e.id, e.b_name, e.b_ver, CASE cmb.vm WHEN 'ver' THEN e.b_ver ELSE off END, e.ts);
            ELSE
                IF e.old_id IS NOT NULL THEN  -- a key change: the old key's row goes, as a delete
                    PERFORM pg_temp.m_delete(cmb, e.old_id, e.b_name, e.b_ver, CASE cmb.vm WHEN 'ver' THEN e.b_ver ELSE off END, e.ts);
                END IF;
                PERFORM pg_temp.m_upsert(cmb, e.id, e.name, e.ver, CASE cmb.vm WHEN 'ver' THEN e.ver ELSE off END,
                                         CASE e.op WHEN 'c' THEN 'insert' ELSE 'update' END);
            END IF;
        END LOOP;
    END LOOP;
END $$;

-- The combinations whose tables differ from the model (after `passes` passes), with the first
-- difference; empty when all equal.
CREATE FUNCTION pg_temp.differences(pipeline text, passes int) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    cmb combo;
    t text;
    diff text;
BEGIN
    FOR cmb IN SELECT * FROM combo ORDER BY c LOOP
        PERFORM pg_temp.model(cmb, passes);
        t := quote_ident(pipeline || '_' || cmb.c);
        IF cmb.changelog THEN
            EXECUTE format($q$SELECT string_agg(x, '; ') FROM (
                (SELECT 'missing ' || row(m.*)::text AS x FROM (SELECT * FROM m_log EXCEPT ALL SELECT _cdc_op, id, name, ver FROM %1$s) m)
                UNION ALL (SELECT 'extra ' || row(m.*)::text FROM (SELECT _cdc_op, id, name, ver FROM %1$s EXCEPT ALL SELECT * FROM m_log) m)
                LIMIT 3) d$q$, t) INTO diff;
        ELSE
            EXECUTE format($q$SELECT string_agg(x, '; ') FROM (
                (SELECT 'missing ' || row(m.*)::text AS x FROM (SELECT id, name, ver, deleted, deleted_at, op FROM m_rows
                    EXCEPT SELECT id, name, ver, %2$s, %3$s, _cdc_op FROM %1$s) m)
                UNION ALL (SELECT 'extra ' || row(m.*)::text FROM (SELECT id, name, ver, %2$s, %3$s, _cdc_op FROM %1$s
                    EXCEPT SELECT id, name, ver, deleted, deleted_at, op FROM m_rows) m)
                UNION ALL (SELECT 'archive missing ' || row(m.*)::text FROM (SELECT * FROM m_arch
                    EXCEPT ALL SELECT id, name, ver FROM %4$s) m)
                UNION ALL (SELECT 'archive extra ' || row(m.*)::text FROM (SELECT id, name, ver FROM %4$s
                    EXCEPT ALL SELECT * FROM m_arch) m)
                LIMIT 3) d$q$, t,
                CASE WHEN cmb.dm = 'soft' OR cmb.tm = 'soft' THEN '_cdc_deleted' ELSE 'false' END,
                CASE WHEN cmb.dm = 'soft' OR cmb.tm = 'soft'
                     THEN '(extract(epoch FROM _cdc_deleted_at) * 1000)::bigint' ELSE 'NULL::bigint' END,
                CASE WHEN cmb.dm IN ('archive', 'only_archive') THEN quote_ident(pipeline || '_' || cmb.c || '_deleted')
                     ELSE '(SELECT NULL::int id, NULL::text name, NULL::int ver WHERE false) a' END) INTO diff;
        END IF;
        IF diff IS NOT NULL THEN
            RETURN NEXT format('%s (delete_mode %s, truncate_mode %s, version %s%s): %s', t, cmb.dm, cmb.tm, cmb.vm,
                               CASE WHEN cmb.changelog THEN ', changelog' ELSE '' END, diff);
        END IF;
    END LOOP;
END $$;

SELECT cdc_sync.start_pipeline(name) FROM pipe;
SELECT ok(bool_and(cdc_sync.wait_for_catchup(name, '300 s')), 'every pipeline caught up') FROM pipe;

-- The model is no echo of one behaviour: the options end in different tables.
CREATE FUNCTION pg_temp.distinct_outcomes() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    cmb combo;
    outcomes text[] := '{}';
BEGIN
    FOR cmb IN SELECT * FROM combo WHERE NOT changelog LOOP
        PERFORM pg_temp.model(cmb, 1);
        outcomes := outcomes || (SELECT string_agg(row(id, name, ver, deleted)::text, ',' ORDER BY id) FROM m_rows);
    END LOOP;
    RETURN (SELECT count(DISTINCT o) FROM unnest(outcomes) o);
END $$;
SELECT cmp_ok(pg_temp.distinct_outcomes(), '>=', 5::bigint, 'the combinations end in different tables');

SELECT is(array_to_string(ARRAY(SELECT pg_temp.differences(name, 1) FROM pipe), E'\n'), '',
          'every table of every pipeline equals the model');
SELECT is((SELECT sum(rows_inserted + rows_updated)::bigint > 0 FROM cdc_sync.table_stats WHERE pipeline LIKE 'm29%'),
          true, 'rows were applied');

-- The consumer replays the whole topic from the earliest offset.
SELECT cdc_sync.stop_pipeline(name) FROM pipe;
SELECT cdc_sync.reset_offsets(name, 'earliest') FROM pipe;
SELECT cdc_sync.start_pipeline(name) FROM pipe;
SELECT ok(bool_and(cdc_sync.wait_for_catchup(name, '300 s')), 'every pipeline caught up after the replay') FROM pipe;
SELECT is(array_to_string(ARRAY(SELECT pg_temp.differences(name, 2) FROM pipe), E'\n'), '',
          'after a replay from the earliest offset every table equals the model applied twice');

SELECT cdc_sync.drop_pipeline(name) FROM pipe;
SELECT * FROM finish();
