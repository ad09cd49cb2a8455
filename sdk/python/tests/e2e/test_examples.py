"""The course's exercises 01-04, in Python (examples/python/), end to end:
a real orchestrator and a real Python worker process serving each file."""
import datetime
import os
import unittest
import zoneinfo

from tests.e2e.harness import SOURCE_DIR, Cluster, load_module

EXAMPLES = os.path.join(SOURCE_DIR, "examples", "python")


def example(name: str):
    return os.path.join(EXAMPLES, name)


class ExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("examples")
        cls.client = cls.cluster.client

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def serve(self, name: str):
        """A worker serving examples/python/<name>, and the module itself. The
        workers of earlier tests keep running on the same queue: each task goes
        to the worker that serves its handler."""
        self.cluster.start_worker(target=example(name))
        return load_module(example(name))

    def test_01_basic_etl_results_in_5(self):
        module = self.serve("01_basic_flow.py")
        applied = self.client.apply_flow(module.etl)
        run = self.client.run("py-basic-etl", timeout=60)
        self.assertEqual(run.state, "COMPLETED", run.error)
        self.assertEqual(run.result, 5)
        self.assertEqual(run.task("transform").result, [2, 4, 6, 8, 10])
        lines = [e.message for e in self.client.logs(run.id, "load")]
        self.assertIn("loading 5 values", lines)
        # The stored flow is the same spec a YAML file gives: `baton flow get` shows it.
        shown = self.cluster.cli("flow", "get", "py-basic-etl")
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn("pycourse.transform", shown.stdout)
        stored = self.client.get_flow("py-basic-etl")
        self.assertEqual(stored["version"], applied.version)
        self.assertEqual([t["name"] for t in stored["spec"]["tasks"]],
                         ["extract", "transform", "load"])

    def test_02_flaky_call_is_retried_until_it_succeeds(self):
        module = self.serve("02_retries_and_timeouts.py")
        self.client.apply_flow(module.robust_flow)
        run = self.client.run("py-robust-flow", {"failure_rate": 0, "fail_first": 2}, timeout=60)
        self.assertEqual(run.state, "COMPLETED", run.error)
        self.assertEqual(run.result, 42)
        attempts = run.task("flaky_call").attempts
        self.assertEqual([a.state for a in attempts], ["FAILED", "FAILED", "SUCCEEDED"])
        self.assertEqual(attempts[0].error_type, "RuntimeError")
        self.assertIn("Transient upstream error", attempts[0].error)

    def test_03_primary_falls_back_to_secondary(self):
        module = self.serve("03_resilience_patterns.py")
        self.client.apply_flow(module.answer)
        healthy = self.client.run("py-fallback-with-circuit", timeout=60)
        self.assertEqual((healthy.state, healthy.result), ("COMPLETED", "primary:hello"))
        down = self.client.run("py-fallback-with-circuit", {"primary_down": True, "q": "why"},
                               timeout=60)
        self.assertEqual(down.state, "COMPLETED", down.error)
        self.assertEqual(down.result, "secondary:why")
        self.assertEqual(len(down.task("primary_provider").attempts), 3)  # retries=2
        self.assertEqual(down.task("secondary_provider").state, "COMPLETED")

    def test_04_daily_deployment_at_0900_madrid_with_env(self):
        module = self.serve("04_scheduling.py")
        self.client.apply_flow(module.daily_job)
        deployment = self.client.apply_deployment(module.deployment)
        madrid = zoneinfo.ZoneInfo("Europe/Madrid")
        fires = [f.at.ToDatetime(tzinfo=datetime.timezone.utc) for f in deployment.next_fires]
        self.assertTrue(fires)
        for fire in fires:
            self.assertEqual(fire.astimezone(madrid).time(), datetime.time(9, 0))
            self.assertIn(fire.hour, (7, 8))
        self.assertEqual(dict(deployment.env)["WAREHOUSE_PASSWORD"], "***")
        before = datetime.datetime.now(datetime.timezone.utc)
        started = self.client.run_deployment("py-daily-0900")
        run = self.client.wait(started.id, timeout=60)
        self.assertEqual(run.state, "COMPLETED", run.error)
        self.assertEqual(run.result["environment"], "production")
        self.assertEqual(run.result["region"], "eu-south")
        self.assertEqual(run.result["loaded"], 5)
        # Started now by run_deployment, not by a fire of its schedule:
        # ctx.scheduled_time is the run's creation time.
        scheduled = datetime.datetime.fromisoformat(run.result["scheduled_for"])
        created = run.raw.created_at.ToDatetime(tzinfo=datetime.timezone.utc)
        self.assertEqual(scheduled, run.scheduled_time or created)
        self.assertLess(abs((scheduled - before).total_seconds()), 10)
        lines = [e.message for e in self.client.logs(run.id, "report")]
        self.assertTrue(any("warehouse as ***" in line for line in lines), lines)
        self.assertFalse(any("change-me" in line for line in lines), lines)


if __name__ == "__main__":
    unittest.main()
