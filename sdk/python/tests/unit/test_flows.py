"""Flows traced to the flow spec: DAG edges, parameters, resilience options."""
import json
import unittest

import yaml

from baton import Backoff, CircuitBreaker, NonRetryable, flow, task


@task(handler="t.extract")
def extract(items: list = [1, 2, 3]) -> dict:
    return {"items": items}


@task(handler="t.transform", retries=3, retry_delay=2, timeout="10s", non_retryable=[ValueError])
def transform(payload: dict, factor: int = 2) -> list:
    return [i * factor for i in payload["items"]]


@task(handler="t.load", queue="sinks", heartbeat_timeout=5)
def load(values: list, ctx=None) -> int:
    return len(values)


@flow(name="etl")
def etl(factor: int = 2):
    """extract, transform, load"""
    data = extract()
    doubled = transform(data, factor)
    return load(doubled)


@task(handler="t.secondary")
def secondary(question: str) -> str:
    return f"secondary:{question}"


@task(handler="t.primary", retries=2, backoff=Backoff(initial=1, factor=2, max=30), jitter=0.3,
      breaker=CircuitBreaker("primary-api", failure_threshold=3, window=60, cooldown=20),
      fallback=secondary)
def primary(q: str) -> str:
    return f"primary:{q}"


@flow(name="answer")
def answer(q: str):
    return primary(q)


def one():
    return 1


def by_name(spec):
    return {t["name"]: t for t in spec["tasks"]}


class FlowSpecTest(unittest.TestCase):
    def test_dag_follows_which_results_feed_which_task(self):
        tasks = by_name(etl.spec())
        self.assertNotIn("depends_on", tasks["extract"])
        self.assertEqual(tasks["transform"]["depends_on"], ["extract"])
        self.assertEqual(tasks["load"]["depends_on"], ["transform"])
        self.assertEqual(tasks["transform"]["config"]["arguments"],
                         {"payload": {"upstream": "extract"}, "factor": {"param": "factor"}})

    def test_flow_parameters_result_and_description(self):
        spec = etl.spec()
        self.assertEqual(spec["name"], "etl")
        self.assertEqual(spec["description"], "extract, transform, load")
        self.assertEqual(spec["parameters"], {"factor": {"default": 2}})
        self.assertEqual(spec["result"], "load")
        self.assertEqual(answer.spec()["parameters"], {"q": {"required": True}})

    def test_retries_timeouts_and_queue(self):
        tasks = by_name(etl.spec())
        self.assertEqual(tasks["transform"]["retry"],
                         {"retries": 3, "delay": "2000ms", "non_retryable_errors": ["ValueError"]})
        self.assertEqual(tasks["transform"]["timeout"], "10000ms")
        self.assertEqual(tasks["load"]["queue"], "sinks")
        self.assertEqual(tasks["load"]["heartbeat_timeout"], "5000ms")
        self.assertNotIn("retry", tasks["extract"])

    def test_breaker_and_fallback(self):
        tasks = by_name(answer.spec())
        self.assertEqual(tasks["primary"]["fallback"], "secondary")
        self.assertEqual(tasks["primary"]["circuit_breaker"],
                         {"key": "primary-api", "failure_threshold": 3, "window": "60000ms",
                          "cooldown": "20000ms", "when_open": "fallback"})
        self.assertEqual(tasks["primary"]["retry"],
                         {"retries": 2, "backoff": {"initial": "1000ms", "factor": 2,
                                                    "max": "30000ms"}, "jitter": 0.3})
        # The fallback gets the primary's input; its argument binds by position.
        self.assertNotIn("depends_on", tasks["secondary"])
        self.assertEqual(tasks["secondary"]["config"]["arguments"], {"question": {"param": "q"}})

    def test_the_spec_is_yaml_and_json(self):
        self.assertEqual(yaml.safe_load(etl.to_yaml()), etl.spec())
        self.assertEqual(json.loads(etl.to_json()), etl.spec())

    def test_handlers_include_fallbacks(self):
        self.assertEqual(set(answer.handlers()), {"t.primary", "t.secondary"})
        self.assertIs(etl.handlers()["t.load"], load.func)

    def test_a_task_called_twice_gets_a_second_name(self):
        @flow
        def twice():
            a = extract()
            return transform(transform(a))
        names = [t["name"] for t in twice.spec()["tasks"]]
        self.assertEqual(names, ["extract", "transform", "transform-2"])
        self.assertEqual(by_name(twice.spec())["transform-2"]["depends_on"], ["transform"])

    def test_wait_for_adds_an_edge_without_an_argument(self):
        @flow
        def ordered():
            first = extract()
            return extract(wait_for=[first])
        self.assertEqual(by_name(ordered.spec())["extract-2"]["depends_on"], ["extract"])

    def test_literal_arguments_are_values(self):
        @flow
        def literal():
            return transform({"items": [4]}, 10)
        self.assertEqual(by_name(literal.spec())["transform"]["config"]["arguments"],
                         {"payload": {"value": {"items": [4]}}, "factor": {"value": 10}})

    def test_positional_arguments_skip_ctx(self):
        @task
        def uses_ctx(ctx, a, b=0):
            return [ctx.task_name, a, b]

        @flow
        def positional(x: int = 1):
            return uses_ctx(x, 5)
        self.assertEqual(by_name(positional.spec())["uses_ctx"]["config"]["arguments"],
                         {"a": {"param": "x"}, "b": {"value": 5}})
        self.assertEqual(uses_ctx(7), ["uses_ctx", 7, 0])

    def test_local_call_runs_the_plain_functions(self):
        self.assertEqual(etl(), 3)
        self.assertEqual(transform({"items": [1]}, 5), [5])


class FlowErrorsTest(unittest.TestCase):
    def test_using_a_placeholder_value_while_tracing_says_how(self):
        @flow
        def peeks():
            data = extract()
            return transform(data["items"])
        with self.assertRaisesRegex(TypeError, 'result of task "extract" is a placeholder'):
            peeks.spec()

    def test_nested_placeholders_are_refused(self):
        @flow
        def nested():
            return load([extract()])
        with self.assertRaisesRegex(TypeError, "load: argument values"):
            nested.spec()

    def test_a_flow_returning_a_non_task_value(self):
        @flow
        def returns_dict():
            return {"count": load(transform(extract()))}
        with self.assertRaisesRegex(TypeError, "returns one task's result"):
            returns_dict.spec()

    def test_bad_names_and_options(self):
        with self.assertRaisesRegex(ValueError, "handler"):
            task(handler="Bad-Handler")(one)
        with self.assertRaisesRegex(ValueError, "retry_delay"):
            task(retry_delay="soon")(one)
        with self.assertRaisesRegex(ValueError, "needs fallback"):
            task(breaker=CircuitBreaker("k"))(one)
        with self.assertRaisesRegex(TypeError, "extract: "):
            @flow
            def too_many():
                return extract(1, 2, 3)
            too_many.spec()

    def test_non_retryable_accepts_names_and_classes(self):
        t = task(non_retryable=[ValueError, "BadInput", NonRetryable])(one)
        self.assertEqual(t.entry("x", [], {})["retry"]["non_retryable_errors"],
                         ["ValueError", "BadInput", "NonRetryable"])


if __name__ == "__main__":
    unittest.main()
