-- De-duplication keys (clickstream, migration V24): the fold's insert of a batch of remembered messageIds
-- (INSERT … SELECT unnest … ON CONFLICT DO NOTHING) into a table that already holds 1M, keyed by the id's text
-- (the database's collation, or "C") or by a 16-byte key (uuid). 13 batches of 5,000 random UUID-shaped ids each,
-- twice per variant. Run: psql -h 127.0.0.1 -U postgres -d test -f bench/sql/message-keys.sql
-- (schema bench_message_keys, dropped at the end).
\set QUIET on
DROP SCHEMA IF EXISTS bench_message_keys CASCADE;
CREATE SCHEMA bench_message_keys;
SET search_path = bench_message_keys;
CREATE TABLE ids AS SELECT g AS n, gen_random_uuid()::text AS id FROM generate_series(1, 1130000) g;
CREATE TABLE batches AS SELECT (n - 1000001) / 5000 AS b, array_agg(id ORDER BY id) AS a,
    array_agg(CAST(encode(substring(sha256(convert_to(id, 'UTF8')) FROM 1 FOR 16), 'hex') AS uuid)
              ORDER BY CAST(encode(substring(sha256(convert_to(id, 'UTF8')) FROM 1 FOR 16), 'hex') AS uuid)) AS k
    FROM ids WHERE n > 1000000 GROUP BY 1;
CREATE TABLE by_text (message_id varchar PRIMARY KEY, seen_at timestamptz NOT NULL);
CREATE INDEX by_text_at ON by_text (seen_at);
CREATE TABLE by_text_c (message_id varchar COLLATE "C" PRIMARY KEY, seen_at timestamptz NOT NULL);
CREATE INDEX by_text_c_at ON by_text_c (seen_at);
CREATE TABLE by_key (message_key uuid PRIMARY KEY, seen_at timestamptz NOT NULL);
CREATE INDEX by_key_at ON by_key (seen_at);
INSERT INTO by_text SELECT id, now() FROM ids WHERE n <= 1000000;
INSERT INTO by_text_c SELECT id, now() FROM ids WHERE n <= 1000000;
INSERT INTO by_key SELECT CAST(encode(substring(sha256(convert_to(id, 'UTF8')) FROM 1 FOR 16), 'hex') AS uuid), now()
    FROM ids WHERE n <= 1000000;
VACUUM ANALYZE;
CHECKPOINT;
\timing on
\echo text key, database collation: batches 0-12
DO $$ DECLARE r record; BEGIN FOR r IN SELECT a FROM batches WHERE b < 13 ORDER BY b LOOP
  INSERT INTO by_text SELECT m, clock_timestamp() FROM unnest(r.a) u(m) ON CONFLICT DO NOTHING; END LOOP; END $$;
\echo text key, collation "C": batches 0-12
DO $$ DECLARE r record; BEGIN FOR r IN SELECT a FROM batches WHERE b < 13 ORDER BY b LOOP
  INSERT INTO by_text_c SELECT m, clock_timestamp() FROM unnest(r.a) u(m) ON CONFLICT DO NOTHING; END LOOP; END $$;
\echo 16-byte key: batches 0-12
DO $$ DECLARE r record; BEGIN FOR r IN SELECT k FROM batches WHERE b < 13 ORDER BY b LOOP
  INSERT INTO by_key SELECT m, clock_timestamp() FROM unnest(r.k) u(m) ON CONFLICT DO NOTHING; END LOOP; END $$;
\echo text key, database collation: batches 13-25
DO $$ DECLARE r record; BEGIN FOR r IN SELECT a FROM batches WHERE b >= 13 ORDER BY b LOOP
  INSERT INTO by_text SELECT m, clock_timestamp() FROM unnest(r.a) u(m) ON CONFLICT DO NOTHING; END LOOP; END $$;
\echo text key, collation "C": batches 13-25
DO $$ DECLARE r record; BEGIN FOR r IN SELECT a FROM batches WHERE b >= 13 ORDER BY b LOOP
  INSERT INTO by_text_c SELECT m, clock_timestamp() FROM unnest(r.a) u(m) ON CONFLICT DO NOTHING; END LOOP; END $$;
\echo 16-byte key: batches 13-25
DO $$ DECLARE r record; BEGIN FOR r IN SELECT k FROM batches WHERE b >= 13 ORDER BY b LOOP
  INSERT INTO by_key SELECT m, clock_timestamp() FROM unnest(r.k) u(m) ON CONFLICT DO NOTHING; END LOOP; END $$;
\timing off
\echo copy of 1M remembered ids under their keys (migration V24)
\timing on
CREATE TABLE copied (message_key uuid PRIMARY KEY, seen_at timestamptz NOT NULL);
INSERT INTO copied SELECT CAST(encode(substring(sha256(convert_to(message_id, 'UTF8')) FROM 1 FOR 16), 'hex') AS uuid),
    seen_at FROM by_text ON CONFLICT (message_key) DO NOTHING;
\timing off
DROP SCHEMA bench_message_keys CASCADE;
