"""Binding a handler's arguments to a task's input."""
import unittest

from baton.binding import BadInput, bind_arguments
from baton.outcome import from_exception

INPUTS = {"params": {"factor": 3, "q": "hi"}, "upstream": {"extract": {"items": [1, 2]}}}


class BindingTest(unittest.TestCase):
    def test_upstream_then_params_then_defaults_by_name(self):
        def transform(extract, factor, limit=10):
            pass
        self.assertEqual(bind_arguments(transform, INPUTS, {}, None),
                         {"extract": {"items": [1, 2]}, "factor": 3})

    def test_config_arguments_rename_sources(self):
        def transform(payload, n, k):
            pass
        config = {"arguments": {"payload": {"upstream": "extract"}, "n": {"param": "factor"},
                                "k": {"value": [7]}}}
        self.assertEqual(bind_arguments(transform, INPUTS, config, None),
                         {"payload": {"items": [1, 2]}, "n": 3, "k": [7]})

    def test_ctx_and_inputs_are_special(self):
        def handler(ctx, inputs):
            pass
        ctx = object()
        kwargs = bind_arguments(handler, INPUTS, {}, ctx)
        self.assertIs(kwargs["ctx"], ctx)
        self.assertEqual(kwargs["inputs"], INPUTS)

    def test_var_keyword_takes_the_remaining_params(self):
        def handler(q, **rest):
            pass
        self.assertEqual(bind_arguments(handler, INPUTS, {}, None), {"q": "hi", "factor": 3})

    def test_missing_argument_is_bad_input_naming_it(self):
        def load(values):
            pass
        with self.assertRaises(BadInput) as caught:
            bind_arguments(load, INPUTS, {}, None)
        self.assertIn('"values"', str(caught.exception))
        self.assertIn("upstream: extract", str(caught.exception))
        outcome = from_exception(caught.exception)
        self.assertEqual((outcome.error_type, outcome.non_retryable), ("BadInput", True))

    def test_a_source_naming_a_missing_upstream_is_bad_input(self):
        def load(values):
            pass
        with self.assertRaisesRegex(BadInput, 'no upstream "transform"'):
            bind_arguments(load, INPUTS, {"arguments": {"values": {"upstream": "transform"}}},
                           None)

    def test_malformed_source_is_bad_input(self):
        def load(values):
            pass
        with self.assertRaisesRegex(BadInput, "unknown source"):
            bind_arguments(load, INPUTS, {"arguments": {"values": {"env": "X"}}}, None)


if __name__ == "__main__":
    unittest.main()
