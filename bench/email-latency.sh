#!/usr/bin/env bash
# Scenario email-latency (issue 6): mail arriving in a tracking mailbox -> interaction on the
# profile's timeline, p50/p95/max over N messages sent by SMTP at a steady rate into a real IMAP
# server (GreenMail) that the hub polls with the configured interval, against a baseline measured
# in the same run: a plain IMAP client polling a second mailbox at the same interval, fetching each
# message whole and moving it to a processed folder (what the hub's consumer does, without the hub).
#   bench/email-latency.sh [messages=300] [poll=1s] [rate-per-second=5]
# Database: BENCH_DB_URL (default jdbc:postgresql://127.0.0.1:5432/test), BENCH_DB_USER, BENCH_DB_PASSWORD.
# Uses the schema crmhub_bench_email (dropped and re-created).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl routes -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench-classpath.txt
CP="routes/target/classes:routes/target/test-classes:connectors/target/classes:mappings/target/classes:$(cat routes/target/bench-classpath.txt)"
java -Xmx1g ${BENCH_JAVA_OPTS:-} -cp "$CP" bench/email/EmailLatencyBench.java \
  "${BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/test}" "${BENCH_DB_USER:-postgres}" "${BENCH_DB_PASSWORD:-}" \
  "${1:-300}" "${2:-1s}" "${3:-5}"
