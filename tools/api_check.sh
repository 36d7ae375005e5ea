#!/usr/bin/env bash
# The REST API against its own OpenAPI document, with schemathesis (PyPI): a real
# `hicp serve` on a fresh SQLite database, a token from `hicp admin create-token`, and an
# organization so that the `{org}` paths reach real data. Fails on any 5xx and on any
# response that does not conform to the document (status, content type, headers, schema).
# Usage: tools/api_check.sh [path/to/hicp]   (CI: after `cargo test`, with target/debug/hicp)
set -euo pipefail
cd "$(dirname "$0")/.."
hicp="${1:-target/debug/hicp}"

venv=target/schemathesis-venv
# A venv is tied to its path: one made by a clone that is gone (a shared target/) is made again.
"$venv/bin/pip" --version >/dev/null 2>&1 || { rm -rf "$venv"; python3 -m venv "$venv"; }
"$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==4.32.5"

data=$(mktemp -d)
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

HICP_PASSWORD="schemathesis passphrase 2026" \
  "$hicp" admin create-user --email st@hicp.example --name Schemathesis --admin --data-dir "$data" >/dev/null
token=$("$hicp" admin create-token --email st@hicp.example --name schemathesis --data-dir "$data" | tail -1)

"$hicp" serve --listen 127.0.0.1:0 --data-dir "$data" >"$data/serve.out" 2>"$data/serve.err" &
pid=$!
addr=""
for _ in $(seq 1 100); do
  addr=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$data/serve.out" | head -1 || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$data/serve.err"; echo "hicp serve did not start"; exit 1; }

export HICP_ORG
HICP_ORG=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name": "Schemathesis clinic", "profile": {"org_type": "physician-practice", "physicians": 6}}' \
  "$addr/api/v1/orgs" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
curl -sf -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/yaml' \
  --data-binary @examples/small-clinic.yaml "$addr/api/v1/orgs/$HICP_ORG/answers-file" >/dev/null
export HICP_EVIDENCE
HICP_EVIDENCE=$(curl -sf -H "Authorization: Bearer $token" -F criterion=1.S.A.c1 -F title=Roster \
  -F "file=@examples/small-clinic.yaml;filename=roster.txt" "$addr/api/v1/orgs/$HICP_ORG/evidence" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')

status=0
"$venv/bin/st" --config-file tools/schemathesis.toml run "$addr/api/v1/openapi.json" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples 30 --seed 405 --workers 2 --no-color 2>&1 | tee "$data/st.out" || status=$?
if grep -q "request failed" "$data/serve.err"; then
  echo "the server logged failed requests:"
  grep "request failed" "$data/serve.err" | head -20
  exit 1
fi
if [ "$status" -eq 0 ]; then
  # A plain closing line: schemathesis ends on a pytest-like banner without a count.
  cases=$(grep -oE '[0-9]+ generated, [0-9]+ passed' "$data/st.out" | grep -oE '[0-9]+ passed$' | grep -oE '[0-9]+' | tail -1)
  echo "api: ${cases:-0} passed, 0 failed"
fi
exit "$status"
