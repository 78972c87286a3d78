#!/usr/bin/env bash
# Scenario lists (issue 3): a generated marketing list of 1M rows x 10 columns (5% duplicates, 2% invalid
# rows, 3% people already in the CRM who opted out) imported end to end by the hub into PostgreSQL with a
# 512 MB heap, against psql \copy of the same file into an UNLOGGED table, in the same run.
#   bench/lists.sh [rows] [chunk] [workers]        (defaults 1000000 1000 3)
# Database: BENCH_DB_URL (default jdbc:postgresql://127.0.0.1:5432/test), BENCH_DB_USER, BENCH_DB_PASSWORD;
# needs psql on the PATH. Uses the schema crmhub_bench_lists (dropped and re-created).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl bench -am package -DskipTests
java -Xmx512m -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.crmhub.bench.ListImportBench \
  "${BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/test}" "${BENCH_DB_USER:-postgres}" "${BENCH_DB_PASSWORD:-}" \
  "${1:-1000000}" "${2:-1000}" bench/target/lists "${3:-3}"
