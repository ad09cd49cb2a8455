#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, then run the demo:
# an orchestrator on its embedded PostgreSQL, a worker, and the course's basic
# ETL flow submitted through the CLI, printing the finished run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DBATON_BUILD_TESTS=OFF

bin=build
data=${BATON_DEMO_DIR:-$(mktemp -d /tmp/baton-demo.XXXXXX)}
chmod 755 "$data"   # as root, the embedded PostgreSQL runs as user postgres
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  done
}
trap cleanup EXIT

echo "== starting baton-orchestrator (embedded PostgreSQL in $data)"
"$bin/orchestrator/baton-orchestrator" --data-dir "$data" --listen 127.0.0.1:0 \
  --ready-file "$data/address" >"$data/orchestrator.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do [ -s "$data/address" ] && break; sleep 0.2; done
if [ ! -s "$data/address" ]; then
  echo "the orchestrator did not start; its log:"; cat "$data/orchestrator.log"; exit 1
fi
export BATON_ADDRESS=$(cat "$data/address")
echo "   listening on $BATON_ADDRESS"

echo "== starting baton-example-worker (logs in $data/worker.log)"
"$bin/examples/baton-example-worker" --slots 4 >"$data/worker.log" 2>&1 &
pids=("$!" "${pids[@]}")   # stopped before the orchestrator

echo "== baton flow apply -f examples/01-basic-flow/flow.yaml"
"$bin/cli/baton" flow apply -f examples/01-basic-flow/flow.yaml
echo "== baton run start basic-etl --wait"
"$bin/cli/baton" run start basic-etl --wait --wait-timeout 60s
run_id=$("$bin/cli/baton" run list --limit 1 -o csv | sed -n 2p | cut -d, -f1)
echo "== baton run logs $run_id"
"$bin/cli/baton" run logs "$run_id"
echo "== baton run list"
"$bin/cli/baton" run list
echo "== baton worker list"
"$bin/cli/baton" worker list
