#!/usr/bin/env bash
# Scenario membership (issue 7): N generated ASP.NET Membership/Profile users in a PostgreSQL source
# schema, synced into the CRM (initial full sync) against a baseline of a raw JDBC read of the same
# rows plus a plain batch insert, both in the same run; then the incremental lag (row update → CRM
# profile) with a 1 s poll.
#   bench/membership.sh [members] [writers] [page] [lagSamples] [upsertChunk] [joinedOnInitialSync]   (defaults 1000000 3 5000 40 1000 false)
# Database: BENCH_DB_URL (default jdbc:postgresql://127.0.0.1:5432/test), BENCH_DB_USER, BENCH_DB_PASSWORD.
# Uses the schemas mbr_bench_src (source) and crmhub_bench_membership (CRM), both dropped and re-created.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl bench -am package -DskipTests
java -Xmx2g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.crmhub.bench.MembershipBench \
  "${BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/test}" "${BENCH_DB_USER:-postgres}" "${BENCH_DB_PASSWORD:-}" \
  "${1:-1000000}" "${2:-3}" "${3:-5000}" "${4:-40}" "${5:-1000}" "${6:-false}"
