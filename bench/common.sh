# Shared by bench/run.sh and bench/cpu.sh (sourced, not run).

# sign_in BASE JAR: signs in as the seeded user (bench@hicp.example) with the cookie jar
# JAR; prints the Cookie header's value.
sign_in() {
  local base=$1 jar=$2 csrf
  rm -f "$jar"
  csrf=$(curl -s -c "$jar" -b "$jar" "$base/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
    --data-urlencode "email=bench@hicp.example" --data-urlencode "password=bench passphrase 2026" "$base/login"
  awk '{ sub(/^#HttpOnly_/, "") } !/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep="; " }' "$jar"
}

# bench_database BACKEND: sets DIR (the backend's folder under $OUT) and url (its benchmark
# database: a SQLite file there, or the database hicp_bench on HICP_TEST_POSTGRES_URL's server).
bench_database() {
  DIR="$OUT/$1"
  case $1 in
    sqlite) url="sqlite://$DIR/hicp.db?mode=rwc" ;;
    postgres) url="${HICP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"; url="${url%/*}/hicp_bench" ;;
    *) echo "unknown backend $1" >&2; exit 2 ;;
  esac
}

# seeded_org BACKEND: the organization bench/run.sh seeded in $DIR; stops when there is none.
seeded_org() {
  local org; org=$(sed -n 's/^org=//p' "$DIR/seed.out" 2>/dev/null)
  [ -n "$org" ] || { echo "seed first: bash bench/run.sh $1" >&2; exit 1; }
  echo "$org"
}
