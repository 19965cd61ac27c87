-- Sync table options that decide what a change does to its target: delete_mode, truncate_mode,
-- version_column, metadata_columns and mode (see src/pg/apply_semantics.cpp for how they apply).

-- Validates those options of a sync table's options object (the rest: _validate_sync_table_options).
CREATE FUNCTION cdc_sync._validate_apply_options(p_options jsonb) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    metadata constant text[] := ARRAY['_cdc_op', '_cdc_source_ts', '_cdc_topic', '_cdc_partition', '_cdc_offset',
                                      '_cdc_synced_at'];
    append boolean := coalesce((p_options->>'append')::boolean, false);
BEGIN
    IF p_options ? 'delete_mode' AND (jsonb_typeof(p_options->'delete_mode') <> 'string'
       OR p_options->>'delete_mode' NOT IN ('delete', 'soft', 'archive', 'only_archive', 'ignore')) THEN
        RAISE EXCEPTION 'sync table option "delete_mode" must be ''delete'', ''soft'', ''archive'', ''only_archive'' or ''ignore'''
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'soft keeps a deleted row with _cdc_deleted = true; archive also writes it to <target>_deleted; '
                         'only_archive writes only that; ignore keeps the row as it was';
    END IF;
    IF p_options ? 'truncate_mode' AND (jsonb_typeof(p_options->'truncate_mode') <> 'string'
       OR p_options->>'truncate_mode' NOT IN ('truncate', 'soft', 'ignore')) THEN
        RAISE EXCEPTION 'sync table option "truncate_mode" must be ''truncate'', ''soft'' or ''ignore'''
            USING ERRCODE = 'invalid_parameter_value', HINT = 'soft marks every row deleted (_cdc_deleted = true)';
    END IF;
    IF p_options ? 'version_column' AND (jsonb_typeof(p_options->'version_column') <> 'string'
       OR p_options->>'version_column' = '' OR octet_length(p_options->>'version_column') > 63
       OR p_options->>'version_column' ~ '[\n\t]'
       OR (p_options->>'version_column' ~ '^_cdc_' AND p_options->>'version_column' NOT IN ('_cdc_source_ts', '_cdc_offset'))) THEN
        RAISE EXCEPTION 'sync table option "version_column" must be a column name'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'a column of the row that grows with every change (e.g. "update_time"), or "_cdc_source_ts" (the '
                         'source''s commit time) or "_cdc_offset" (the Kafka offset, for a table whose changes share a partition)';
    END IF;
    IF p_options ? 'metadata_columns' AND (jsonb_typeof(p_options->'metadata_columns') <> 'array' OR EXISTS (
           SELECT 1 FROM jsonb_array_elements(p_options->'metadata_columns') v
           WHERE jsonb_typeof(v) <> 'string' OR NOT (v #>> '{}') = ANY (metadata))) THEN
        RAISE EXCEPTION 'sync table option "metadata_columns" must be an array of %', array_to_string(metadata, ', ')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_options ? 'mode' AND (jsonb_typeof(p_options->'mode') <> 'string'
       OR p_options->>'mode' NOT IN ('upsert', 'changelog')) THEN
        RAISE EXCEPTION 'sync table option "mode" must be ''upsert'' or ''changelog'''
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'changelog writes every change as a new row with _cdc_op and _cdc_before';
    END IF;
    IF p_options->>'mode' = 'changelog' AND NOT append THEN
        RAISE EXCEPTION 'sync table option "mode": "changelog" appends every change; it cannot go with "append": false'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF append AND (coalesce(p_options->>'delete_mode', 'delete') <> 'delete' OR p_options->>'truncate_mode' = 'soft'
                   OR p_options ? 'version_column') THEN
        RAISE EXCEPTION 'sync table options "delete_mode", "truncate_mode": "soft" and "version_column" apply to upsert '
                        'tables, not to % ones', CASE WHEN p_options->>'mode' = 'changelog' THEN 'changelog' ELSE 'append' END
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'an appending table keeps every change as a row of its own: nothing to delete, mark or compare';
    END IF;
END $$;
