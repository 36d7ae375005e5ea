#!/usr/bin/env bash
# Many tenants, one bound: the dashboards of N organizations in turn (the seeded
# administrator may open them all), with the computed-view and page caches bounded at MB
# megabytes each (`hicp serve --view-cache-mb`). Prints req/s and the server's RSS: before,
# the highest seen while loaded (sampled every 0.2 s) and after. With N above what the
# bound holds, views are dropped and computed again: the RSS must level off, not grow
# with N.
#   bash bench/tenants.sh sqlite|postgres [N (default 2000)] [MB (default 64)]
# Environment: BENCH_OUT (default /tmp/hicp-bench), BENCH_CONNECTIONS (10),
# BENCH_DURATION (30s), BENCH_BIN (default target/release/hicp).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${BENCH_OUT:-/tmp/hicp-bench}"; CONNS="${BENCH_CONNECTIONS:-10}"; DURATION="${BENCH_DURATION:-30s}"
backend=${1:?sqlite or postgres}; N=${2:-2000}; MB=${3:-64}
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
bench_database "$backend"
seeded_org "$backend" > /dev/null
list="$DIR/tenants.txt"
case $backend in
  sqlite) python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print('\n'.join(r[0] for r in c.execute('SELECT id FROM organizations ORDER BY id LIMIT ?', (int(sys.argv[2]),))))" "$DIR/hicp.db" "$N" > "$list" ;;
  postgres) psql -At "$url" -c "SELECT id FROM organizations ORDER BY id LIMIT $N" > "$list" ;;
esac
base=http://127.0.0.1:18094
RUST_LOG=warn "${BENCH_BIN:-$ROOT/target/release/hicp}" serve --listen 127.0.0.1:18094 --database "$url" --view-cache-mb "$MB" > /dev/null 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "$base/healthz"; do sleep 0.01; done
jar=$(mktemp); cookie=$(sign_in "$base" "$jar"); rm -f "$jar"
rss() { awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$pid/status"; }
before=$(rss)
( while kill -0 "$pid" 2>/dev/null; do rss; sleep 0.2; done ) > "$DIR/tenants-rss.txt" 2>/dev/null &
sampler=$!
out=$(wrk -t2 -c"$CONNS" -d"$DURATION" -s "$ROOT/bench/tenants.lua" "$base/" "$list" "$cookie")
kill "$sampler" 2>/dev/null || true
rate=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
failed=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
peak=$(sort -n "$DIR/tenants-rss.txt" | tail -1)
memory=$(grep -E '^(RssAnon|RssFile)' "/proc/$pid/status" | tr -s ' \t' ' ' | paste -sd ',' -)
echo "$backend: $(wc -l < "$list") organizations, caches of $MB MB: $rate req/s (${failed:-0} not 2xx); RSS $before MB before, $peak MB at most, $(rss) MB after ($memory)"
