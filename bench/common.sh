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
