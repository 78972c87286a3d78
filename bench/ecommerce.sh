#!/usr/bin/env bash
# Scenario ecommerce (issue 5): N generated Shopify orders/create webhooks with valid HMACs against the
# running hub (embedded Kafka, PostgreSQL) — acknowledgement latency p50/p99 and end-to-end orders/s
# into the profiles — against the same load on a bare endpoint, in the same run. Closed loop (clients
# requests in flight: latency at saturation), then open loop at a fixed rate (half the hub's
# closed-loop rate, or BENCH_OPEN_RATE per second; 0 = none) for BENCH_OPEN_SECONDS (30), bare then hub.
#   bench/ecommerce.sh [webhooks=100000] [clients=16] [customers=webhooks/2] [maxWaitSeconds=3600]
# Database: BENCH_DB_URL (default jdbc:postgresql://127.0.0.1:5432/test), BENCH_DB_USER, BENCH_DB_PASSWORD;
# schema crmhub_bench_ecommerce (dropped and re-created). Hub port: BENCH_HUB_PORT (default 18085).
# More hub settings (e.g. --hub.ecommerce.consumers=2): BENCH_HUB_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"; CLIENTS="${2:-16}"; CUSTOMERS="${3:-$((N / 2))}"; MAXWAIT="${4:-3600}"
DB_URL="${BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/test}"; DB_USER="${BENCH_DB_USER:-postgres}"; DB_PASSWORD="${BENCH_DB_PASSWORD:-}"
SCHEMA=crmhub_bench_ecommerce; PORT="${BENCH_HUB_PORT:-18085}"
SHOP=bench-shop.myshopify.com; SECRET="bench-secret-$RANDOM$RANDOM"
if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
  echo "port $PORT is in use (a hub left from an earlier run?): the bench would measure that one; set BENCH_HUB_PORT"; exit 1
fi
./mvnw -B -q -pl routes,bench -am package -DskipTests
CP="bench/target/classes:$(cat bench/target/classpath.txt)"
java -cp "$CP" io.crmhub.bench.EcommerceWebhookBench prepare "$DB_URL" "$DB_USER" "$DB_PASSWORD" "$SCHEMA"
LOG=$(mktemp /tmp/crmhub-bench-ecommerce.XXXXXX.log)
# the embedded broker keeps its log under java.io.tmpdir: a private one, so no /tmp clean-up can pull it away
HUBTMP="$PWD/bench/target/hub-tmp"; rm -rf "$HUBTMP"; mkdir -p "$HUBTMP"
java -Xmx1g -Djava.io.tmpdir="$HUBTMP" -jar routes/target/crm-hub.jar --server.port="$PORT" \
  --spring.datasource.url="$DB_URL?currentSchema=$SCHEMA&reWriteBatchedInserts=true" \
  --spring.datasource.username="$DB_USER" --spring.datasource.password="$DB_PASSWORD" \
  --spring.flyway.schemas="$SCHEMA" --spring.datasource.hikari.maximum-pool-size="${BENCH_DB_POOL:-20}" \
  --hub.ecommerce.shopify.shops[0].domain="$SHOP" --hub.ecommerce.shopify.shops[0].secret="$SECRET" \
  --logging.level.root=WARN ${BENCH_HUB_ARGS:-} >"$LOG" 2>&1 &
HUB=$!
stop_hub() {
  kill "$HUB" 2>/dev/null || return 0
  for i in $(seq 1 40); do kill -0 "$HUB" 2>/dev/null || return 0; sleep 1; done
  kill -9 "$HUB" 2>/dev/null || true
}
trap stop_hub EXIT
for i in $(seq 1 180); do
  curl -sf "http://127.0.0.1:$PORT/actuator/health" >/dev/null 2>&1 && break
  kill -0 $HUB 2>/dev/null || { echo "hub did not start, see $LOG"; tail -40 "$LOG"; exit 1; }
  sleep 1
done
java -Xmx1g -cp "$CP" io.crmhub.bench.EcommerceWebhookBench run "http://127.0.0.1:$PORT" "$DB_URL" "$DB_USER" "$DB_PASSWORD" \
  "$SCHEMA" "$SHOP" "$SECRET" "$N" "$CLIENTS" "$CUSTOMERS" "$MAXWAIT" "${BENCH_OPEN_SECONDS:-30}" "${BENCH_OPEN_RATE:--1}"
echo "hub log: $LOG"
