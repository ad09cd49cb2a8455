"""A real Baton cluster for the Python SDK's end-to-end tests: a
baton-orchestrator process on its embedded PostgreSQL in a fresh folder, with
short timings, Python worker processes (``python3 -m baton.worker``) and C++
ones (baton-example-worker).

Binaries come from the environment CMake sets: BATON_ORCHESTRATOR_BIN,
BATON_CLI_BIN, BATON_EXAMPLE_WORKER_BIN, BATON_PYTHON, BATON_SOURCE_DIR.
Every wait is bounded."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Callable, List, Optional

import baton
from baton.client import Run

SDK_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE_DIR = os.environ.get("BATON_SOURCE_DIR", os.path.dirname(os.path.dirname(SDK_DIR)))
HANDLERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "handlers.py")
PYTHON = os.environ.get("BATON_PYTHON", "/usr/bin/python3")


def binary(env_name: str) -> str:
    path = os.environ.get(env_name, "")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(f"${env_name} must name the binary (ctest sets it): got {path!r}")
    return path


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               interval: float = 0.1) -> None:
    """Polls ``condition`` until true; AssertionError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM,
                 timeout: float = 30.0) -> Optional[int]:
    """Signals ``process`` and waits (bounded) for it; SIGKILL after ``timeout``."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return process.returncode


class Cluster:
    """An orchestrator on a private embedded PostgreSQL, and workers on demand."""

    def __init__(self, name: str, extra_args: Optional[List[str]] = None,
                 client_options: Optional[dict] = None) -> None:
        self.dir = tempfile.mkdtemp(prefix=f"baton-py-{name}-")
        os.chmod(self.dir, 0o755)  # as root, the embedded PostgreSQL runs as user postgres
        self.workers: List[subprocess.Popen] = []
        self.worker_env = dict(os.environ)
        # Workers start in the source folder: their PYTHONPATH must not be relative.
        self.worker_env["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)
        self._log = open(os.path.join(self.dir, "orchestrator.log"), "wb")
        ready = os.path.join(self.dir, "address")
        self.orchestrator = subprocess.Popen(
            [binary("BATON_ORCHESTRATOR_BIN"), "--data-dir", os.path.join(self.dir, "data"),
             "--listen", "127.0.0.1:0", "--ready-file", ready, "--lease-duration", "3s",
             "--heartbeat-interval", "400ms", "--reaper-interval", "200ms",
             "--max-poll-wait", "5s", "--scheduler-interval", "200ms"] + (extra_args or []),
            stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: os.path.exists(ready) and os.path.getsize(ready) > 0
                       or self.orchestrator.poll() is not None, 90, "the orchestrator")
            if self.orchestrator.poll() is not None:
                raise RuntimeError("the orchestrator exited:\n" + self.orchestrator_log())
        except Exception:
            self.close()
            raise
        with open(ready) as f:
            self.address = f.read().strip()
        self.client = baton.Client(self.address, **(client_options or {}))

    def orchestrator_log(self) -> str:
        with open(os.path.join(self.dir, "orchestrator.log"), errors="replace") as f:
            return f.read()[-4000:]

    def start_worker(self, *args: str, target: str = HANDLERS, name: str = "",
                     env: Optional[dict] = None, address: Optional[str] = None) -> subprocess.Popen:
        """``python3 -m baton.worker target`` against this cluster, with ``env``
        over the test's environment; its output goes to <dir>/worker-<n>.log."""
        n = len(self.workers)
        return self._start_worker(
            [PYTHON, "-m", "baton.worker", target, "--address", address or self.address,
             "--poll-wait", "2", "--name", name or f"py-worker-{n}"] + list(args), env)

    def start_cpp_worker(self, *args: str, name: str = "") -> subprocess.Popen:
        """baton-example-worker (the course's C++ handlers, etl.*, exec, sleep,
        noop) against this cluster; its output goes to <dir>/worker-<n>.log."""
        n = len(self.workers)
        return self._start_worker(
            [binary("BATON_EXAMPLE_WORKER_BIN"), "--orchestrator", self.address,
             "--poll-wait", "2s", "--name", name or f"cpp-worker-{n}"] + list(args), None)

    def _start_worker(self, argv: List[str], env: Optional[dict]) -> subprocess.Popen:
        log = open(os.path.join(self.dir, f"worker-{len(self.workers)}.log"), "wb")
        worker = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                  env={**self.worker_env, **(env or {})}, cwd=SOURCE_DIR)
        log.close()
        self.workers.append(worker)
        return worker

    def wait_for_worker(self, name: str, timeout: float = 30.0) -> None:
        """Until a worker named ``name`` is registered and online."""
        wait_until(lambda: any(w["name"] == name for w in self.client.list_workers()),
                   timeout, f"worker {name} to register")

    def stop_workers(self) -> None:
        """SIGTERM (a drain) to every worker, each awaited (bounded)."""
        for worker in self.workers:
            stop_process(worker)

    def worker_log(self, n: int) -> str:
        with open(os.path.join(self.dir, f"worker-{n}.log"), errors="replace") as f:
            return f.read()[-4000:]

    def wait_for_task_state(self, run_id: str, task: str, state: str,
                            timeout: float = 30.0) -> Run:
        box = {}

        def reached() -> bool:
            box["run"] = self.client.get_run(run_id)
            return box["run"].task(task).state == state
        wait_until(reached, timeout, f"task {task} of run {run_id} to be {state}")
        return box["run"]

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        return subprocess.run([binary("BATON_CLI_BIN"), "--address", self.address] + list(args),
                              capture_output=True, text=True, timeout=timeout)

    def close(self) -> None:
        self.stop_workers()
        if getattr(self, "client", None) is not None:
            self.client.close()
        stop_process(self.orchestrator, timeout=30)
        self._log.close()
        if os.environ.get("BATON_KEEP_TEST_DIRS"):
            print(f"kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def load_module(path: str):
    """Imports a Python file by path (the examples' names start with digits)."""
    from baton.worker.cli import load_target
    return load_target(path)
