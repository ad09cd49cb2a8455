#!/usr/bin/env bash
# shellcheck disable=SC2317  # (whole file) functions run from the EXIT trap
# Runs baton-bench against real processes on this machine: an orchestrator
# with its embedded (durable) PostgreSQL in a fresh temporary folder, W
# workers with S slots each, then baton-bench; stops everything on exit.
#
#   bench/run.sh [-w WORKERS] [-s SLOTS] [-n TASKS] [-r RUNS] [-b BUILD_DIR]
#                [-k] [-- BATON_BENCH_ARGS...]
#
#   -w  worker processes (default 1)        -s  slots per worker (default 8)
#   -n  tasks in total (default 1000)        -r  runs (default: tasks / 1000)
#   -b  build folder with the binaries (default build-bench)
#   -k  keep the temporary folder (logs, database) after the run
#   Arguments after -- go to baton-bench (e.g. --json, --timeout 2m).
#   WORKER_ARGS / ORCHESTRATOR_ARGS (environment): extra flags for those
#   processes, e.g. WORKER_ARGS="--log-level warn".
#
# baton-bench's report goes to stdout; this script's own lines (database
# commits and WAL flushes per task, CPU seconds per process) go to stderr.
# Exit code: baton-bench's (0 all runs completed), or 1 when setting up failed.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
readonly START_TIMEOUT_S=90   # orchestrator + initdb + PostgreSQL start
readonly WORKERS_TIMEOUT_S=30
readonly STOP_TIMEOUT_S=60    # the orchestrator stops its PostgreSQL too
readonly BENCH_TIMEOUT_S=600  # hard bound on baton-bench itself

workers=1
slots=8
tasks=1000
runs=0
build="$REPO/build-bench"
keep=0

usage() { sed -n '3,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    -w) workers="$2"; shift 2 ;;
    -s) slots="$2"; shift 2 ;;
    -n) tasks="$2"; shift 2 ;;
    -r) runs="$2"; shift 2 ;;
    -b) build="$2"; shift 2 ;;
    -k) keep=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    *) echo "run.sh: unknown argument \"$1\"" >&2; usage ;;
  esac
done

orchestrator_bin="$build/orchestrator/baton-orchestrator"
worker_bin="$build/worker/baton-worker"
bench_bin="$build/bench/baton-bench"
for bin in "$orchestrator_bin" "$worker_bin" "$bench_bin"; do
  if [[ ! -x "$bin" ]]; then
    echo "run.sh: $bin not found; build first:" >&2
    echo "  cmake -S . -B build-bench -G Ninja -DBATON_BUILD_TESTS=OFF && ninja -C build-bench -j2" >&2
    exit 1
  fi
done

# As root, the embedded PostgreSQL runs as user postgres, who must reach it.
work="$(mktemp -d /tmp/baton-bench.XXXXXX)"
chmod 755 "$work"
orchestrator_pid=""
worker_pids=()

log() { echo "run.sh: $*" >&2; }

# Sends SIGTERM to `pid` and waits up to `timeout` seconds; SIGKILL after.
stop_pid() {
  local pid="$1" timeout="$2" waited=0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && (( waited < timeout * 10 )); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid did not stop within ${timeout}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    return 1
  fi
  wait "$pid" 2>/dev/null || true
}

pg_data() { echo "$work/data/postgres/data"; }
pg_bin() { printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${worker_pids[@]}"; do stop_pid "$pid" 40 || true; done
  if [[ -n "$orchestrator_pid" ]] && ! stop_pid "$orchestrator_pid" "$STOP_TIMEOUT_S"; then
    # The orchestrator was killed before stopping its PostgreSQL: stop that one.
    if [[ -f "$(pg_data)/postmaster.pid" ]]; then
      runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$(pg_data)" -m immediate -w -t 30 stop \
        >/dev/null 2>&1 || true
    fi
  fi
  if (( keep )); then
    log "kept $work (logs: *.log)"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to `timeout` seconds for `file` to exist while `pid` lives.
wait_for_file() {
  local file="$1" pid="$2" timeout="$3" waited=0
  while [[ ! -s "$file" ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if (( waited >= timeout * 10 )); then return 1; fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

psql_baton() {
  psql "host=$work/data/postgres/run port=5432 user=postgres dbname=baton" -Atqc "$1"
}

# CPU time (utime + stime, clock ticks) of the given PIDs.
cpu_ticks() {
  local total=0 pid stat
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    stat="${stat##*) }"  # fields after the command name
    read -r -a f <<<"$stat"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# The postmaster and its children (backends, WAL writer, checkpointer, ...).
postgres_pids() {
  local postmaster pid stat
  postmaster="$(head -1 "$(pg_data)/postmaster.pid")"
  echo "$postmaster"
  for pid in /proc/[0-9]*; do
    stat="$(cat "$pid/stat" 2>/dev/null)" || continue
    stat="${stat##*) }"
    read -r -a f <<<"$stat"
    [[ "${f[1]}" == "$postmaster" ]] && echo "${pid#/proc/}"
  done
}

# Database counters, then CPU ticks of the orchestrator, the workers and
# PostgreSQL. Write transactions (xids handed out) and WAL bytes are exact at
# once; commits (read-only ones too) and WAL flushes come from statistics
# that idle backends publish within PGSTAT_IDLE_INTERVAL (10 s).
snapshot() {
  psql_baton "SELECT pg_current_xact_id(),
                     pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,
                     (SELECT xact_commit FROM pg_stat_database WHERE datname = 'baton'),
                     (SELECT wal_sync FROM pg_stat_wal)" | tr '|' ' '
  cpu_ticks "$orchestrator_pid"
  cpu_ticks "${worker_pids[@]}"
  # shellcheck disable=SC2046  # one PID per word
  cpu_ticks $(postgres_pids)
  busy_ticks
}

# CPU time the whole machine spent busy (all processes, all cores), in ticks:
# what is not ours was other load sharing the cores during the benchmark.
busy_ticks() {
  local user nice system irq softirq steal
  read -r _ user nice system _ _ irq softirq steal _ </proc/stat
  echo $((user + nice + system + irq + softirq + steal))
}

log "folder $work; starting the orchestrator (embedded PostgreSQL, durable defaults)"
# shellcheck disable=SC2086  # ORCHESTRATOR_ARGS is a list of flags
"$orchestrator_bin" --data-dir "$work/data" --listen 127.0.0.1:0 \
  --ready-file "$work/address" ${ORCHESTRATOR_ARGS:-} >"$work/orchestrator.log" 2>&1 &
orchestrator_pid=$!
if ! wait_for_file "$work/address" "$orchestrator_pid" "$START_TIMEOUT_S"; then
  log "the orchestrator did not become ready within ${START_TIMEOUT_S}s; its log:"
  tail -20 "$work/orchestrator.log" >&2
  exit 1
fi
address="$(cat "$work/address")"
log "orchestrator $address (pid $orchestrator_pid); PostgreSQL" \
  "synchronous_commit=$(psql_baton 'SHOW synchronous_commit')" \
  "fsync=$(psql_baton 'SHOW fsync')"

for i in $(seq 1 "$workers"); do
  # shellcheck disable=SC2086  # WORKER_ARGS is a list of flags
  "$worker_bin" --orchestrator "$address" --slots "$slots" --name "bench-worker-$i" \
    ${WORKER_ARGS:-} >"$work/worker-$i.log" 2>&1 &
  worker_pids+=("$!")
done
log "$workers worker(s) x $slots slot(s): pids ${worker_pids[*]}"

log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
read -r -a before <<<"$(snapshot | tr '\n' ' ')"
bench_rc=0
timeout --kill-after=10 "$BENCH_TIMEOUT_S" "$bench_bin" --address "$address" \
  --tasks "$tasks" --runs "$runs" --workers "$workers" \
  --workers-timeout "${WORKERS_TIMEOUT_S}s" "$@" || bench_rc=$?
read -r -a cpu_after <<<"$(snapshot | tr '\n' ' ')"
log "waiting 11 s for PostgreSQL's statistics"
sleep 11
read -r -a after <<<"$(snapshot | tr '\n' ' ')"

tick="$(getconf CLK_TCK)"
log "$(awk -v x=$((cpu_after[0] - before[0] - 1)) -v b=$((cpu_after[1] - before[1])) \
  -v c=$((after[2] - before[2])) -v s=$((after[3] - before[3])) -v n="$tasks" \
  'BEGIN { printf "database: %d write transactions (%.2f per task), %d commits in all (%.2f per task), %d WAL flushes (%.2f per task), %.0f WAL bytes per task", x, x / n, c, c / n, s, s / n, b / n }')"
log "$(awk -v o=$((cpu_after[4] - before[4])) -v w=$((cpu_after[5] - before[5])) \
  -v p=$((cpu_after[6] - before[6])) -v t="$tick" \
  -v m=$((cpu_after[7] - before[7])) \
  'BEGIN { printf "CPU seconds: orchestrator %.2f, workers %.2f, postgres %.2f; rest of the machine %.2f (baton-bench, other load)", o / t, w / t, p / t, (m - o - w - p) / t }')"
exit "$bench_rc"
