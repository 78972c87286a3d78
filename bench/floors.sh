#!/usr/bin/env bash
# Floors (issues 3 and 4): the least any implementation of the lists import and of the clickstream's Kafka
# path must do, done as cheaply as PostgreSQL and Kafka allow, against each goal's own baseline in the same run:
#   lists: psql \copy of the benchmark's file into an UNLOGGED table (the baseline) against the file's people,
#          cleaned and de-duplicated beforehand (untimed), written durably as profile + list member + timeline
#          interaction by two psql sessions in parallel, plus half the time commons-csv takes to read the file;
#   clickstream: kafka-consumer-perf-test (the baseline) against two consumers that parse each event with
#          Jackson and remember its messageId in PostgreSQL (one INSERT ... ON CONFLICT DO NOTHING a batch),
#          committing offsets after the database.
# A floor that misses its goal shows the goal out of reach of any implementation on this machine.
#   bench/floors.sh [rows=1000000] [events=5000000] [users=200000]    (rows 0 or events 0 skips that part)
# Database: BENCH_DB_URL (default jdbc:postgresql://127.0.0.1:5432/test), BENCH_DB_USER, BENCH_DB_PASSWORD;
# needs psql on the PATH. Uses the schema crmhub_bench_floor (dropped and re-created, dropped after).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl bench -am package -DskipTests
java -Xmx1g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.crmhub.bench.FloorBench \
  "${BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/test}" "${BENCH_DB_USER:-postgres}" "${BENCH_DB_PASSWORD:-}" \
  "${1:-1000000}" "${2:-5000000}" "${3:-200000}"
