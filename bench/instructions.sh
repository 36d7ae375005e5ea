#!/usr/bin/env bash
# Instructions per request of the server, counted by valgrind's callgrind: the same count
# for the same build, database and requests whatever else the machine is doing, so two
# builds compare on a noisy machine where req/s and CPU time do not.
#   bash bench/instructions.sh sqlite|postgres [PATH ...]   (default: /healthz /orgs/ORG)
# The path `save` saves answers with bench/save.lua and the state bench/run.sh wrote.
# Counting starts after sign-in and one warm-up run per path (caches filled, statements
# prepared). Environment: BENCH_OUT (default /tmp/hicp-bench), BENCH_DURATION (5s per path;
# callgrind runs the server about 50 times slower), BENCH_BIN (default target/release/hicp). Leaves callgrind.out.* in
# $BENCH_OUT/BACKEND/instructions for callgrind_annotate.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${BENCH_OUT:-/tmp/hicp-bench}"; DURATION="${BENCH_DURATION:-5s}"
backend=${1:?sqlite or postgres}; shift
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
bench_database "$backend"
org=$(seeded_org "$backend")
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }
paths=("$@"); [ ${#paths[@]} -gt 0 ] || paths=(/healthz /orgs/ORG)
work="$DIR/instructions"; rm -rf "$work"; mkdir -p "$work"
base=http://127.0.0.1:18093
bin="${BENCH_BIN:-$ROOT/target/release/hicp}"
RUST_LOG=warn valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out.%p" \
  "$bin" serve --listen 127.0.0.1:18093 --database "$url" > "$work/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "$base/healthz"; do sleep 0.1; done
jar=$(mktemp)
cookie=$(sign_in "$base" "$jar")
rm -f "$jar"
for p in "${paths[@]}"; do
  u="$base${p//ORG/$org}"
  if [ "$p" = save ]; then
    run() { wrk -t1 -c1 -d"$1" -s "$ROOT/bench/save.lua" "$base/" "$DIR/bench-state.lua" 1; }
  else
    run() { wrk -t1 -c1 -d"$1" -H "Cookie: $cookie" "$u"; }
  fi
  run 2s > /dev/null
  callgrind_control -z "$pid" > /dev/null
  callgrind_control -i on "$pid" > /dev/null
  n=$(run "$DURATION" | awk '/requests in/ { print $1 }')
  callgrind_control -i off "$pid" > /dev/null
  callgrind_control -d "${p//\//_}" "$pid" > /dev/null
  sleep 1
  f=$(ls -t "$work"/callgrind.out.* | head -1)
  ir=$(sed -n 's/^totals: //p' "$f" | tail -1)
  printf '%-24s %6d requests  %10d instructions per request  (%s)\n' "$p" "$n" "$(( ir / n ))" "$(basename "$f")"
done
