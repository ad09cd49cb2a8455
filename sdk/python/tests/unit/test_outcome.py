"""Exceptions and results as reported outcomes: types, finality, masking, bounds."""
import json
import unittest

import baton
from baton import _limits
from baton.masking import SecretMask
from baton.outcome import from_exception, from_result


class BadInput(baton.NonRetryable):
    pass


class OutcomeTest(unittest.TestCase):
    def test_error_type_is_the_exception_class_name(self):
        outcome = from_exception(ValueError("bad value 3"))
        self.assertFalse(outcome.ok)
        self.assertEqual(outcome.error_type, "ValueError")
        self.assertEqual(outcome.error_message, "bad value 3")
        self.assertFalse(outcome.non_retryable)

    def test_non_retryable_marks_the_error_final(self):
        self.assertTrue(from_exception(baton.NonRetryable("no")).non_retryable)
        outcome = from_exception(BadInput("missing id"))
        self.assertEqual((outcome.error_type, outcome.non_retryable), ("BadInput", True))
        named = from_exception(baton.NonRetryable("x", error_type="QuotaExceeded"))
        self.assertEqual(named.error_type, "QuotaExceeded")

    def test_empty_message_falls_back_to_the_class_name(self):
        self.assertEqual(from_exception(KeyError()).error_message, "KeyError")

    def test_secrets_are_masked_in_errors_before_the_cut(self):
        secret = "s3cr3t-value"
        mask = SecretMask([secret])
        long = "x" * (_limits.MAX_ERROR_MESSAGE_BYTES - 5) + secret
        outcome = from_exception(RuntimeError(long), mask)
        self.assertNotIn("s3cr3t", outcome.error_message)
        self.assertLessEqual(len(outcome.error_message.encode()), _limits.MAX_ERROR_MESSAGE_BYTES)

    def test_results_are_json_with_secrets_masked_in_values_and_keys(self):
        mask = SecretMask(["hunter2"])
        outcome = from_result({"password": "hunter2", "hunter2": [1, "a hunter2 b"]}, mask)
        self.assertEqual(json.loads(outcome.result_json),
                         {"password": "***", "***": [1, "a *** b"]})

    def test_a_result_that_is_not_json_fails_for_good(self):
        outcome = from_result({"when": object()})
        self.assertEqual((outcome.error_type, outcome.non_retryable), ("BadResult", True))
        self.assertEqual(from_result(float("nan")).error_type, "BadResult")

    def test_a_result_over_the_bound_fails_for_good(self):
        outcome = from_result("x" * _limits.MAX_RESULT_BYTES)
        self.assertEqual((outcome.error_type, outcome.non_retryable), ("ResultTooLarge", True))


if __name__ == "__main__":
    unittest.main()
