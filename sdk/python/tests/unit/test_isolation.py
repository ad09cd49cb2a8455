"""Running one attempt in a thread or in a child of the fork server: results,
exceptions and log lines come back; a stop kills the child's whole process
group; many short attempts beside running gRPC threads all finish; a dead
fork server is noticed at once. Local processes only, no orchestrator."""
import concurrent.futures
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import grpc

from baton.context import TaskContext
from baton.masking import SecretMask
from baton.worker import capture, isolation
from baton.worker.forkserver import ForkServer

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


def noop():
    return None


def exits(code):
    os._exit(code)


def hangs():
    while True:
        time.sleep(0.05)


HANDLERS = {"chatty": chatty, "fails": fails, "hangs_with_a_grandchild": hangs_with_a_grandchild,
            "noop": noop, "exits": exits, "hangs": hangs}


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # gone before the open, or before the read
        return False


def context(**kwargs) -> TaskContext:
    return TaskContext(task_name="t", env={"PW": "pw-123"}, secrets=SecretMask(["pw-123"]),
                       **kwargs)


class IsolationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lost = []
        cls.server = ForkServer(HANDLERS, cls.lost.append)
        cls.server.start()  # first: no thread of this process exists yet
        capture.install()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def lines(self, ctx):
        return {(e.stream, e.message) for e in ctx.attempt_log.take()[0]}

    def run_attempt(self, mode, func, ctx, inputs=INPUTS):
        if mode == isolation.PROCESS:
            return self.server.run(func.__name__, ctx, inputs)
        return isolation.run_in_thread(func, ctx, inputs)

    def check_chatty(self, mode):
        ctx = context()
        outcome = self.run_attempt(mode, chatty, ctx)
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
        outcome = self.run_attempt(isolation.PROCESS, fails, context())
        self.assertEqual((outcome.error_type, outcome.error_message), ("KeyError", "'no item 3'"))

    def test_a_stop_kills_the_childs_process_group(self):
        with tempfile.TemporaryDirectory() as d:
            pid_file = os.path.join(d, "pids")
            ctx = context()
            threading.Timer(1.0, ctx.cancel, args=("test",)).start()
            started = time.monotonic()
            outcome = self.run_attempt(isolation.PROCESS, hangs_with_a_grandchild, ctx,
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
        self.assertIsNone(isolation.run_in_thread(lambda: time.sleep(3), ctx, INPUTS))
        self.assertLess(time.monotonic() - started, 1.5)

    def test_a_child_that_dies_without_an_outcome_is_reported_crashed(self):
        outcome = self.run_attempt(isolation.PROCESS, exits, context(), {"params": {"code": 3}})
        self.assertEqual(outcome.error_type, "HandlerCrashed")
        self.assertIn("exit code 3", outcome.error_message)

    def test_many_short_attempts_beside_grpc_threads_all_finish(self):
        """A bound on the conditions of the stall once seen when attempts were
        forked from the worker itself (a process running gRPC threads): every
        attempt reports. It guards; it did not reproduce that stall on demand."""
        channel = grpc.insecure_channel("127.0.0.1:1")  # gRPC core's threads, busy reconnecting
        grpc.channel_ready_future(channel)
        started = time.monotonic()
        try:
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                outcomes = list(pool.map(
                    lambda _: self.run_attempt(isolation.PROCESS, noop, context()), range(400)))
        finally:
            channel.close()
        self.assertEqual([o.result_json for o in outcomes], ["null"] * 400)
        self.assertLess(time.monotonic() - started, 60)
        self.assertEqual(self.lost, [])

    def test_a_base_exception_is_an_outcome_not_a_lost_thread(self):
        def interrupted():
            raise KeyboardInterrupt("stop")
        ctx = context()
        threading.Timer(5.0, ctx.cancel, args=("test",)).start()  # a hang ends the test anyway
        outcome = isolation.run_in_thread(interrupted, ctx, INPUTS)
        self.assertEqual((outcome.error_type, outcome.error_message), ("KeyboardInterrupt", "stop"))

    def test_output_outside_an_attempt_is_not_captured(self):
        ctx = context()
        with capture.attempt_output(ctx.attempt_log.add):
            print("inside", end="")  # a last partial line is kept
        print("outside: not an attempt line")
        self.assertEqual(self.lines(ctx), {("stdout", "inside")})


class ForkServerLossTest(unittest.TestCase):
    def test_a_dead_fork_server_ends_attempts_at_once_and_is_reported(self):
        lost = []
        server = ForkServer(HANDLERS, lost.append)
        server.start()
        try:
            threading.Timer(0.5, os.kill, args=(server.pid, signal.SIGKILL)).start()
            started = time.monotonic()
            outcome = server.run("hangs", context(), INPUTS)
            self.assertLess(time.monotonic() - started, 5)
            self.assertEqual(outcome.error_type, "WorkerShutdown")
            self.assertIn("fork server is gone", outcome.error_message)
            deadline = time.monotonic() + 5  # reported from the fork server's reader thread
            while not lost and time.monotonic() < deadline:
                time.sleep(0.01)
            self.assertEqual(len(lost), 1)
            again = server.run("noop", context(), INPUTS)  # no wait on a dead server
            self.assertEqual(again.error_type, "WorkerShutdown")
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
