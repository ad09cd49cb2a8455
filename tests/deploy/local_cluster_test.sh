#!/usr/bin/env bash
# deploy/local-cluster.sh for real: `start` brings up the embedded PostgreSQL,
# an orchestrator and two workers; `baton health` says SERVING; the course's
# exec ETL flow runs to COMPLETED on them through the CLI; `stop` ends every
# one of those processes (PostgreSQL included) within its bounds, and
# `status` then says stopped.
#
# Usage: local_cluster_test.sh BUILD_DIR
set -euo pipefail

BUILD_DIR="$(realpath "$1")"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRIPT="$REPO/deploy/local-cluster.sh"
BATON="$BUILD_DIR/cli/baton"
# Under /tmp so that user postgres (the embedded server, as root) reaches it.
STATE="$(mktemp -d /tmp/baton-local-cluster.XXXXXX)"
chmod 755 "$STATE"
export BATON_BUILD_DIR="$BUILD_DIR"

fail() {
  echo "FAIL: $*" >&2
  for log in "$STATE"/*.log; do
    [[ -f "$log" ]] && { echo "--- $log" >&2; tail -20 "$log" >&2; }
  done
  exit 1
}

cleanup() {
  "$SCRIPT" stop -d "$STATE" >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
trap cleanup EXIT

# True while `pid` is a live process (a zombie awaiting its reaper is not).
alive() {
  local state
  state="$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

"$SCRIPT" start -n 2 -s 2 -l 127.0.0.1:0 -d "$STATE" >"$STATE/start.out" \
  || fail "start exited $?"
grep -q '^export BATON_ADDRESS=127.0.0.1:[0-9]*$' "$STATE/start.out" \
  || fail "start did not print the address: $(cat "$STATE/start.out")"
address="$(cat "$STATE/address")"

status_out="$("$SCRIPT" status -d "$STATE")" || fail "status exited $? while running"
[[ "$(grep -c ' running ' <<<"$status_out")" == 3 ]] \
  || fail "expected the orchestrator and 2 workers running: $status_out"

[[ "$("$BATON" --address "$address" health)" == SERVING ]] || fail "baton health is not SERVING"

"$BATON" --address "$address" flow apply -f "$REPO/examples/01-basic-flow/flow-exec.yaml" \
  >/dev/null || fail "flow apply failed"
run="$(timeout 120 "$BATON" --address "$address" -o json run start basic-etl-exec --wait \
  --wait-timeout 90s)" || fail "the run did not complete: $run"
python3 - "$run" <<'EOF' || fail "unexpected run: $run"
import json, sys
run = json.loads(sys.argv[1])
assert run["state"] == "FLOW_RUN_STATE_COMPLETED", run["state"]
assert json.loads(run["result_json"]) == {"count": 5}, run["result_json"]
workers = {t["attempts"][0]["worker_name"] for t in run["tasks"]}
assert workers <= {"local-worker-1", "local-worker-2"}, workers
EOF

# Every process the cluster started: orchestrator, workers, PostgreSQL.
pids=()
for file in "$STATE"/*.pid; do pids+=("$(awk '{print $1}' "$file")"); done
pg_pid="$(head -1 "$STATE/data/postgres/data/postmaster.pid")"
pids+=("$pg_pid")
[[ "${#pids[@]}" == 4 ]] || fail "expected 4 processes, found ${pids[*]}"
for pid in "${pids[@]}"; do alive "$pid" || fail "process $pid is not running before stop"; done

"$SCRIPT" stop -d "$STATE" >/dev/null 2>&1 || fail "stop exited $?"
# stop returns once they exited; allow init a moment to reap them.
for _ in $(seq 50); do
  left=()
  for pid in "${pids[@]}"; do alive "$pid" && left+=("$pid"); done
  (( ${#left[@]} == 0 )) && break
  sleep 0.1
done
(( ${#left[@]} == 0 )) || fail "still running after stop: ${left[*]}"
[[ ! -e "$STATE/data/postgres/data/postmaster.pid" ]] || fail "PostgreSQL left its postmaster.pid"

set +e
"$SCRIPT" status -d "$STATE" >/dev/null
code=$?
set -e
[[ "$code" == 3 ]] || fail "status after stop exited $code; expected 3 (stopped)"
if "$BATON" --address "$address" --timeout 2s health >/dev/null 2>&1; then
  fail "baton health still answers after stop"
fi
echo "local-cluster: start, a flow run, stop: all good"
