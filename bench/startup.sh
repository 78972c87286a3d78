#!/usr/bin/env bash
# Scenario startup (issue: backbone): start to ready of the embedded default, i.e. from the README's run
# command (./crm-hub: the extracted jar with its class-data-sharing archive) until GET /actuator/health
# answers UP (CRM store on an H2 file, in-process KRaft broker, every route started). Each run starts
# from a fresh working directory (empty ./data) with config/ copied in. For comparison the same is
# measured with the plain fat jar (java -jar routes/target/crm-hub.jar), alternating run by run.
#   bench/startup.sh [runs=3] [port=18080]
# Prints each run and the medians in milliseconds. Goal (issue 2): ≤ 15 000 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}; port=${2:-18080}
[ -f routes/target/crm-hub/crm-hub.jsa ] || ./mvnw -B -q -pl routes -am package -DskipTests
home=$(pwd)
launcher=( "$home/crm-hub" )
fatjar=( java -jar "$home/routes/target/crm-hub.jar" )

start_once() { # label, command...
  local label=$1; shift
  local dir; dir=$(mktemp -d); cp -r config "$dir/"
  local start; start=$(date +%s%N)
  (cd "$dir" && exec "$@" --server.port="$port" >"$dir/hub.log" 2>&1) & local pid=$!
  local ready=""
  for _ in $(seq 1 2400); do
    if curl -sf "http://127.0.0.1:$port/actuator/health" 2>/dev/null | grep -q '"status":"UP"'; then
      ready=$(( ($(date +%s%N) - start) / 1000000 )); break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  if [ -z "$ready" ]; then echo "$label: not ready (log: $dir/hub.log)" >&2; exit 1; fi
  rm -rf "$dir"
  echo "$ready"
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

hub=(); fat=()
for i in $(seq 1 "$runs"); do
  t=$(start_once "./crm-hub run $i" "${launcher[@]}"); hub+=("$t")
  echo "run $i: ./crm-hub (extracted + CDS) ready in ${t} ms  (load $(cut -d' ' -f1 /proc/loadavg))"
  t=$(start_once "fat jar run $i" "${fatjar[@]}"); fat+=("$t")
  echo "run $i: java -jar crm-hub.jar       ready in ${t} ms  (load $(cut -d' ' -f1 /proc/loadavg))"
done
echo "startup median of $runs: ./crm-hub $(median "${hub[@]}") ms (goal 15000 ms); plain fat jar $(median "${fat[@]}") ms; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
