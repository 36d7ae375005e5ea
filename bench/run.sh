#!/usr/bin/env bash
# Benchmarks of `hicp serve` (see BENCHMARKS.md). Loopback only, bounded runs.
#
#   bash bench/run.sh sqlite            # or: postgres, or: all
#   BENCH_DURATION=20s BENCH_CONNECTIONS=10 bash bench/run.sh sqlite   # the issue's oha settings
#
# Environment:
#   BENCH_DURATION     length of each wrk run (default 10s)
#   BENCH_CONNECTIONS  concurrent connections (default 32)
#   BENCH_THREADS      wrk threads (default 2)
#   BENCH_ORGS         large organizations to seed (default 1000)
#   BENCH_SMALL        small clinics to seed beside them (default 9000: 10,000 tenants in all)
#   BENCH_OUT          work folder (default /tmp/hicp-bench): databases, logs, results
#   BENCH_RESEED=1     seed again even if the work folder has a seeded database
#   BENCH_NO_BUILD=1   do not run cargo build (use the binaries already built)
#   BENCH_BIN          the server binary to measure (default target/release/hicp; for A/B)
#   BENCH_PATHS        extra "name=/path" entries to measure (ORG is replaced by the org id)
#   HICP_TEST_POSTGRES_URL  PostgreSQL admin URL (default postgres://postgres@127.0.0.1:5432/test)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${BENCH_OUT:-/tmp/hicp-bench}"
DURATION="${BENCH_DURATION:-10s}"
CONNS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
ORGS="${BENCH_ORGS:-1000}"
SMALL="${BENCH_SMALL:-9000}"
PG_ADMIN="${HICP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
BIN="${BENCH_BIN:-$ROOT/target/release/hicp}"
SEED="$ROOT/target/release/examples/seed"
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
TAG="c${CONNS}-${DURATION}"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk; then
  echo "installing wrk (Debian package)" >&2
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
need curl || { echo "curl is needed" >&2; exit 1; }

if [ "${BENCH_NO_BUILD:-}" != 1 ]; then
  (cd "$ROOT" && cargo build --release -p hicp --bin hicp --example seed)
fi

ms_now() { date +%s%N; }

rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# seed BACKEND URL DIR: seeds once per work folder; prints the org id.
seed() {
  local backend=$1 url=$2 dir=$3
  if [ "${BENCH_RESEED:-}" = 1 ] || ! grep -q '^org=' "$dir/seed.out" 2>/dev/null; then
    if [ "$backend" = postgres ]; then
      psql "$PG_ADMIN" -q -c "DROP DATABASE IF EXISTS hicp_bench WITH (FORCE)" -c "CREATE DATABASE hicp_bench" >&2
    else
      rm -f "$dir/hicp.db" "$dir/hicp.db-wal" "$dir/hicp.db-shm"
    fi
    local jobs=2; [ "$backend" = postgres ] && jobs=6
    echo "seeding $ORGS organizations and $SMALL small clinics on $backend ..." >&2
    "$SEED" "$url" --orgs "$ORGS" --small "$SMALL" --jobs "$jobs" > "$dir/seed.out"
    cat "$dir/seed.out" >&2
  fi
  sed -n 's/^org=//p' "$dir/seed.out"
}

# wrk_run NAME URL [wrk args...]: one bounded run; appends "NAME rps p50 p99 non2xx" to $RESULTS.
wrk_run() {
  local name=$1 url=$2; shift 2
  local out="$DIR/wrk-$TAG-$name.txt"
  # Options before the URL; a script's own arguments (WRK_ARGS) after it.
  # shellcheck disable=SC2086
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$url" ${WRK_ARGS:-} > "$out" 2>&1
  local rps p50 p99 bad
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  p50=$(awk '$1 == "50%" { print $2 }' "$out")
  p99=$(awk '$1 == "99%" { print $2 }' "$out")
  bad=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' "$out")
  echo "$name $rps $p50 $p99 ${bad:-0}" >> "$RESULTS"
  printf '  %-14s %10s req/s  p50 %-9s p99 %-9s non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${bad:-0}"
}

bench_backend() {
  local backend=$1 url port
  bench_database "$backend"
  mkdir -p "$DIR"
  port=18080; [ "$backend" = postgres ] && port=18081
  local org; org=$(seed "$backend" "$url" "$DIR")
  local base="http://127.0.0.1:$port"
  RESULTS="$DIR/results-$TAG.txt"; : > "$RESULTS"

  if curl -s -o /dev/null "$base/healthz"; then
    echo "port $port is in use: stop the server there first" >&2; exit 1
  fi
  # Cold start: from exec to the first successful /healthz. The last run's request log
  # (about 1 GB at `info`) goes first: truncating it in the timed redirect added 0.3-0.5 s.
  rm -f "$DIR/server.log"
  local t0 t1
  t0=$(ms_now)
  "$BIN" serve --listen "127.0.0.1:$port" --database "$url" > "$DIR/server.out" 2> "$DIR/server.log" &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true' EXIT
  until curl -sf -o /dev/null "$base/healthz"; do
    kill -0 "$pid" 2>/dev/null || { echo "server died: $(tail -5 "$DIR/server.log")" >&2; exit 1; }
    sleep 0.002
  done
  t1=$(ms_now)
  local cold_ms=$(( (t1 - t0) / 1000000 ))

  # Sign in as the seeded user; the CSRF token is in every page's meta tag.
  local cookie csrf
  cookie=$(sign_in "$base" "$DIR/cookies.txt")
  local page; page=$(curl -s -H "Cookie: $cookie" "$base/orgs/$org/practices/1")
  csrf=$(sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p' <<<"$page" | head -1)
  [ -n "$csrf" ] || { echo "sign-in failed (no CSRF token on the questionnaire page)" >&2; exit 1; }

  # Pages to measure; each must answer 200 before it is measured.
  local paths=("healthz=/healthz" "dashboard=/orgs/ORG" "questionnaire=/orgs/ORG/practices/1" "plan=/orgs/ORG/plan" "export=/orgs/ORG/export.yaml" "report=/orgs/ORG/download/report.html")
  # shellcheck disable=SC2206
  [ -n "${BENCH_PATHS:-}" ] && paths+=(${BENCH_PATHS})
  path_of() { local x=${1#*=}; echo "${x//ORG/$org}"; }
  for p in "${paths[@]}"; do
    local code; code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base$(path_of "$p")")
    [ "$code" = 200 ] || { echo "${p%%=*}: HTTP $code" >&2; exit 1; }
  done

  # State for the save script: every criterion of the open assessment and its version.
  {
    echo "state = { org = \"$org\", cookie = \"$cookie\", csrf = \"$csrf\", criteria = {"
    for n in $(seq 1 10); do
      curl -s -H "Cookie: $cookie" "$base/orgs/$org/practices/$n" \
        | grep -o "/orgs/$org/answers/[^\"]*\"" | sed 's#.*/answers/\(.*\)"#"\1",#' | sort -u
    done
    echo "}, versions = {"
    for n in $(seq 1 10); do
      curl -s -H "Cookie: $cookie" "$base/orgs/$org/practices/$n" \
        | grep -o 'id="version-[^"]*" value="[0-9]*"' \
        | sed 's/id="version-\([^"]*\)" value="\([0-9]*\)"/["\1"] = \2,/'
    done
    echo "} }"
  } > "$DIR/bench-state.lua"
  rm -f "$DIR/bench-state.lua.versions" # versions a save run learned on an older state

  sleep 1
  local idle_kb; idle_kb=$(rss_kb "$pid" VmRSS)
  echo "$backend: org $org, cold start ${cold_ms} ms, idle RSS $((idle_kb / 1024)) MB; wrk -t$THREADS -c$CONNS -d$DURATION"

  for p in "${paths[@]}"; do
    wrk_run "${p%%=*}" "$base$(path_of "$p")" -H "Cookie: $cookie"
  done
  # The REST API, with a read-only token (made once per run; tokens are stored hashed).
  local token
  token=$("$BIN" admin create-token --email bench@hicp.example --name "bench $(date +%s)" --read-only --database "$url" | tail -1)
  for p in "api-scores=/api/v1/orgs/ORG/scores" "api-plan=/api/v1/orgs/ORG/plan"; do
    local code; code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base$(path_of "$p")")
    [ "$code" = 200 ] || { echo "${p%%=*}: HTTP $code" >&2; exit 1; }
    wrk_run "${p%%=*}" "$base$(path_of "$p")" -H "Authorization: Bearer $token"
  done
  WRK_ARGS="$DIR/bench-state.lua $THREADS" wrk_run save "$base/" -s "$ROOT/bench/save.lua"
  grep '^SAVES' "$DIR/wrk-$TAG-save.txt" | sed 's/^/  /' || true
  wrk_run healthz-end "$base/healthz"

  local hwm_kb rss_end; hwm_kb=$(rss_kb "$pid" VmHWM); rss_end=$(rss_kb "$pid" VmRSS)
  echo "  RSS: idle $((idle_kb / 1024)) MB, peak under load $((hwm_kb / 1024)) MB, after $((rss_end / 1024)) MB"
  {
    echo "cold_ms $cold_ms"; echo "idle_rss_kb $idle_kb"; echo "peak_rss_kb $hwm_kb"; echo "end_rss_kb $rss_end"
  } >> "$RESULTS"

  # Graceful stop: SIGTERM, then wait.
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT

  # Each page as a share of /healthz in the same run: of the /healthz run first, and of the
  # mean of the first and the last (the machine's speed can drift within a run).
  awk '$1 == "healthz" { h = $2 } $1 == "healthz-end" { e = $2 } NF == 5 { n[++k] = $1; r[k] = $2 }
    END { m = (h + e) / 2; for (i = 1; i <= k; i++) if (h > 0 && m > 0)
      printf "  %-14s %6.1f %% of /healthz, %6.1f %% of its mean with the last\n", n[i], 100 * r[i] / h, 100 * r[i] / m }' "$RESULTS"
}

echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
case "${1:-all}" in
  all) bench_backend sqlite; bench_backend postgres ;;
  *) bench_backend "$1" ;;
esac
