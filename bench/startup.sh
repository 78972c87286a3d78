#!/usr/bin/env bash
# Scenario startup (issue: backbone): start to ready of the embedded default, i.e. from `java -jar`
# until GET /actuator/health answers UP (CRM store on an H2 file, in-process KRaft broker, every route
# started). Each run starts from a fresh working directory (empty ./data) with config/ copied in.
#   bench/startup.sh [runs=3] [port=18080]
# Prints each run and the median in milliseconds. Goal (issue 2): ≤ 15 000 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}; port=${2:-18080}
[ -f routes/target/crm-hub.jar ] || ./mvnw -B -q -pl routes -am package -DskipTests
jar=$(pwd)/routes/target/crm-hub.jar
times=()
for i in $(seq 1 "$runs"); do
  dir=$(mktemp -d); cp -r config "$dir/"
  start=$(date +%s%N)
  (cd "$dir" && exec java -jar "$jar" --server.port="$port" >"$dir/hub.log" 2>&1) & pid=$!
  ready=""
  for _ in $(seq 1 1200); do
    if curl -sf "http://127.0.0.1:$port/actuator/health" 2>/dev/null | grep -q '"status":"UP"'; then
      ready=$(( ($(date +%s%N) - start) / 1000000 )); break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  if [ -z "$ready" ]; then echo "run $i: not ready (log: $dir/hub.log)"; exit 1; fi
  echo "run $i: ready in ${ready} ms"
  times+=("$ready"); rm -rf "$dir"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "startup median of $runs: ${median} ms (goal 15000 ms); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
