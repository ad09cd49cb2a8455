#!/usr/bin/env bash
# shellcheck disable=SC2317  # (whole file) functions called indirectly
# A Baton cluster on this machine without Docker: one orchestrator with its
# embedded PostgreSQL and N workers, as background processes whose PIDs and
# logs live in a state folder.
#
#   deploy/local-cluster.sh start  [-n WORKERS] [-s SLOTS] [-q QUEUE]... [-l LISTEN]
#   deploy/local-cluster.sh stop
#   deploy/local-cluster.sh status
#
#   -n  worker processes (default 2)       -s  slots per worker (default 4)
#   -q  queue the workers serve (repeatable; default "default")
#   -l  orchestrator listen address (default 127.0.0.1:7233; port 0: any)
#   -d  state folder (default $BATON_CLUSTER_DIR, else <repo>/.baton/cluster)
#
# Binaries: $BATON_BIN_DIR (all in one folder), else the build folder
# $BATON_BUILD_DIR, <repo>/build, <repo>/build-bench, else PATH. Extra flags:
# ORCHESTRATOR_ARGS, WORKER_ARGS (environment). Workers run in the repository
# root, where the examples' relative paths (exec handlers) resolve.
# The database stays in the state folder between stop and start.
# Exit codes: 0 done (status: all running); 1 failure (status: partly
# running); 2 usage; 3 (status) not running.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
readonly START_TIMEOUT_S=90     # initdb on first start, then PostgreSQL
readonly REGISTER_TIMEOUT_S=30
readonly WORKER_STOP_TIMEOUT_S=50  # --drain-timeout 30 s + cancel grace 10 s + margin
readonly ORCHESTRATOR_STOP_TIMEOUT_S=60

workers=2
slots=4
queues=()
listen="127.0.0.1:7233"
state="${BATON_CLUSTER_DIR:-$REPO/.baton/cluster}"

usage() { sed -n '3,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
log() { echo "local-cluster: $*" >&2; }

find_bin() {
  local name="$1" sub="$2" dir
  local build="${BATON_BUILD_DIR:-}"
  for dir in "${BATON_BIN_DIR:-}" "${build:+$build/$sub}" "$REPO/build/$sub" \
             "$REPO/build-bench/$sub"; do
    if [[ -n "$dir" && -x "$dir/$name" ]]; then echo "$dir/$name"; return; fi
  done
  command -v "$name" || { log "$name not found (set BATON_BIN_DIR, or build first)"; exit 1; }
}

# The kernel's start time of `pid` (field 22 of /proc/PID/stat), which tells a
# process we started from a later one that reused its PID.
# Fails for a zombie (killed, not yet reaped by its parent).
start_time() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  read -r -a f <<<"$stat"
  [[ "${f[0]}" != Z && "${f[0]}" != X ]] || return 1
  echo "${f[19]}"
}

# True while `pid` runs (not a zombie).
running() { start_time "$1" >/dev/null; }

# Records the process `pid` in `file` as "PID START_TIME".
record() { echo "$2 $(start_time "$2")" >"$1"; }

# Prints the PID recorded in `file` when that very process still runs.
alive_pid() {
  local file="$1" pid started
  [[ -f "$file" ]] || return 1
  read -r pid started <"$file" || return 1
  [[ -n "$pid" && "$(start_time "$pid" || true)" == "$started" ]] || return 1
  echo "$pid"
}

worker_files() { compgen -G "$state/worker-*.pid" | sort -V || true; }

# SIGTERM to the processes of the given PID files, then up to `timeout`
# seconds for them to exit, then SIGKILL. Returns 1 when one was killed.
stop_files() {
  local timeout="$1" file pid waited=0 killed=0
  shift
  local pids=()
  for file in "$@"; do
    if pid="$(alive_pid "$file")"; then kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); fi
  done
  while (( waited < timeout * 10 )); do
    local left=0
    for pid in "${pids[@]}"; do running "$pid" && left=1; done
    (( left )) || break
    sleep 0.1
    waited=$((waited + 1))
  done
  for pid in "${pids[@]}"; do
    if running "$pid"; then
      log "process $pid did not stop within ${timeout}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      killed=1
    fi
  done
  rm -f "$@"
  return "$killed"
}

pg_data() { echo "$state/data/postgres/data"; }

# After a killed or crashed orchestrator: stop the PostgreSQL it had
# started, if that still runs (a clean stop removes postmaster.pid).
stop_orphan_postgres() {
  [[ -f "$(pg_data)/postmaster.pid" ]] || return 0
  local bin
  bin="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  log "stopping the embedded PostgreSQL left by the orchestrator"
  local as=()
  [[ "$(id -u)" == 0 ]] && as=(runuser -u postgres --)
  "${as[@]}" "$bin/pg_ctl" -D "$(pg_data)" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

do_stop() {
  local files
  mapfile -t files < <(worker_files)
  if (( ${#files[@]} )); then
    log "stopping ${#files[@]} worker(s) (they drain running attempts first)"
    stop_files "$WORKER_STOP_TIMEOUT_S" "${files[@]}" || true
  fi
  if [[ -f "$state/orchestrator.pid" ]]; then
    log "stopping the orchestrator and its PostgreSQL"
    stop_files "$ORCHESTRATOR_STOP_TIMEOUT_S" "$state/orchestrator.pid" || true
  fi
  stop_orphan_postgres
  rm -f "$state/address"
  log "stopped"
}

# Waits up to `timeout` seconds until `test_cmd` succeeds while `pid` lives.
wait_until() {
  local timeout="$1" pid="$2" waited=0
  shift 2
  until "$@"; do
    running "$pid" || return 1
    (( waited < timeout * 10 )) || return 1
    sleep 0.1
    waited=$((waited + 1))
  done
}

start_orchestrator() {
  local bin
  bin="$(find_bin baton-orchestrator orchestrator)"
  rm -f "$state/address"
  # shellcheck disable=SC2086  # ORCHESTRATOR_ARGS is a list of flags
  setsid "$bin" --data-dir "$state/data" --listen "$listen" --ready-file "$state/address" \
    ${ORCHESTRATOR_ARGS:-} >>"$state/orchestrator.log" 2>&1 </dev/null &
  record "$state/orchestrator.pid" "$!"
  if ! wait_until "$START_TIMEOUT_S" "$!" test -s "$state/address"; then
    log "the orchestrator did not become ready within ${START_TIMEOUT_S}s; end of its log:"
    tail -20 "$state/orchestrator.log" >&2
    do_stop
    exit 1
  fi
}

start_workers() {
  local bin address i queue_args=()
  bin="$(find_bin baton-worker worker)"
  address="$(cat "$state/address")"
  for q in "${queues[@]:-default}"; do queue_args+=(--queue "$q"); done
  for i in $(seq 1 "$workers"); do
    # shellcheck disable=SC2086  # WORKER_ARGS is a list of flags
    (cd "$REPO" && exec setsid "$bin" --orchestrator "$address" --slots "$slots" \
      --name "local-worker-$i" "${queue_args[@]}" ${WORKER_ARGS:-} \
      >>"$state/worker-$i.log" 2>&1 </dev/null) &
    record "$state/worker-$i.pid" "$!"
  done
  for i in $(seq 1 "$workers"); do
    local pid=""
    pid="$(alive_pid "$state/worker-$i.pid")" || true
    if [[ -z "$pid" ]] || ! wait_until "$REGISTER_TIMEOUT_S" "$pid" grep -q "registered as worker" "$state/worker-$i.log"; then
      log "worker $i did not register within ${REGISTER_TIMEOUT_S}s; end of its log:"
      tail -20 "$state/worker-$i.log" >&2
      do_stop
      exit 1
    fi
  done
}

do_start() {
  if alive_pid "$state/orchestrator.pid" >/dev/null; then
    log "already running (state in $state); stop it first"
    do_status || true
    return 0
  fi
  mkdir -p "$state"
  # As root, the embedded PostgreSQL runs as user postgres, who must reach it.
  chmod 755 "$state"
  if [[ "$(id -u)" == 0 ]] && ! runuser -u postgres -- test -x "$state"; then
    log "user postgres cannot reach $state; use -d with a folder under /tmp"
    exit 1
  fi
  local stale
  mapfile -t stale < <(worker_files)  # workers left from an earlier start
  if (( ${#stale[@]} )); then stop_files "$WORKER_STOP_TIMEOUT_S" "${stale[@]}" || true; fi
  log "starting the orchestrator on $listen (state and logs in $state)"
  start_orchestrator
  log "starting $workers worker(s) x $slots slot(s)"
  start_workers
  log "running; orchestrator at $(cat "$state/address")"
  echo "export BATON_ADDRESS=$(cat "$state/address")"
}

do_status() {
  local up=0 down=0 pid file files
  if pid="$(alive_pid "$state/orchestrator.pid")"; then
    echo "orchestrator  running  pid $pid  $(cat "$state/address" 2>/dev/null || echo '(starting)')"
    up=$((up + 1))
  else
    echo "orchestrator  stopped"
    down=$((down + 1))
  fi
  mapfile -t files < <(worker_files)
  for file in "${files[@]}"; do
    local name
    name="$(basename "$file" .pid)"
    if pid="$(alive_pid "$file")"; then
      echo "$name      running  pid $pid"
      up=$((up + 1))
    else
      echo "$name      stopped (log: $state/$name.log)"
      down=$((down + 1))
    fi
  done
  echo "state and logs: $state"
  (( down == 0 )) && return 0
  (( up == 0 )) && return 3
  return 1
}

[[ $# -ge 1 ]] || usage
command="$1"
shift
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) workers="$2"; shift 2 ;;
    -s) slots="$2"; shift 2 ;;
    -q) queues+=("$2"); shift 2 ;;
    -l) listen="$2"; shift 2 ;;
    -d) state="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) log "unknown argument \"$1\""; usage ;;
  esac
done
state="$(realpath -m "$state")"

case "$command" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  -h|--help|help) usage ;;
  *) log "unknown command \"$command\"; expected start, stop or status"; exit 2 ;;
esac
