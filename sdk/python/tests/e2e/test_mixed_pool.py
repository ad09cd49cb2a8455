"""A C++ worker (baton-example-worker) and a Python worker on one queue,
"default", running one flow whose tasks alternate between C++ and Python
handlers: each task goes to the worker that serves its handler, and while
only one kind of worker is up the other kind's task waits READY saying which
handler it waits for."""
import datetime
import time
import unittest

from tests.e2e.harness import Cluster, stop_process, wait_until

# extract and load are C++ (examples/01-basic-flow/etl_handlers.cc); transform
# and report are Python (tests/e2e/handlers.py).
MIXED_FLOW = {
    "name": "py-mixed-etl",
    "parameters": {"items": {"default": [1, 2, 3, 4, 5]}, "factor": {"default": 2}},
    "result": "report",
    "tasks": [
        {"name": "extract", "handler": "etl.extract"},
        {"name": "transform", "handler": "mixed.transform", "depends_on": ["extract"]},
        {"name": "load", "handler": "etl.load", "depends_on": ["transform"]},
        {"name": "report", "handler": "mixed.report", "depends_on": ["load"]},
    ],
}
CPP_TASKS = {"extract", "load"}
POLL_WAIT = 2.0  # both kinds of worker poll for this long (harness)


class MixedPoolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("mixed")
        cls.client = cls.cluster.client
        cls.client.apply_flow(MIXED_FLOW)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def wait_until_waiting(self, run_id: str, task: str, handler: str) -> None:
        """Until ``task`` is READY and says it waits for ``handler``; then,
        after one more poll of the worker that does not serve it, still so."""
        def waiting() -> bool:
            t = self.client.get_run(run_id).task(task)
            return t.state == "READY" and f'"{handler}"' in t.waiting_for
        wait_until(waiting, 20, f"task {task} to wait for a worker serving {handler}")
        time.sleep(POLL_WAIT + 0.5)  # the other worker's next poll must not take it
        t = self.client.get_run(run_id).task(task)
        self.assertEqual((t.state, t.attempts), ("READY", []))
        self.assertIn(f'"{handler}"', t.waiting_for)

    def check_completed(self, run_id: str, python_worker: str) -> None:
        run = self.client.wait(run_id, timeout=60)
        self.assertEqual(run.state, "COMPLETED", run.error)
        created = run.raw.created_at.ToDatetime(tzinfo=datetime.timezone.utc)
        # A manual run's scheduled time is its creation time.
        self.assertEqual(run.result, {"count": 5, "scheduled_time": created.isoformat()})
        self.assertEqual(run.task("transform").result, [2, 4, 6, 8, 10])
        for task in MIXED_FLOW["tasks"]:
            attempts = run.task(task["name"]).attempts
            self.assertEqual([a.state for a in attempts], ["SUCCEEDED"], (task, attempts))
            expected = "cpp-mixed" if task["name"] in CPP_TASKS else python_worker
            self.assertEqual(attempts[0].worker_name, expected, task)

    def test_each_task_runs_on_the_worker_that_serves_its_handler(self):
        # Python only: the C++ first task waits, and the Python worker leaves it.
        self.cluster.start_worker(name="py-mixed")
        self.cluster.wait_for_worker("py-mixed")
        first = self.client.start_run("py-mixed-etl")
        self.wait_until_waiting(first.id, "extract", "etl.extract")
        self.cluster.start_cpp_worker(name="cpp-mixed")
        self.check_completed(first.id, "py-mixed")

        # C++ only: extract runs, the Python transform waits for a Python worker.
        stop_process(self.cluster.workers[0])
        second = self.client.start_run("py-mixed-etl")
        self.cluster.wait_for_task_state(second.id, "extract", "COMPLETED")
        self.wait_until_waiting(second.id, "transform", "mixed.transform")
        self.cluster.start_worker(name="py-mixed-2")
        self.check_completed(second.id, "py-mixed-2")


if __name__ == "__main__":
    unittest.main()
