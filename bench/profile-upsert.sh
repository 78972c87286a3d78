#!/usr/bin/env bash
# Scenario profile-upsert (issue: backbone): 200K generated profiles, 20% of them carrying an identity
# of an earlier record, upserted through normalisation and identity resolution into PostgreSQL,
# against a plain JDBC batch insert of the same rows, in the same run.
#   bench/profile-upsert.sh [records] [overlap] [threads] [batch]   (defaults 200000 0.20 4 200; batch 1 = one transaction per record)
# Database: BENCH_DB_URL (default jdbc:postgresql://127.0.0.1:5432/test), BENCH_DB_USER, BENCH_DB_PASSWORD.
# Uses the schema crmhub_bench (dropped and re-created).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl bench -am package -DskipTests
java -Xmx1g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.crmhub.bench.ProfileUpsertBench \
  "${BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/test}" "${BENCH_DB_USER:-postgres}" "${BENCH_DB_PASSWORD:-}" \
  "${1:-200000}" "${2:-0.20}" "${3:-4}" "${4:-200}"
