-- User-facing views. Each filters on pg_has_role(owner, 'MEMBER'), evaluated as the caller,
-- because a view reads its tables with its owner's rights (and RLS of the owner); security_barrier
-- keeps a caller's leaky functions from seeing rows before that filter.

CREATE VIEW cdc_sync.status WITH (security_barrier) AS
SELECT p.name AS pipeline,
       p.state,
       coalesce(w.worker_pids, '{}') AS worker_pids,
       p.last_error,
       w.kafka_problem,
       CASE WHEN p.state = 'running' THEN w.worker_problem END AS worker_problem,
       c.messages_consumed,
       c.messages_skipped,
       c.messages_dead_lettered,
       coalesce(t.rows_inserted, 0) AS rows_inserted,
       coalesce(t.rows_updated, 0) AS rows_updated,
       coalesce(t.rows_deleted, 0) AS rows_deleted,
       coalesce(t.truncates, 0) AS truncates,
       w.lag_messages,
       c.batches,
       c.last_batch_at,
       p.state_changed_at,
       ARRAY(SELECT s.source FROM cdc_sync.sync_tables s
             WHERE s.pipeline = p.name AND s.parked_at IS NOT NULL ORDER BY s.source) AS parked_tables
FROM cdc_sync.pipelines p
LEFT JOIN cdc_sync.pipeline_counters c ON c.pipeline = p.name
LEFT JOIN (SELECT s.pipeline,
                  sum(k.rows_inserted)::bigint AS rows_inserted,
                  sum(k.rows_updated)::bigint AS rows_updated,
                  sum(k.rows_deleted)::bigint AS rows_deleted,
                  sum(k.truncates)::bigint AS truncates
           FROM cdc_sync.sync_tables s
           JOIN cdc_sync.sync_table_counters k ON k.sync_table = s.id
           GROUP BY s.pipeline) t ON t.pipeline = p.name
LEFT JOIN cdc_sync._worker_status() w ON w.pipeline_id = p.id
WHERE pg_catalog.pg_has_role(p.owner, 'MEMBER');

CREATE VIEW cdc_sync.table_stats WITH (security_barrier) AS
SELECT s.pipeline,
       s.source,
       coalesce(s.target::text, s.target_name) AS target,
       k.rows_inserted,
       k.rows_updated,
       k.rows_deleted,
       k.truncates,
       k.values_unmatched,
       k.unmatched_fields,
       k.last_applied_at,
       s.parked_at,
       s.parked_reason,
       (SELECT count(*) FROM cdc_sync.parked m WHERE m.sync_table = s.id) AS parked_messages,
       (SELECT t.source FROM cdc_sync.sync_tables t WHERE t.id = s.template_id) AS template
FROM cdc_sync.sync_tables s
JOIN cdc_sync.pipelines p ON p.name = s.pipeline
JOIN cdc_sync.sync_table_counters k ON k.sync_table = s.id
WHERE pg_catalog.pg_has_role(p.owner, 'MEMBER');

CREATE VIEW cdc_sync.loads WITH (security_barrier) AS
SELECT l.pipeline,
       l.source,
       coalesce(s.target::text, s.target_name) AS target,
       l.state,
       (SELECT count(*) FROM cdc_sync.load_chunks c WHERE c.load = l.id AND c.done_at IS NOT NULL) AS chunks_done,
       CASE WHEN l.planned THEN (SELECT count(*) FROM cdc_sync.load_chunks c WHERE c.load = l.id) END AS chunks_total,
       l.rows_loaded AS rows,
       round(l.rows_loaded / greatest(extract(epoch FROM coalesce(l.finished_at, now()) - l.started_at), 0.001)) AS rows_per_s,
       CASE WHEN l.state = 'running' AND l.planned THEN
            (SELECT (coalesce(l.finished_at, now()) - l.started_at) / nullif(count(*) FILTER (WHERE c.done_at IS NOT NULL), 0)
                    * count(*) FILTER (WHERE c.done_at IS NULL)
             FROM cdc_sync.load_chunks c WHERE c.load = l.id) END AS eta,
       l.error,
       l.started_at,
       l.finished_at
FROM cdc_sync.full_loads l
JOIN cdc_sync.pipelines p ON p.name = l.pipeline
JOIN cdc_sync.sync_tables s ON s.id = l.sync_table
WHERE pg_catalog.pg_has_role(p.owner, 'MEMBER');

GRANT SELECT ON cdc_sync.status, cdc_sync.table_stats, cdc_sync.loads TO PUBLIC;
