\echo Use "CREATE EXTENSION cdc_sync" to load this file. \quit

-- Catalog tables: configuration, offsets, counters and dead letters.
-- Owned by the extension; users read them through row-level security (own pipelines only) and
-- change them only through the functions in api.sql.

CREATE TABLE cdc_sync.pipelines (
    name            text PRIMARY KEY
                    CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_-]{0,62}$'),
    id              integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    owner           regrole NOT NULL,
    brokers         text NOT NULL,
    topics          text[] NOT NULL,
    format          text NOT NULL,
    options         jsonb NOT NULL DEFAULT '{}',
    state           text NOT NULL DEFAULT 'stopped'
                    CHECK (state IN ('stopped', 'running', 'failed')),
    last_error      text,
    -- set by reset_offsets(): where partitions without a stored offset start next time
    start_override  text,
    -- the first start (or the start after reset_offsets) stored its start offsets: partitions
    -- that appear later are new and start at their beginning, whatever start_from says
    start_resolved  boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    state_changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cdc_sync.sync_tables (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pipeline    text NOT NULL REFERENCES cdc_sync.pipelines(name) ON DELETE CASCADE,
    source      text NOT NULL,
    target      regclass,        -- NULL until an auto_create target is created at its first change
    target_name text NOT NULL,   -- schema-qualified and quoted: the target, or the one to create
    primary_key text[] NOT NULL, -- '{}' with a missing target: the first message key's fields
    options     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Parked (on_table_error 'park'): the table's changes go to cdc_sync.parked since then, for
    -- this reason; retry_table() sets retry_requested and a worker replays them.
    parked_at   timestamptz,
    parked_reason text,
    retry_requested boolean NOT NULL DEFAULT false,
    -- A target template (add_sync_table's target with {db}, {schema}, {table} or {topic}): its
    -- schema and table parts, unquoted, placeholders in place; target_name is the template as given.
    -- Every source the template matches gets its own sync table (template_id set) at its first
    -- change, with the template's options and the expanded name as its target.
    target_template text[],
    template_id integer REFERENCES cdc_sync.sync_tables(id) ON DELETE CASCADE,
    UNIQUE (pipeline, source)
);

CREATE TABLE cdc_sync.offsets (
    pipeline    text NOT NULL REFERENCES cdc_sync.pipelines(name) ON DELETE CASCADE,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline, topic, partition)
);

-- Durable counters, advanced in the same transaction as the batch they count.
CREATE TABLE cdc_sync.pipeline_counters (
    pipeline            text PRIMARY KEY REFERENCES cdc_sync.pipelines(name) ON DELETE CASCADE,
    messages_consumed   bigint NOT NULL DEFAULT 0,
    messages_skipped    bigint NOT NULL DEFAULT 0,
    messages_dead_lettered bigint NOT NULL DEFAULT 0,
    batches             bigint NOT NULL DEFAULT 0,
    last_batch_at       timestamptz
);

CREATE TABLE cdc_sync.sync_table_counters (
    sync_table      integer PRIMARY KEY REFERENCES cdc_sync.sync_tables(id) ON DELETE CASCADE,
    rows_inserted   bigint NOT NULL DEFAULT 0,
    rows_updated    bigint NOT NULL DEFAULT 0,
    rows_deleted    bigint NOT NULL DEFAULT 0,
    truncates       bigint NOT NULL DEFAULT 0,   -- truncate events applied to the target
    -- Values of message fields that match no target column (not applied), and those fields'
    -- names (the first 100; each is also logged once as a WARNING).
    values_unmatched bigint NOT NULL DEFAULT 0,
    unmatched_fields text[] NOT NULL DEFAULT '{}',
    last_applied_at timestamptz
);

CREATE TABLE cdc_sync.dead_letters (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pipeline    text NOT NULL REFERENCES cdc_sync.pipelines(name) ON DELETE CASCADE,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    "offset"    bigint NOT NULL,
    key         text,
    value       text,
    error       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON cdc_sync.dead_letters (pipeline, created_at);

-- The messages of a parked sync table, raw and in the order they came, until retry_table() replays
-- them (and deletes them in the transaction that applies them).
CREATE TABLE cdc_sync.parked (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sync_table  integer NOT NULL REFERENCES cdc_sync.sync_tables(id) ON DELETE CASCADE,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    "offset"    bigint NOT NULL,
    key         bytea,
    value       bytea,
    parked_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON cdc_sync.parked (sync_table, id);

-- Every change a pipeline made to a target's definition (schema_changes 'evolve'), with the
-- message that brought it.
CREATE TABLE cdc_sync.schema_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    pipeline    text NOT NULL REFERENCES cdc_sync.pipelines(name) ON DELETE CASCADE,
    source      text NOT NULL,
    target      text NOT NULL,   -- as named when the change was made
    ddl         text NOT NULL,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    "offset"    bigint NOT NULL
);
CREATE INDEX ON cdc_sync.schema_history (pipeline, at);

-- pg_dump keeps the configuration and positions of pipelines.
SELECT pg_catalog.pg_extension_config_dump('cdc_sync.pipelines', '');
SELECT pg_catalog.pg_extension_config_dump('cdc_sync.sync_tables', '');
SELECT pg_catalog.pg_extension_config_dump('cdc_sync.offsets', '');

-- Row-level security: a role sees the pipelines it owns (or whose owner it is a member of).
ALTER TABLE cdc_sync.pipelines ENABLE ROW LEVEL SECURITY;
-- MySQL/MariaDB servers that full loads read (create_mysql_connection). options may hold a
-- password: the table is readable only by the connection's owner (row-level security).
CREATE TABLE cdc_sync.mysql_connections (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_-]{0,62}$'),
    owner       regrole NOT NULL,
    options     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Full loads (full_load): one per source table, read in key-range chunks by background workers.
CREATE TABLE cdc_sync.full_loads (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pipeline    text NOT NULL REFERENCES cdc_sync.pipelines(name) ON DELETE CASCADE,
    sync_table  integer NOT NULL REFERENCES cdc_sync.sync_tables(id) ON DELETE CASCADE,
    source      text NOT NULL,   -- "db.table" at the MySQL server
    connection  text NOT NULL REFERENCES cdc_sync.mysql_connections(name),
    options     jsonb NOT NULL DEFAULT '{}',
    state       text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    key_column  text,            -- the chunks' key; NULL: one chunk
    planned     boolean NOT NULL DEFAULT false,  -- every chunk is in load_chunks
    rows_loaded bigint NOT NULL DEFAULT 0,
    error       text,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

-- A load's chunks: key range (lo, hi] (NULL: open); done in the transaction that wrote its rows.
CREATE TABLE cdc_sync.load_chunks (
    load        integer NOT NULL REFERENCES cdc_sync.full_loads(id) ON DELETE CASCADE,
    chunk       integer NOT NULL,
    lo          text,
    hi          text,
    rows        bigint,
    done_at     timestamptz,
    PRIMARY KEY (load, chunk)
);

ALTER TABLE cdc_sync.mysql_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdc_sync.full_loads ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdc_sync.load_chunks ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_connections ON cdc_sync.mysql_connections
    USING (pg_catalog.pg_has_role(owner, 'MEMBER'));
CREATE POLICY own_pipelines ON cdc_sync.full_loads
    USING (pipeline IN (SELECT name FROM cdc_sync.pipelines));
CREATE POLICY own_pipelines ON cdc_sync.load_chunks
    USING (load IN (SELECT id FROM cdc_sync.full_loads));

ALTER TABLE cdc_sync.sync_tables ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdc_sync.offsets ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdc_sync.pipeline_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdc_sync.sync_table_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdc_sync.dead_letters ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdc_sync.schema_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdc_sync.parked ENABLE ROW LEVEL SECURITY;

CREATE POLICY own_pipelines ON cdc_sync.pipelines
    USING (pg_catalog.pg_has_role(owner, 'MEMBER'));
CREATE POLICY own_pipelines ON cdc_sync.sync_tables
    USING (pipeline IN (SELECT name FROM cdc_sync.pipelines));
CREATE POLICY own_pipelines ON cdc_sync.offsets
    USING (pipeline IN (SELECT name FROM cdc_sync.pipelines));
CREATE POLICY own_pipelines ON cdc_sync.pipeline_counters
    USING (pipeline IN (SELECT name FROM cdc_sync.pipelines));
CREATE POLICY own_pipelines ON cdc_sync.sync_table_counters
    USING (sync_table IN (SELECT id FROM cdc_sync.sync_tables));
CREATE POLICY own_pipelines ON cdc_sync.dead_letters
    USING (pipeline IN (SELECT name FROM cdc_sync.pipelines));
CREATE POLICY own_pipelines ON cdc_sync.schema_history
    USING (pipeline IN (SELECT name FROM cdc_sync.pipelines));
CREATE POLICY own_pipelines ON cdc_sync.parked
    USING (sync_table IN (SELECT id FROM cdc_sync.sync_tables));

GRANT SELECT ON cdc_sync.pipelines, cdc_sync.sync_tables, cdc_sync.offsets,
    cdc_sync.pipeline_counters, cdc_sync.sync_table_counters, cdc_sync.dead_letters,
    cdc_sync.schema_history, cdc_sync.parked, cdc_sync.mysql_connections, cdc_sync.full_loads,
    cdc_sync.load_chunks TO PUBLIC;
-- A parked message that cannot be applied (a bad one) is the owner's to remove before a retry.
GRANT DELETE ON cdc_sync.parked TO PUBLIC;
-- Dead letters are the owner's to clear once handled.
GRANT DELETE ON cdc_sync.dead_letters TO PUBLIC;

-- Staging tables live here, one per worker and sync table, owned by the pipeline's owner.
CREATE SCHEMA cdc_sync_stage;
GRANT USAGE ON SCHEMA cdc_sync_stage TO PUBLIC;
