#!/usr/bin/python3
"""Throughput of the Python worker on no-op tasks, through real processes: an
orchestrator on its embedded (durable) PostgreSQL in a fresh folder, one
Python worker process (``python3 -m baton.worker bench/python_noop.py``), and
one run of N independent tasks per isolation mode.

    PYTHONPATH=sdk/python:build/sdk/python/gen /usr/bin/python3 \\
        bench/python_worker_bench.py --orchestrator build/orchestrator/baton-orchestrator \\
        [--tasks 1000] [--slots 8] [--isolation process --isolation thread]

Reports, per mode: tasks/s (first ready_at to last ended_at, the orchestrator's
clock, as bench/README.md's "wall time") and the worker's CPU seconds per task
(its own plus its descendants', reaped ones included, from /proc)."""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "sdk", "python"))

import baton  # noqa: E402


def _stat(pid: int) -> list:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of ``pid`` and of its living
    descendants (the fork server, whose reaped children are in its cutime)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(_stat(int(entry))[1])
            except (FileNotFoundError, ProcessLookupError):
                continue  # ended while listing
    tree, total = [pid], 0.0
    while tree:
        current = tree.pop()
        try:
            total += sum(int(x) for x in _stat(current)[11:15]) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, ProcessLookupError):
            continue
        tree += [child for child, parent in parents.items() if parent == current]
    return total


def start_orchestrator(binary: str, folder: str) -> tuple:
    ready = os.path.join(folder, "address")
    log = open(os.path.join(folder, "orchestrator.log"), "wb")
    process = subprocess.Popen([binary, "--data-dir", os.path.join(folder, "data"), "--listen",
                                "127.0.0.1:0", "--ready-file", ready], stdout=log,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while not (os.path.exists(ready) and os.path.getsize(ready)):
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("the orchestrator did not start; see " + folder)
        time.sleep(0.2)
    with open(ready) as f:
        return process, f.read().strip()


def flow_spec(name: str, tasks: int) -> dict:
    return {"name": name, "tasks": [{"name": f"t{i}", "handler": "pybench.noop"}
                                    for i in range(tasks)]}


def measure(client: baton.Client, address: str, mode: str, args, folder: str) -> dict:
    log = open(os.path.join(folder, f"worker-{mode}.log"), "wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "baton.worker", os.path.join(HERE, "python_noop.py"), "--address",
         address, "--slots", str(args.slots), "--isolation", mode, "--log-level", "warn"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        name = f"pybench-{mode}-{int(time.time())}"
        client.apply_flow(flow_spec(name, args.tasks))
        time.sleep(2)  # the worker registers and polls
        cpu_before = cpu_seconds(worker.pid)
        run = client.run(name, timeout=args.timeout)
        cpu = cpu_seconds(worker.pid) - cpu_before
        tasks = run.raw.tasks
        first = min(t.ready_at.ToNanoseconds() for t in tasks) / 1e9
        last = max(t.ended_at.ToNanoseconds() for t in tasks) / 1e9
        completed = sum(1 for t in run.tasks if t.state == "COMPLETED")
        for t in run.tasks:
            if t.state != "COMPLETED":
                print(f"task {t.name}: {t.state}: " + "; ".join(
                    f"attempt {a.number} {a.state} {a.error_type}: {a.error}" for a in t.attempts))
        return {"mode": mode, "state": run.state, "tasks": completed, "wall_s": last - first,
                "tasks_per_s": completed / (last - first), "cpu_ms_per_task": 1000 * cpu / completed}
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--orchestrator", help="the baton-orchestrator binary to start")
    where.add_argument("--address", help="a running orchestrator instead")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks in the run (<= 1000)")
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--isolation", action="append", choices=["process", "thread"])
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--keep", action="store_true",
                        help="keep the folder with the orchestrator's and workers' logs")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="baton-pybench-")
    os.chmod(folder, 0o755)  # as root, the embedded PostgreSQL runs as user postgres
    orchestrator, address = None, args.address
    if args.orchestrator:
        orchestrator, address = start_orchestrator(args.orchestrator, folder)
    try:
        with baton.Client(address) as client:
            for mode in args.isolation or ["process", "thread"]:
                r = measure(client, address, mode, args, folder)
                print(f"{r['mode']:8s} {r['state']:9s} {r['tasks']} tasks in {r['wall_s']:.2f}s: "
                      f"{r['tasks_per_s']:.0f} tasks/s, worker CPU {r['cpu_ms_per_task']:.2f} ms/task")
    finally:
        if orchestrator is not None:
            orchestrator.send_signal(signal.SIGTERM)
            orchestrator.wait(60)
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
