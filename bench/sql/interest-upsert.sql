-- Interest upsert (clickstream fold): the fold's INSERT … ON CONFLICT DO UPDATE of a batch of 5,000 interest rows
-- (4,000 stored profile/category pairs, 1,000 new) against the same batch as a MERGE (PostgreSQL 15+), each into
-- its own copy of a 1M-row table shaped as click_profile_interest (primary key, category index, fillfactor 50).
-- Four rounds; prints each statement's time and the WAL it wrote. MERGE inserts without speculative insertion and
-- updates without locking the row first, which could save WAL records; whether it saves time is what this checks.
-- Run: psql -h 127.0.0.1 -U postgres -d test -f bench/sql/interest-upsert.sql (schema bench_interest_upsert,
-- dropped at the end).
\set QUIET on
DROP SCHEMA IF EXISTS bench_interest_upsert CASCADE;
CREATE SCHEMA bench_interest_upsert;
SET search_path = bench_interest_upsert;
CREATE TABLE by_upsert (profile_id uuid NOT NULL, category text NOT NULL, score float8 NOT NULL,
    scored_at timestamptz NOT NULL, PRIMARY KEY (profile_id, category)) WITH (fillfactor = 50);
CREATE INDEX by_upsert_category ON by_upsert (category);
CREATE TABLE by_merge (LIKE by_upsert INCLUDING ALL) WITH (fillfactor = 50);
INSERT INTO by_upsert SELECT p, 'topic-' || c, 1.0, now() - interval '1 day'
    FROM (SELECT gen_random_uuid() AS p FROM generate_series(1, 200000)) s, generate_series(1, 5) c;
INSERT INTO by_merge SELECT * FROM by_upsert;
VACUUM ANALYZE;
CHECKPOINT;
\set round 1
\ir interest-upsert-round.sql
\ir interest-upsert-round.sql
\ir interest-upsert-round.sql
\ir interest-upsert-round.sql
\set QUIET on
DROP SCHEMA bench_interest_upsert CASCADE;
