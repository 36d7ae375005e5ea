#!/usr/bin/env bash
# CPU per request: the server's, PostgreSQL's (every `postgres` process) and the machine's,
# from /proc around one bounded wrk run per path, on the database bench/run.sh seeded.
#   bash bench/cpu.sh sqlite|postgres [PATH ...]     (default: /healthz /orgs/ORG)
# The path `save` saves answers with bench/save.lua and the state bench/run.sh wrote.
# Environment: BENCH_OUT (default /tmp/hicp-bench), BENCH_CONNECTIONS (10), BENCH_DURATION (10s),
# BENCH_BIN (default target/release/hicp; for A/B).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${BENCH_OUT:-/tmp/hicp-bench}"; CONNS="${BENCH_CONNECTIONS:-10}"; DURATION="${BENCH_DURATION:-10s}"
backend=${1:?sqlite or postgres}; shift
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
bench_database "$backend"
org=$(seeded_org "$backend")
paths=("$@"); [ ${#paths[@]} -gt 0 ] || paths=(/healthz /orgs/ORG)
base=http://127.0.0.1:18092
"${BENCH_BIN:-$ROOT/target/release/hicp}" serve --listen 127.0.0.1:18092 --database "$url" > /dev/null 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "$base/healthz"; do sleep 0.01; done
jar=$(mktemp)
cookie=$(sign_in "$base" "$jar")
rm -f "$jar"
# Clock ticks (user + system) of the given processes; the machine's busy ticks.
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$t"; }
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
hz=$(getconf CLK_TCK)
threads=$(( CONNS < 2 ? CONNS : 2 ))
for p in "${paths[@]}"; do
  u="$base${p//ORG/$org}"
  if [ "$p" = save ]; then
    run() { wrk -t"$threads" -c"$CONNS" -d"$DURATION" -s "$ROOT/bench/save.lua" "$base/" "$DIR/bench-state.lua" "$threads"; }
    bytes=0
  else
    run() { wrk -t"$threads" -c"$CONNS" -d"$DURATION" -H "Cookie: $cookie" "$u"; }
    bytes=$(curl -s -H "Cookie: $cookie" "$u" | wc -c)
  fi
  # shellcheck disable=SC2046
  s0=$(ticks "$pid"); g0=$(ticks $(pgrep postgres || true)); b0=$(busy)
  n=$(run | awk '/requests in/ { print $1 }')
  # shellcheck disable=SC2046
  s1=$(ticks "$pid"); g1=$(ticks $(pgrep postgres || true)); b1=$(busy)
  us() { echo $(( ($1) * 1000000 / hz / n )); }
  printf '%-24s %8d requests  server %5d µs  postgres %5d µs  machine %5d µs per request  %d bytes\n' \
    "$p" "$n" "$(us $((s1 - s0)))" "$(us $((g1 - g0)))" "$(us $((b1 - b0)))" "$bytes"
done
