#!/usr/bin/env bash
# Cold start of `hicp serve`: milliseconds from exec to the first 200 from /healthz, N times.
#   bash bench/coldstart.sh DATABASE_URL [N]   (BENCH_BIN: another server binary, for A/B)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
URL=$1; N=${2:-10}; PORT=18089
for _ in $(seq 1 "$N"); do
  t0=$(date +%s%N)
  RUST_LOG=warn "${BENCH_BIN:-$ROOT/target/release/hicp}" serve --listen "127.0.0.1:$PORT" --database "$URL" >/dev/null 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; do sleep 0.001; done
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
  kill -TERM "$pid"; wait "$pid" || true
done | sort -n | awk '{ a[NR] = $1 } END { printf "cold start over %d runs: min %d ms, median %d ms, max %d ms\n", NR, a[1], a[int((NR + 1) / 2)], a[NR] }'
