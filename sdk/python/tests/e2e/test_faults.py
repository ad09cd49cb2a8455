"""Faults with real Python worker processes (process isolation): a worker
SIGKILLed mid-task, cancel and execution timeout killing a hung handler,
ValueError honoured as non-retryable, logs and secrets, a worker whose fork
server dies stopping loudly."""
import os
import signal
import time
import unittest

import baton
from tests.e2e import handlers
from tests.e2e.harness import Cluster, wait_until


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is dead too
        return f.read().split(")")[1].split()[0] != "Z"


def children_of(pid: int) -> list:
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (ValueError, OSError):
            continue
    return found


class FaultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("faults")
        cls.client = cls.cluster.client
        for f in (handlers.sleep_flow, handlers.hang_flow, handlers.timeout_flow,
                  handlers.bad_value_flow, handlers.secrets_flow):
            cls.client.apply_flow(f)
        cls.cluster.start_worker(name="py-main")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def pid_file(self, name: str) -> str:
        return os.path.join(self.cluster.dir, f"{name}.pid")

    def read_pid(self, path: str) -> int:
        wait_until(lambda: os.path.exists(path), 20, f"the handler to write {path}")
        with open(path) as f:
            return int(f.read())

    def test_cancel_kills_a_hung_handler(self):
        pid_file = self.pid_file("cancel")
        run = self.client.start_run("py-hang", {"pid_file": pid_file})
        pid = self.read_pid(pid_file)
        self.assertTrue(pid_alive(pid))
        started = time.monotonic()
        self.client.cancel(run.id, "test says stop")
        ended = self.client.wait(run.id, timeout=20)
        self.assertEqual(ended.state, "CANCELLED")
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(ended.task("hang").attempts[-1].error_type, "Cancelled")
        wait_until(lambda: not pid_alive(pid), 5, f"the handler's process {pid} to be killed")

    def test_execution_timeout_kills_a_cpu_bound_handler(self):
        pid_file = self.pid_file("timeout")
        started = time.monotonic()
        run = self.client.start_run("py-timeout", {"pid_file": pid_file})
        pid = self.read_pid(pid_file)
        ended = self.client.wait(run.id, timeout=30)
        self.assertEqual(ended.state, "FAILED")
        attempt = ended.task("hang_with_timeout").attempts[0]
        self.assertEqual(attempt.error_type, "ExecutionTimeout")
        self.assertLess(time.monotonic() - started, 12)
        wait_until(lambda: not pid_alive(pid), 5, f"the handler's process {pid} to be killed")

    def test_value_error_is_not_retried(self):
        run = self.client.run("py-bad-value", timeout=30)
        self.assertEqual(run.state, "FAILED")
        attempts = run.task("bad_value").attempts
        self.assertEqual(len(attempts), 1)
        self.assertEqual(attempts[0].error_type, "ValueError")
        self.assertIn("value must be positive, got -1", attempts[0].error)
        self.assertEqual(self.client.run("py-bad-value", {"value": 7}, timeout=30).result, 7)

    def test_logs_and_errors_and_results_mask_secrets(self):
        secret = "sk-live-0123456789"
        self.client.apply_deployment(baton.Deployment(
            "py-secrets-now", flow="py-secrets",
            env={"API_KEY": baton.Secret(secret), "REGION": "eu-south"}))
        run = self.client.wait(self.client.run_deployment("py-secrets-now").id, timeout=30)
        self.assertEqual(run.state, "FAILED")  # leak_error fails for good
        result = run.task("leak_result").result
        self.assertEqual(result["key"], "***")
        self.assertEqual(result["region"], "eu-south")
        self.assertEqual(result["correlation_id"], run.correlation_id)
        error = run.task("leak_error").attempts[0]
        self.assertEqual(error.error_type, "NonRetryable")
        self.assertEqual(error.error, "could not authenticate with ***")
        logs = self.client.logs(run.id, "leak_result")
        by_stream = {(e.stream, e.message) for e in logs}
        self.assertIn(("stdout", "print sees ***"), by_stream)
        self.assertIn(("log", "e2e.handlers: logging sees ***"), by_stream)
        self.assertIn(("log", "ctx.log sees ***"), by_stream)
        self.assertFalse([e for e in logs if secret in e.message])

    def test_sigkilled_worker_task_is_leased_again_and_completes(self):
        self.cluster.stop_workers()  # the victim must be the only worker
        try:
            victim = self.cluster.start_worker(name="py-victim")
            run = self.client.start_run("py-sleep", {"seconds": 3})
            self.cluster.wait_for_task_state(run.id, "sleep", "RUNNING")
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            self.cluster.start_worker(name="py-rescuer")
            ended = self.client.wait(run.id, timeout=40)
            self.assertEqual(ended.state, "COMPLETED", ended.error)
            attempts = ended.task("sleep").attempts
            self.assertEqual([a.worker_name for a in attempts][-1], "py-rescuer")
            self.assertEqual(attempts[0].worker_name, "py-victim")
            self.assertNotEqual(attempts[0].state, "SUCCEEDED")
        finally:
            self.cluster.stop_workers()
            self.cluster.start_worker(name="py-main")

    def test_a_worker_whose_fork_server_dies_stops_loudly(self):
        worker = self.cluster.start_worker(name="py-forkless")
        n = len(self.cluster.workers) - 1
        self.cluster.wait_for_worker("py-forkless")
        servers = children_of(worker.pid)
        self.assertEqual(len(servers), 1, servers)
        os.kill(servers[0], signal.SIGKILL)
        self.assertEqual(worker.wait(30), 1)
        self.assertIn("fork server", self.cluster.worker_log(n))


if __name__ == "__main__":
    unittest.main()
