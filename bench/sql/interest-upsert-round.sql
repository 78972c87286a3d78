-- One round of bench/sql/interest-upsert.sql: a new batch, then the upsert and the MERGE of it.
\set QUIET on
DROP TABLE IF EXISTS batch;
CREATE TEMP TABLE batch AS
    (SELECT profile_id, category, 1.0::float8 AS score, now() AS scored_at FROM by_upsert ORDER BY random() LIMIT 4000)
    UNION ALL (SELECT gen_random_uuid(), 'topic-new', 1.0::float8, now() FROM generate_series(1, 1000));
ANALYZE batch;
SELECT pg_current_wal_insert_lsn() AS l0 \gset
\timing on
\echo upsert (INSERT … ON CONFLICT DO UPDATE):
INSERT INTO by_upsert AS t SELECT * FROM batch ORDER BY 1, 2 ON CONFLICT (profile_id, category) DO UPDATE
    SET score = t.score * power(0.5::float8, date_part('epoch', EXCLUDED.scored_at - t.scored_at) / 1209600::float8)
        + EXCLUDED.score, scored_at = GREATEST(t.scored_at, EXCLUDED.scored_at);
\timing off
SELECT pg_current_wal_insert_lsn() AS l1 \gset
\timing on
\echo MERGE:
MERGE INTO by_merge t USING (SELECT * FROM batch ORDER BY 1, 2) s ON t.profile_id = s.profile_id AND t.category = s.category
    WHEN MATCHED THEN UPDATE SET score = t.score * power(0.5::float8, date_part('epoch', s.scored_at - t.scored_at)
        / 1209600::float8) + s.score, scored_at = GREATEST(t.scored_at, s.scored_at)
    WHEN NOT MATCHED THEN INSERT VALUES (s.profile_id, s.category, s.score, s.scored_at);
\timing off
SELECT pg_current_wal_insert_lsn() AS l2 \gset
\set QUIET off
SELECT pg_wal_lsn_diff(:'l1', :'l0') AS upsert_wal_bytes, pg_wal_lsn_diff(:'l2', :'l1') AS merge_wal_bytes;
