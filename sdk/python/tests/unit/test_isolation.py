"""Running one attempt in a thread or a forked child: results, exceptions and
log lines come back; a stop kills the child's whole process group. Local
processes only, no orchestrator."""
import logging
import os
import subprocess
import tempfile
import threading
import time
import unittest

from baton.context import TaskContext
from baton.masking import SecretMask
from baton.worker import capture, isolation

INPUTS = {"params": {"n": 3}, "upstream": {}}


def chatty(ctx, n):
    print(f"print {n}")
    logging.getLogger("user").warning("logging %d", n)
    ctx.log.info(f"ctx.log {ctx.env['PW']}")
    return {"n": n, "pid": os.getpid()}


def fails(n):
    raise KeyError(f"no item {n}")


def hangs_with_a_grandchild(pid_file):
    child = subprocess.Popen(["sleep", "60"])
    with open(pid_file, "w") as f:
        f.write(f"{os.getpid()} {child.pid}")
    while True:
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def context(**kwargs) -> TaskContext:
    return TaskContext(task_name="t", env={"PW": "pw-123"}, secrets=SecretMask(["pw-123"]),
                       **kwargs)


class IsolationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        capture.install()

    def lines(self, ctx):
        return {(e.stream, e.message) for e in ctx.attempt_log.take()[0]}

    def check_chatty(self, mode):
        ctx = context()
        outcome = isolation.run(mode, chatty, ctx, INPUTS)
        self.assertTrue(outcome.ok, outcome)
        self.assertIn('"n": 3', outcome.result_json)
        self.assertEqual(self.lines(ctx), {("stdout", "print 3"), ("log", "user: logging 3"),
                                           ("log", "ctx.log ***")})
        return outcome

    def test_thread_mode_runs_in_this_process(self):
        outcome = self.check_chatty(isolation.THREAD)
        self.assertIn(f'"pid": {os.getpid()}', outcome.result_json)

    def test_process_mode_passes_results_and_logs_back(self):
        outcome = self.check_chatty(isolation.PROCESS)
        self.assertNotIn(f'"pid": {os.getpid()}', outcome.result_json)

    def test_exceptions_cross_the_process_boundary(self):
        outcome = isolation.run(isolation.PROCESS, fails, context(), INPUTS)
        self.assertEqual((outcome.error_type, outcome.error_message), ("KeyError", "'no item 3'"))

    def test_a_stop_kills_the_childs_process_group(self):
        with tempfile.TemporaryDirectory() as d:
            pid_file = os.path.join(d, "pids")
            ctx = context()
            threading.Timer(1.0, ctx.cancel, args=("test",)).start()
            started = time.monotonic()
            outcome = isolation.run(isolation.PROCESS, hangs_with_a_grandchild, ctx,
                                    {"params": {"pid_file": pid_file}})
            self.assertIsNone(outcome)
            self.assertLess(time.monotonic() - started, 5)
            with open(pid_file) as f:
                pids = [int(p) for p in f.read().split()]
        deadline = time.monotonic() + 5
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse([p for p in pids if alive(p)])

    def test_thread_mode_reports_a_stop_at_once(self):
        ctx = context()
        threading.Timer(0.3, ctx.cancel, args=("test",)).start()
        started = time.monotonic()
        self.assertIsNone(isolation.run(isolation.THREAD, lambda: time.sleep(3), ctx, INPUTS))
        self.assertLess(time.monotonic() - started, 1.5)

    def test_output_outside_an_attempt_is_not_captured(self):
        ctx = context()
        with capture.attempt_output(ctx.attempt_log.add):
            print("inside", end="")  # a last partial line is kept
        print("outside: not an attempt line")
        self.assertEqual(self.lines(ctx), {("stdout", "inside")})


if __name__ == "__main__":
    unittest.main()
