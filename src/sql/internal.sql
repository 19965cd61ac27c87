-- C helpers used by the API and the views.

CREATE FUNCTION cdc_sync._is_known_format(format text) RETURNS boolean
AS 'MODULE_PATHNAME', 'cdc_sync_is_known_format' LANGUAGE C STRICT IMMUTABLE;

CREATE FUNCTION cdc_sync._check_kafka_property(name text, value text) RETURNS text
AS 'MODULE_PATHNAME', 'cdc_sync_check_kafka_property' LANGUAGE C STRICT IMMUTABLE;

-- Wakes the launcher and the workers when the calling transaction commits.
CREATE FUNCTION cdc_sync._notify() RETURNS void
AS 'MODULE_PATHNAME', 'cdc_sync_notify' LANGUAGE C;

CREATE FUNCTION cdc_sync._worker_status(
    OUT pipeline_id integer, OUT worker_pids integer[], OUT lag_messages bigint, OUT kafka_problem text,
    OUT worker_problem text)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'cdc_sync_worker_status' LANGUAGE C;

-- Warns when a started pipeline cannot run in this database or server configuration.
CREATE FUNCTION cdc_sync._warn_if_not_running_here(pipeline text) RETURNS void
AS 'MODULE_PATHNAME', 'cdc_sync_warn_if_not_running_here' LANGUAGE C STRICT;

REVOKE ALL ON FUNCTION cdc_sync._notify() FROM PUBLIC;

-- The equality operator a key column of this type is joined with (the worker's own lookup), or NULL.
CREATE FUNCTION cdc_sync._key_equality(type regtype) RETURNS text
AS 'MODULE_PATHNAME', 'cdc_sync_key_equality' LANGUAGE C STRICT STABLE;
