#!/usr/bin/env bash
# Scenario clickstream (issue 4): Kafka path and REST path of the clickstream flow, each against its
# baseline measured in the same run on the same machine.
#   bench/clickstream.sh [events=1000000] [users=200000] [consumerThreads=2] [restSeconds=20] [concurrency=32]
# Kafka path: the events (300-500 bytes) are produced to a KRaft broker the bench starts; Kafka's own
# kafka-consumer-perf-test (org.apache.kafka.tools.ConsumerPerformance) reads them; then the hub jar
# (started by the bench against that broker and PostgreSQL, schema crmhub_bench_click, dropped first)
# folds them into profile aggregates; its rate is taken from its committed offsets.
# REST path: POST /api/v1/events (single, then batches of 100) vs the bare endpoint of the same app
# (/api/v1/events/_bare: same parsing, 202 without Kafka), then single events at half the max rate.
# Database: BENCH_DB_URL (default jdbc:postgresql://127.0.0.1:5432/test), BENCH_DB_USER, BENCH_DB_PASSWORD.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl routes,bench -am package -DskipTests
java -Xmx1g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.crmhub.bench.ClickstreamBench \
  routes/target/crm-hub.jar "${1:-1000000}" "${2:-200000}" "${3:-2}" "${4:-20}" "${5:-32}" \
  "${BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/test}" "${BENCH_DB_USER:-postgres}" "${BENCH_DB_PASSWORD:-}"
